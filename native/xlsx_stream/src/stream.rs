//! One worksheet read cell by cell by sheet.rs on a thread of its own, which hands finished
//! batches over a channel of one slot: while Python converts a batch the thread builds the
//! next, and never more (the sheet is inflated a block at a time and never held; only the
//! shared strings are, as the workbook's other parts are read first).

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::batch::{Batch, BatchBuilder};
use crate::parts::{read_parts, Parts};
use crate::scan::Scanner;
use crate::sheet::SheetCells;
use crate::zipped::Zipped;

/// What the reading thread sends: the sheet's declared dimensions first, then batches, then
/// `End` (a thread that stops without `End` has failed).
pub enum Message {
    Dimensions((u32, u32), (u32, u32)),
    Batch(Batch),
    Failed(String),
    End,
}

pub struct Workbook {
    pub sheet_names: Vec<String>,
    pub is_1904: bool,
    zip: Zipped,
    parts: Parts,
}

/// Open the workbook: its sheet names, epoch, styles and shared strings; no sheet is read
/// yet. Every member is inflated under `max_inflated_bytes` and its declared size.
pub fn open(path: &str, max_inflated_bytes: u64) -> Result<Workbook, String> {
    let mut zip = Zipped::open(path, max_inflated_bytes)?;
    let parts = read_parts(&mut zip).map_err(|e| unreadable(&e))?;
    Ok(Workbook {
        sheet_names: parts.sheets.iter().map(|(name, _)| name.clone()).collect(),
        is_1904: parts.is_1904,
        zip,
        parts,
    })
}

fn unreadable(reason: &str) -> String {
    if reason.starts_with("the XLSX file") {
        reason.to_string()
    } else {
        format!("the XLSX file cannot be read: {reason}")
    }
}

/// Start reading `sheet` (which must be one of `sheet_names`) on its own thread.
pub fn start(
    workbook: Workbook,
    sheet: String,
    batch_rows: u32,
    max_columns: usize,
) -> Result<(Receiver<Message>, JoinHandle<()>), String> {
    let (tx, rx) = sync_channel(1);
    let handle = std::thread::Builder::new()
        .name("bulkflow-xlsx".into())
        .spawn(move || {
            let outcome = read_sheet(workbook, &sheet, batch_rows, max_columns, &tx);
            // a send fails only when the reader was dropped: nobody is left to tell
            let _ = tx.send(match outcome {
                Ok(()) => Message::End,
                Err(reason) => Message::Failed(reason),
            });
        })
        .map_err(|e| format!("cannot start the reading thread: {e}"))?;
    Ok((rx, handle))
}

/// Ok(()) also when the receiver went away: the reading simply stops.
fn read_sheet(
    mut workbook: Workbook,
    sheet: &str,
    batch_rows: u32,
    max_columns: usize,
    tx: &SyncSender<Message>,
) -> Result<(), String> {
    let parts = &workbook.parts;
    let part = parts
        .sheets
        .iter()
        .find(|(name, _)| name == sheet)
        .map(|(_, part)| part.clone())
        .ok_or_else(|| format!("the workbook has no sheet named {sheet:?}"))?;
    let member = workbook
        .zip
        .member(&part)
        .map_err(|e| unreadable(&e))?
        .ok_or_else(|| format!("the XLSX file is damaged: it has no {part}"))?;
    let scanner = Scanner::new(member);
    let mut cells =
        SheetCells::new(scanner, &parts.strings, &parts.formats).map_err(|e| unreadable(&e))?;
    let (start, end) = cells.dimensions;
    if tx.send(Message::Dimensions(start, end)).is_err() {
        return Ok(());
    }
    let mut builder = BatchBuilder::new(batch_rows, max_columns);
    while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
        if !builder.accepts(cell.row) {
            if let Some(batch) = builder.finish() {
                if tx.send(Message::Batch(batch)).is_err() {
                    return Ok(());
                }
            }
        }
        let text = if crate::batch::has_text(cell.kind) {
            cells.text.as_str()
        } else {
            ""
        };
        builder.put(cell.row, cell.col, cell.kind, cell.number, text)?;
    }
    if let Some(batch) = builder.finish() {
        let _ = tx.send(Message::Batch(batch));
    }
    Ok(())
}
