//! A worksheet's `<sheetData>` read cell by cell, as calamine's `XlsxCellReader::next_cell`
//! reads it, value for value: positions from `r` or following the previous cell and row,
//! `<v>` by the cell's type `t`, `<is>` inline strings, `<f>` ignored, numbers under a date
//! or duration style as serials. Of what follows `</sheetData>`, only the merged ranges
//! (`<mergeCells>`) are read.
//!
//! This module drives the walk: up to `<sheetData>` (the declared dimensions), then rows and
//! cells in order, keeping the position a cell without `r` takes. How one `<c>` is read is
//! sheet/cell_element.rs; what its `<v>` means by the cell's type and style is
//! sheet/cell_value.rs.

mod cell_element;
mod cell_value;
#[cfg(test)]
mod tests;

use std::io::Read;

use crate::formats::CellFormat;
use crate::scan::{Scanner, Token};
use crate::text::{dimension, row_position, Dims};

/// At most this many merged ranges are kept; the rest are only counted.
pub const MAX_MERGED: usize = 1_000;

/// The sheet's merged ranges, 0-based as `Dims`, and how many more it declares.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Merged {
    pub ranges: Vec<Dims>,
    pub more: usize,
}

/// One non-empty cell: kind (batch.rs codes), number, and text in the reader's buffer.
pub struct Cell {
    pub row: u32,
    pub col: u32,
    pub kind: u8,
    pub number: f64,
}

pub struct SheetCells<'w, R> {
    xml: Scanner<R>,
    strings: &'w [String],
    formats: &'w [CellFormat],
    pub dimensions: Dims,
    row: u32,
    col: u32,
    /// the text of the last cell returned (strings, error codes, ISO text)
    pub text: String,
    t_attr: Vec<u8>,
    qname: Vec<u8>,
    raw: Vec<u8>,
}

fn at(row: u32, col: u32) -> String {
    crate::batch::cell_ref(row, col)
}

impl<'w, R: Read> SheetCells<'w, R> {
    /// Read up to `<sheetData>`: the declared dimensions on the way.
    pub fn new(
        mut xml: Scanner<R>,
        strings: &'w [String],
        formats: &'w [CellFormat],
    ) -> Result<Self, String> {
        let mut dimensions = ((0, 0), (0, 0));
        let mut root: Option<String> = None;
        loop {
            match xml.next()? {
                Token::Start => match xml.local_name() {
                    b"dimension" => match xml.attr(b"ref")? {
                        Some(range) => dimensions = dimension(range)?,
                        None => return Err("the sheet's <dimension> has no ref".into()),
                    },
                    b"sheetData" => break,
                    name => {
                        root.get_or_insert_with(|| String::from_utf8_lossy(name).into_owned());
                    }
                },
                Token::Eof => {
                    return Err(match root {
                        Some(root) if root != "worksheet" => {
                            format!("the sheet is not a worksheet (it is a <{root}>)")
                        }
                        _ => "the sheet XML ends before its <sheetData>".into(),
                    })
                }
                _ => (),
            }
        }
        Ok(SheetCells {
            xml,
            strings,
            formats,
            dimensions,
            row: 0,
            col: 0,
            text: String::new(),
            t_attr: Vec::new(),
            qname: Vec::new(),
            raw: Vec::new(),
        })
    }

    /// The next non-empty cell; None after `</sheetData>`.
    pub fn next_cell(&mut self) -> Result<Option<Cell>, String> {
        loop {
            match self.fast_cell()? {
                Some(Some(cell)) => return Ok(Some(cell)),
                Some(None) => continue, // an empty cell
                None => (),             // not a common shape: one token the general way
            }
            match self.xml.next()? {
                Token::Start => match self.xml.local_name() {
                    b"row" => {
                        if let Some(r) = self.xml.attr(b"r")? {
                            self.row = row_position(r)?;
                        }
                    }
                    b"c" => {
                        if let Some(cell) = self.read_cell()? {
                            return Ok(Some(cell));
                        }
                    }
                    _ => (),
                },
                Token::End => match self.xml.local_name() {
                    b"row" => {
                        self.row = self.row.wrapping_add(1);
                        self.col = 0;
                    }
                    b"sheetData" => return Ok(None),
                    _ => (),
                },
                Token::Eof => return Err("the sheet XML ends inside <sheetData>".into()),
                _ => (),
            }
        }
    }

    /// After `next_cell` gave None: the merged ranges the sheet declares past `</sheetData>`,
    /// read to the end of its XML. A damaged tail or range ends the list there: the cells are
    /// read already, and merged ranges only ever explain empty cells.
    pub fn merged(&mut self) -> Merged {
        let mut merged = Merged::default();
        while let Ok(token) = self.xml.next() {
            match token {
                Token::Start if self.xml.local_name() == b"mergeCell" => {
                    let Ok(Some(range)) = self.xml.attr(b"ref") else {
                        break;
                    };
                    let Ok(range) = dimension(range) else {
                        break;
                    };
                    if merged.ranges.len() < MAX_MERGED {
                        merged.ranges.push(range);
                    } else {
                        merged.more += 1;
                    }
                }
                Token::Eof => break,
                _ => (),
            }
        }
        merged
    }
}
