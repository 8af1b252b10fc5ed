//! One worksheet read cell by cell by sheet.rs on a thread of its own, which hands finished
//! batches over a channel of one slot: while Python converts a batch the thread builds the
//! next, and never more (the sheet is inflated a block at a time and never held; only the
//! shared strings are, as the workbook's other parts are read first). `open_sheet` opens a
//! workbook, picks the sheet and starts the thread; `SheetReading` receives its batches and,
//! dropped, stops it. Pure Rust: python.rs wraps it for Python.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::batch::{Batch, BatchBuilder};
use crate::parts::{read_parts, Parts};
use crate::scan::Scanner;
use crate::sheet::{Merged, SheetCells};
use crate::text::Dims;
use crate::zipped::Zipped;

#[cfg(test)]
mod tests;

/// What the reading thread sends: the sheet's declared dimensions first, then batches, then
/// `End` with the sheet's merged ranges (a thread that stops without `End` has failed).
enum Message {
    Dimensions((u32, u32), (u32, u32)),
    Batch(Batch),
    Failed(String),
    End(Merged),
}

/// How much of a workbook one reading may take: rows per batch, the columns a row may have
/// and the bytes any zip member may inflate to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// rows per batch; 0 is read as 1
    pub batch_rows: u32,
    pub max_columns: usize,
    pub max_inflated_bytes: u64,
}

/// A sheet being read: the workbook's facts, and the reading thread's batches.
pub struct OpenSheet {
    pub sheet_names: Vec<String>,
    pub sheet: String,
    pub is_1904: bool,
    /// ((first_row, first_col), (last_row, last_col)), 0-based, as the sheet's `<dimension>`
    /// declares it (((0, 0), (0, 0)) when it declares none)
    pub dimensions: Dims,
    pub reading: SheetReading,
}

/// Open `path` and start reading `sheet` (the first sheet when None) on its own thread; the
/// sheet's dimensions are read before this returns, so a sheet that cannot be read at all
/// fails here.
pub fn open_sheet(path: &str, sheet: Option<&str>, limits: Limits) -> Result<OpenSheet, String> {
    let workbook = open(path, limits.max_inflated_bytes)?;
    let names = workbook.sheet_names.clone();
    let chosen = match sheet {
        None => names.first().cloned().ok_or("the workbook has no sheets")?,
        Some(wanted) if names.iter().any(|n| n == wanted) => wanted.to_string(),
        Some(wanted) => {
            let listed: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
            return Err(format!(
                "the workbook has no sheet named {wanted:?}; its sheets are: {}",
                listed.join(", ")
            ));
        }
    };
    let is_1904 = workbook.is_1904;
    let (rx, handle) = start(
        workbook,
        chosen.clone(),
        limits.batch_rows,
        limits.max_columns,
    )?;
    let reading = SheetReading {
        rx,
        handle: Some(handle),
        over: false,
        merged: Merged::default(),
    };
    let dimensions = match reading.rx.recv() {
        Ok(Message::Dimensions(start, end)) => (start, end),
        Ok(Message::Failed(reason)) => return Err(reason),
        _ => return Err("the reading thread stopped before the sheet".into()),
    };
    Ok(OpenSheet {
        sheet_names: names,
        sheet: chosen,
        is_1904,
        dimensions,
        reading,
    })
}

/// The receiving end of a reading thread. Dropping it makes the thread's next send fail, so
/// the thread ends within a batch, and waits for it to end.
pub struct SheetReading {
    rx: Receiver<Message>,
    handle: Option<JoinHandle<()>>,
    over: bool,
    merged: Merged,
}

impl SheetReading {
    /// The next batch, None at the end of the sheet, or the reason the sheet cannot be read;
    /// after the end or an error, None.
    pub fn next_batch(&mut self) -> Result<Option<Batch>, String> {
        if self.over {
            return Ok(None);
        }
        let next = match self.rx.recv() {
            Ok(Message::Batch(batch)) => return Ok(Some(batch)),
            Ok(Message::End(merged)) => {
                self.merged = merged;
                Ok(None)
            }
            Ok(Message::Failed(reason)) => Err(reason),
            Ok(Message::Dimensions(..)) | Err(_) => {
                Err("the reading thread stopped unexpectedly".into())
            }
        };
        self.over = true;
        next
    }

    /// The sheet's merged ranges, once `next_batch` has reached the end (empty before).
    pub fn take_merged(&mut self) -> Merged {
        std::mem::take(&mut self.merged)
    }
}

impl Drop for SheetReading {
    fn drop(&mut self) {
        // dropping the receiver first is what stops the thread: it may be blocked in a send
        let (_, closed) = sync_channel(0);
        drop(std::mem::replace(&mut self.rx, closed));
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// An open workbook: its parts read, no sheet yet.
struct Workbook {
    sheet_names: Vec<String>,
    is_1904: bool,
    zip: Zipped,
    parts: Parts,
}

/// Open the workbook: its sheet names, epoch, styles and shared strings; no sheet is read
/// yet. Every member is inflated under `max_inflated_bytes` and its declared size.
fn open(path: &str, max_inflated_bytes: u64) -> Result<Workbook, String> {
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
fn start(
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
                Ok(merged) => Message::End(merged),
                Err(reason) => Message::Failed(reason),
            });
        })
        .map_err(|e| format!("cannot start the reading thread: {e}"))?;
    Ok((rx, handle))
}

/// The sheet's merged ranges once its cells are sent; Ok (no ranges) also when the receiver
/// went away: the reading simply stops.
fn read_sheet(
    mut workbook: Workbook,
    sheet: &str,
    batch_rows: u32,
    max_columns: usize,
    tx: &SyncSender<Message>,
) -> Result<Merged, String> {
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
        return Ok(Merged::default());
    }
    let mut builder = BatchBuilder::new(batch_rows, max_columns);
    while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
        if !builder.accepts(cell.row) {
            if let Some(batch) = builder.finish() {
                if tx.send(Message::Batch(batch)).is_err() {
                    return Ok(Merged::default());
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
        if tx.send(Message::Batch(batch)).is_err() {
            return Ok(Merged::default());
        }
    }
    // read while Python converts the last batch
    Ok(cells.merged())
}
