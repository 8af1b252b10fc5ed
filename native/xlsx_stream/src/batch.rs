//! Cells, arriving in sheet order, gathered into the column buffers of one batch of rows.
//!
//! Pure: no I/O, no Python. A batch covers contiguous sheet rows from its first cell's row;
//! blank rows inside it are all-empty, so `first_row + i` is always the sheet's own row.

/// What a cell holds, one byte per row in a column's `kind` buffer.
pub const EMPTY: u8 = 0;
pub const FLOAT: u8 = 1;
/// a number with no fraction, exactly representable (|x| < 2^53), as openpyxl reads `<v>3</v>`
pub const INT: u8 = 2;
pub const BOOL: u8 = 3;
pub const STRING: u8 = 4;
/// an Excel serial (days) under a date or time number format, in the workbook's epoch
pub const DATETIME: u8 = 5;
/// an error such as `#DIV/0!`, its text in the string buffer
pub const ERROR: u8 = 6;
/// ISO 8601 date, time or duration text (`t="d"` cells)
pub const ISO_TEXT: u8 = 7;
/// a serial (days) under a duration format such as `[h]:mm:ss`
pub const DURATION: u8 = 8;
/// a formula whose result the file does not store (`<f>` and no `<v>`): written by a
/// program that does not calculate, such as openpyxl; it has no value to read
pub const UNCALCULATED: u8 = 9;

/// Whether a kind carries text (the others leave the string buffer empty for their row).
pub fn has_text(kind: u8) -> bool {
    matches!(kind, STRING | ERROR | ISO_TEXT)
}

/// One column of a batch: a kind per row, a number per row (0 where the kind has none),
/// and the text of every row as Arrow lays out a string array (data + n+1 offsets).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Column {
    pub kind: Vec<u8>,
    pub values: Vec<f64>,
    pub text: Vec<u8>,
    pub offsets: Vec<i32>,
}

impl Column {
    fn new(capacity: usize) -> Self {
        let mut offsets = Vec::with_capacity(capacity + 1);
        offsets.push(0);
        Column {
            kind: Vec::with_capacity(capacity),
            values: Vec::with_capacity(capacity),
            text: Vec::new(),
            offsets,
        }
    }

    pub fn len(&self) -> usize {
        self.kind.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kind.is_empty()
    }

    fn pad_to(&mut self, rows: usize) {
        let end = *self.offsets.last().unwrap_or(&0);
        while self.kind.len() < rows {
            self.kind.push(EMPTY);
            self.values.push(0.0);
            self.offsets.push(end);
        }
    }

    fn push(&mut self, kind: u8, number: f64, text: &str) -> Result<(), String> {
        self.text.extend_from_slice(text.as_bytes());
        let end = i32::try_from(self.text.len())
            .map_err(|_| "a batch column holds over 2 GiB of text; read smaller batches")?;
        self.kind.push(kind);
        self.values.push(number);
        self.offsets.push(end);
        Ok(())
    }
}

/// A finished batch: `n_rows` sheet rows from `first_row` (0-based), every column `n_rows` long.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub first_row: u32,
    pub n_rows: usize,
    pub columns: Vec<Column>,
}

/// Column letters of a 0-based column index, as Excel names them (0 -> A, 26 -> AA).
pub fn column_letters(mut col: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

pub fn cell_ref(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col), row as u64 + 1)
}

/// Builds batches of at most `max_rows` rows from cells in row-major order.
pub struct BatchBuilder {
    max_rows: u32,
    max_columns: usize,
    first_row: Option<u32>,
    last_cell: Option<(u32, u32)>,
    // the widest column count seen so far: later batches are never narrower
    width: usize,
    columns: Vec<Column>,
}

impl BatchBuilder {
    pub fn new(max_rows: u32, max_columns: usize) -> Self {
        BatchBuilder {
            max_rows: max_rows.max(1),
            max_columns,
            first_row: None,
            last_cell: None,
            width: 0,
            columns: Vec::new(),
        }
    }

    /// Whether a cell of this row belongs in the batch being built (false: finish it first).
    pub fn accepts(&self, row: u32) -> bool {
        match self.first_row {
            None => true,
            Some(first) => (row as u64) < first as u64 + self.max_rows as u64,
        }
    }

    /// Store a non-empty cell. The caller has checked `accepts(row)`.
    pub fn put(
        &mut self,
        row: u32,
        col: u32,
        kind: u8,
        number: f64,
        text: &str,
    ) -> Result<(), String> {
        if let Some((last_row, last_col)) = self.last_cell {
            if (row, col) <= (last_row, last_col) {
                return Err(format!(
                    "cell {} comes after cell {} in the sheet XML; cells must be in row order",
                    cell_ref(row, col),
                    cell_ref(last_row, last_col)
                ));
            }
        }
        if col as usize >= self.max_columns {
            return Err(format!(
                "cell {} lies beyond the limit of {} columns",
                cell_ref(row, col),
                self.max_columns
            ));
        }
        self.last_cell = Some((row, col));
        let first = *self.first_row.get_or_insert(row);
        let index = (row - first) as usize;
        let capacity = self.max_rows as usize;
        while self.columns.len() <= col as usize {
            self.columns.push(Column::new(capacity));
        }
        let column = &mut self.columns[col as usize];
        column.pad_to(index);
        column.push(kind, number, text)
    }

    /// The batch built so far, its columns padded to its rows; None when it has no cell.
    pub fn finish(&mut self) -> Option<Batch> {
        let first_row = self.first_row.take()?;
        let last_row = self.last_cell.map_or(first_row, |(row, _)| row);
        let n_rows = (last_row - first_row) as usize + 1;
        self.width = self.width.max(self.columns.len());
        let capacity = self.max_rows as usize;
        let mut columns = std::mem::take(&mut self.columns);
        columns.resize_with(self.width, || Column::new(capacity));
        for column in &mut columns {
            column.pad_to(n_rows);
        }
        Some(Batch {
            first_row,
            n_rows,
            columns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn blank_rows_and_gaps_are_empty_and_columns_only_widen() {
        let mut b = BatchBuilder::new(3, 100);
        b.put(2, 0, STRING, 0.0, "a").unwrap();
        b.put(4, 2, FLOAT, 1.5, "").unwrap();
        assert!(!b.accepts(5));
        let batch = b.finish().unwrap();
        assert_eq!(
            (batch.first_row, batch.n_rows, batch.columns.len()),
            (2, 3, 3)
        );
        assert_eq!(batch.columns[0].kind, vec![STRING, EMPTY, EMPTY]);
        assert_eq!(batch.columns[0].offsets, vec![0, 1, 1, 1]);
        assert_eq!(batch.columns[2].kind, vec![EMPTY, EMPTY, FLOAT]);
        assert_eq!(batch.columns[2].values[2], 1.5);
        b.put(9, 0, BOOL, 1.0, "").unwrap();
        let next = b.finish().unwrap();
        assert_eq!((next.first_row, next.n_rows, next.columns.len()), (9, 1, 3));
        assert!(b.finish().is_none());
    }

    #[test]
    fn out_of_order_and_too_wide_are_refused() {
        let mut b = BatchBuilder::new(10, 2);
        b.put(1, 1, INT, 1.0, "").unwrap();
        assert!(b
            .put(1, 0, INT, 1.0, "")
            .unwrap_err()
            .contains("A2 comes after cell B2"));
        assert!(b
            .put(2, 2, INT, 1.0, "")
            .unwrap_err()
            .contains("C3 lies beyond"));
    }
}
