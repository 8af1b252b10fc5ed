//! One worksheet read cell by cell by calamine's lazy reader on a thread of its own, which
//! hands finished batches over a channel of one slot: while Python converts a batch the
//! thread builds the next, and never more (the sheet is never held, only the shared strings
//! that calamine loads with the workbook).

use std::fs::File;
use std::io::BufReader;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use calamine::{open_workbook, DataRef, Reader, Xlsx};

use crate::batch::{
    Batch, BatchBuilder, BOOL, DATETIME, DURATION, ERROR, FLOAT, INT, ISO_TEXT, STRING,
};

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
    book: Xlsx<BufReader<File>>,
}

/// Open the workbook: its sheet names, epoch and shared strings; no sheet is read yet.
pub fn open(path: &str) -> Result<Workbook, String> {
    let book: Xlsx<BufReader<File>> =
        open_workbook(path).map_err(|e| format!("the XLSX file cannot be read: {e}"))?;
    Ok(Workbook {
        sheet_names: book.sheet_names(),
        is_1904: book.has_1904_epoch(),
        book,
    })
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
            let mut book = workbook.book;
            let outcome = read_sheet(&mut book, &sheet, batch_rows, max_columns, &tx);
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
    book: &mut Xlsx<BufReader<File>>,
    sheet: &str,
    batch_rows: u32,
    max_columns: usize,
    tx: &SyncSender<Message>,
) -> Result<(), String> {
    let unreadable = |e: calamine::XlsxError| format!("the XLSX file cannot be read: {e}");
    let mut cells = book.worksheet_cells_reader(sheet).map_err(unreadable)?;
    let dims = cells.dimensions();
    if tx.send(Message::Dimensions(dims.start, dims.end)).is_err() {
        return Ok(());
    }
    let mut builder = BatchBuilder::new(batch_rows, max_columns);
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (row, col) = cell.get_position();
        let Some((kind, number, text)) = classify(cell.get_value()) else {
            continue;
        };
        if !builder.accepts(row) {
            if let Some(batch) = builder.finish() {
                if tx.send(Message::Batch(batch)).is_err() {
                    return Ok(());
                }
            }
        }
        builder.put(row, col, kind, number, &text)?;
    }
    if let Some(batch) = builder.finish() {
        let _ = tx.send(Message::Batch(batch));
    }
    Ok(())
}

const EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53

/// A cell's kind, number and text; None for an empty cell.
fn classify<'a>(value: &'a DataRef<'a>) -> Option<(u8, f64, std::borrow::Cow<'a, str>)> {
    use std::borrow::Cow::{Borrowed, Owned};
    Some(match value {
        DataRef::Empty => return None,
        DataRef::Int(i) => (INT, *i as f64, Borrowed("")),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < EXACT_INT => (INT, *f, Borrowed("")),
        DataRef::Float(f) => (FLOAT, *f, Borrowed("")),
        DataRef::Bool(b) => (BOOL, if *b { 1.0 } else { 0.0 }, Borrowed("")),
        DataRef::String(s) => (STRING, 0.0, Borrowed(s.as_str())),
        DataRef::SharedString(s) => (STRING, 0.0, Borrowed(*s)),
        DataRef::DateTime(dt) if dt.is_duration() => (DURATION, dt.as_f64(), Borrowed("")),
        DataRef::DateTime(dt) => (DATETIME, dt.as_f64(), Borrowed("")),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => (ISO_TEXT, 0.0, Borrowed(s.as_str())),
        DataRef::Error(e) => (ERROR, 0.0, Owned(e.to_string())),
    })
}
