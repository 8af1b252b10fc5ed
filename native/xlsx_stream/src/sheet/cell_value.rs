//! What a cell's raw `<v>` holds, by its type (`t`) and style (`s`), as calamine's `read_v`
//! decides it: a shared string, a boolean, an Excel error code, or a number (a date or a
//! duration under a date or duration style, an integer when exact in an f64). Kept apart
//! from the element walk (cell_element.rs) so both of its paths share these rules.

use std::io::Read;

use crate::batch::{BOOL, DATETIME, DURATION, ERROR, FLOAT, INT, STRING};
use crate::formats::CellFormat;

use super::{at, SheetCells};

const EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53

/// The error values a `t="e"` cell holds, spelled as Excel writes them; a cell with any other
/// text is refused (calamine refuses it too, so the XLSX readers agree).
pub(super) const ERROR_CODES: [&str; 7] = [
    "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!",
];

#[derive(Clone, Copy, PartialEq)]
pub(super) enum CellType {
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
    pub(super) fn of(t: Option<&[u8]>) -> CellType {
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
    pub(super) fn is_raw(self) -> bool {
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

impl<R: Read> SheetCells<'_, R> {
    /// A `<v>` read raw, as calamine's `read_v` for the types without entities.
    pub(super) fn raw_value(
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
                if !ERROR_CODES.contains(&text) {
                    return Err(format!(
                        "cell {} holds {text:?}, not an Excel error code",
                        at(row, col)
                    ));
                }
                self.text.clear();
                self.text.push_str(text);
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
