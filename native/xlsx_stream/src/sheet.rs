//! A worksheet's `<sheetData>` read cell by cell, as calamine's `XlsxCellReader::next_cell`
//! reads it, value for value: positions from `r` or following the previous cell and row,
//! `<v>` by the cell's type `t`, `<is>` inline strings, `<f>` ignored, numbers under a date
//! or duration style as serials. What follows `</sheetData>` is never read.

use std::io::Read;

use calamine::CellErrorType;

use crate::formats::CellFormat;

use crate::batch::{BOOL, DATETIME, DURATION, ERROR, FLOAT, INT, ISO_TEXT, STRING};
use crate::fastcell::{self, Content};
use crate::parts::{read_rich_text, trim_ascii_blanks};
use crate::scan::{Scanner, Token};
use crate::text::{cell_position, dimension, push_text, row_position, unescape_excel, Dims};

const EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53

#[derive(Clone, Copy, PartialEq)]
enum CellType {
    Number, // no t, or t="n"
    Untyped,
    Shared,
    Bool,
    Error,
    Formula, // t="str"
    Iso,     // t="d"
    Inline,  // t="inlineStr" (or "is")
    Unknown,
}

impl CellType {
    fn of(t: Option<&[u8]>) -> CellType {
        match t {
            None => CellType::Untyped,
            Some(b"n") => CellType::Number,
            Some(b"s") => CellType::Shared,
            Some(b"b") => CellType::Bool,
            Some(b"e") => CellType::Error,
            Some(b"str") => CellType::Formula,
            Some(b"d") => CellType::Iso,
            Some(b"inlineStr") | Some(b"is") => CellType::Inline,
            Some(_) => CellType::Unknown,
        }
    }

    /// Whose `<v>` calamine reads raw (its first text run, entities and all left out).
    fn is_raw(self) -> bool {
        matches!(
            self,
            CellType::Number
                | CellType::Untyped
                | CellType::Shared
                | CellType::Bool
                | CellType::Error
        )
    }
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

    /// A cell of a common shape whole in the buffer (fastcell.rs), read as `read_cell`
    /// reads it: Some(None) for an empty cell; None when the general walk must read it.
    fn fast_cell(&mut self) -> Result<Option<Option<Cell>>, String> {
        let Some(found) = fastcell::parse(self.xml.pending()) else {
            return Ok(None);
        };
        let len = found.len;
        let kind = CellType::of(found.t);
        let raw = match found.content {
            Content::Value(_) if !kind.is_raw() => return Ok(None),
            Content::Value(v) => Some(&v[..memchr::memchr(b'&', v).unwrap_or(v.len())]),
            _ => None,
        };
        let (row, col) = match found.r {
            Some(r) => {
                let (row, col) = cell_position(r)?;
                self.col = col;
                (row, col)
            }
            None => (self.row, self.col),
        };
        let format = match found.s {
            Some(s) => {
                let id = atoi_simd::parse::<usize, true, false>(s).unwrap_or(0);
                self.formats.get(id)
            }
            None => Some(&CellFormat::Other),
        };
        let value = match found.content {
            Content::Empty => None,
            Content::Inline(text) => {
                self.text.clear();
                push_text(text, &mut self.text)?;
                trim_ascii_blanks(&mut self.text);
                unescape_excel(&mut self.text, 0);
                Some((STRING, 0.0))
            }
            Content::Value(_) => {
                let mut value = std::mem::take(&mut self.raw);
                value.clear();
                value.extend_from_slice(raw.unwrap_or_default());
                let read = if value.is_empty() {
                    Ok(None)
                } else {
                    self.raw_value(&value, kind, format, row, col)
                };
                self.raw = value;
                read?
            }
        };
        self.xml.consume(len);
        self.col = self.col.wrapping_add(1);
        Ok(Some(value.map(|(kind, number)| Cell {
            row,
            col,
            kind,
            number,
        })))
    }

    /// A `<c>` (its Start just read) to its End; None when it holds no value.
    fn read_cell(&mut self) -> Result<Option<Cell>, String> {
        let (mut r, mut s, mut t) = (None, None, None);
        for attr in self.xml.attrs() {
            match attr? {
                (b"r", v) => r = Some(v),
                (b"s", v) => s = Some(v),
                (b"t", v) => t = Some(v),
                _ => (),
            }
        }
        let (row, col) = match r {
            Some(r) => {
                let (row, col) = cell_position(r)?;
                self.col = col;
                (row, col)
            }
            None => (self.row, self.col),
        };
        let format = match s {
            Some(s) => {
                let id = atoi_simd::parse::<usize, true, false>(s).unwrap_or(0);
                self.formats.get(id)
            }
            None => Some(&CellFormat::Other),
        };
        let kind = CellType::of(t);
        if kind == CellType::Unknown {
            self.t_attr = t.unwrap_or_default().to_vec();
        }
        let mut value = None;
        loop {
            match self.xml.next()? {
                Token::Start => value = self.read_value(kind, format, row, col)?,
                Token::End if self.xml.local_name() == b"c" => break,
                Token::Eof => {
                    return Err(format!("the sheet XML ends inside cell {}", at(row, col)))
                }
                _ => (),
            }
        }
        self.col = self.col.wrapping_add(1);
        Ok(value.map(|(kind, number)| Cell {
            row,
            col,
            kind,
            number,
        }))
    }

    /// One element inside a cell (its Start just read): the cell's value after it, or
    /// None (empty); strings go to `self.text`.
    fn read_value(
        &mut self,
        kind: CellType,
        format: Option<&CellFormat>,
        row: u32,
        col: u32,
    ) -> Result<Option<(u8, f64)>, String> {
        self.qname.clear();
        self.qname.extend_from_slice(self.xml.name());
        match self.xml.local_name() {
            b"is" => {
                self.text.clear();
                read_rich_text(&mut self.xml, &self.qname, &mut self.text)?;
                Ok(Some((STRING, 0.0)))
            }
            b"v" if kind == CellType::Inline => {
                self.xml.skip_to_end(&self.qname)?;
                Ok(None)
            }
            b"v" if kind.is_raw() => {
                let value = match self.xml.next()? {
                    Token::Text => {
                        // the first text run only, up to an entity: what calamine reads
                        let text = self.xml.text();
                        let text = &text[..memchr::memchr(b'&', text).unwrap_or(text.len())];
                        let mut raw = std::mem::take(&mut self.raw);
                        raw.clear();
                        raw.extend_from_slice(text);
                        let value = if raw.is_empty() {
                            Ok(None)
                        } else {
                            self.raw_value(&raw, kind, format, row, col)
                        };
                        self.raw = raw;
                        value?
                    }
                    Token::End if self.xml.name() == self.qname.as_slice() => return Ok(None),
                    Token::Eof => {
                        return Err(format!("the sheet XML ends inside cell {}", at(row, col)))
                    }
                    _ => None,
                };
                self.xml.skip_to_end(&self.qname)?;
                Ok(value)
            }
            b"v" => {
                self.text.clear();
                loop {
                    match self.xml.next()? {
                        Token::Text => push_text(self.xml.text(), &mut self.text)?,
                        Token::End if self.xml.name() == self.qname.as_slice() => break,
                        Token::Eof => {
                            return Err(format!("the sheet XML ends inside cell {}", at(row, col)))
                        }
                        _ => (),
                    }
                }
                match kind {
                    CellType::Formula => {
                        unescape_excel(&mut self.text, 0);
                        Ok(Some((STRING, 0.0)))
                    }
                    CellType::Iso => Ok(Some((ISO_TEXT, 0.0))),
                    _ => Err(format!(
                        "cell {} has an unknown type t={:?}",
                        at(row, col),
                        String::from_utf8_lossy(&self.t_attr)
                    )),
                }
            }
            b"f" => {
                self.xml.skip_to_end(&self.qname)?;
                Ok(None)
            }
            other => Err(format!(
                "cell {} holds an unexpected <{}> (a cell holds v, f or is)",
                at(row, col),
                String::from_utf8_lossy(other)
            )),
        }
    }

    /// A `<v>` read raw, as calamine's `read_v` for the types without entities.
    fn raw_value(
        &mut self,
        raw: &[u8],
        kind: CellType,
        format: Option<&CellFormat>,
        row: u32,
        col: u32,
    ) -> Result<Option<(u8, f64)>, String> {
        let text = std::str::from_utf8(raw)
            .map_err(|_| format!("cell {} is not valid UTF-8", at(row, col)))?;
        match kind {
            CellType::Shared => {
                let index = atoi_simd::parse::<usize, true, false>(raw).unwrap_or(0);
                let Some(shared) = self.strings.get(index) else {
                    return Err(format!(
                        "cell {} names shared string {index}, which the workbook does not have",
                        at(row, col)
                    ));
                };
                self.text.clear();
                self.text.push_str(shared);
                Ok(Some((STRING, 0.0)))
            }
            CellType::Bool => {
                let value = text.trim();
                if value.is_empty() {
                    Ok(None)
                } else if value == "0" || value.eq_ignore_ascii_case("false") {
                    Ok(Some((BOOL, 0.0)))
                } else if value == "1" || value.eq_ignore_ascii_case("true") {
                    Ok(Some((BOOL, 1.0)))
                } else {
                    Err(format!(
                        "cell {} holds {text:?}, not a boolean",
                        at(row, col)
                    ))
                }
            }
            CellType::Error => {
                let error: CellErrorType = text.parse().map_err(|_| {
                    format!(
                        "cell {} holds {text:?}, not an Excel error code",
                        at(row, col)
                    )
                })?;
                self.text.clear();
                self.text.push_str(&error.to_string());
                Ok(Some((ERROR, 0.0)))
            }
            _ => match fast_float2::parse::<f64, _>(raw) {
                Ok(n) => Ok(Some(match format {
                    Some(CellFormat::DateTime) => (DATETIME, n),
                    Some(CellFormat::TimeDelta) => (DURATION, n),
                    _ if n.fract() == 0.0 && n.abs() < EXACT_INT => (INT, n),
                    _ => (FLOAT, n),
                })),
                Err(_) if kind == CellType::Untyped => {
                    self.text.clear();
                    self.text.push_str(text);
                    Ok(Some((STRING, 0.0)))
                }
                Err(_) => Err(format!(
                    "cell {} holds {text:?}, not a number",
                    at(row, col)
                )),
            },
        }
    }
}
