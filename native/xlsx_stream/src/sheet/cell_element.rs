//! One `<c>` element of a worksheet read to its value, two ways that give the same cell:
//! `fast_cell` for the common shapes found whole in the scanner's buffer (fastcell.rs), and
//! the general token walk (`read_cell`, `read_value`) for everything else, as calamine's
//! `next_cell` reads it: `<v>` by the cell's type, `<is>` inline strings, `<f>` skipped.

use std::io::Read;

use crate::batch::{ISO_TEXT, STRING, UNCALCULATED};
use crate::fastcell::{self, Content};
use crate::formats::CellFormat;
use crate::parts::{read_rich_text, trim_ascii_blanks};
use crate::scan::Token;
use crate::text::{cell_position, push_text, unescape_excel};

use super::cell_value::CellType;
use super::{at, Cell, SheetCells};

impl<R: Read> SheetCells<'_, R> {
    /// A cell of a common shape whole in the buffer (fastcell.rs), read as `read_cell`
    /// reads it: Some(None) for an empty cell; None when the general walk must read it.
    pub(super) fn fast_cell(&mut self) -> Result<Option<Option<Cell>>, String> {
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
    pub(super) fn read_cell(&mut self) -> Result<Option<Cell>, String> {
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
        let (mut value, mut formula) = (None, false);
        loop {
            match self.xml.next()? {
                Token::Start if self.xml.local_name() == b"f" => {
                    formula = true;
                    self.qname.clear();
                    self.qname.extend_from_slice(self.xml.name());
                    self.xml.skip_to_end(&self.qname)?;
                }
                Token::Start => value = self.read_value(kind, format, row, col)?,
                Token::End if self.xml.local_name() == b"c" => break,
                Token::Eof => {
                    return Err(format!("the sheet XML ends inside cell {}", at(row, col)))
                }
                _ => (),
            }
        }
        self.col = self.col.wrapping_add(1);
        if value.is_none() && formula {
            value = Some((UNCALCULATED, 0.0));
        }
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
            other => Err(format!(
                "cell {} holds an unexpected <{}> (a cell holds v, f or is)",
                at(row, col),
                String::from_utf8_lossy(other)
            )),
        }
    }
}
