//! The workbook parts a sheet's cells need, read as calamine's `Xlsx::new` reads them: the
//! package relationships (where the workbook is), the workbook (sheet names and parts, the
//! 1904 flag), the shared strings and the number format of every cell style (`cellXfs`).
//! Date detection is calamine's own (`detect_custom_number_format`, `builtin_format_by_id`).
//!
//! Each part has its module: parts/workbook.rs (package relationships and the workbook),
//! parts/strings.rs (shared strings and the rich text of inline strings), parts/styles.rs
//! (cell styles' number formats); this one reads them in order and holds their helpers.

mod strings;
mod styles;
mod workbook;

pub use strings::{read_rich_text, trim_ascii_blanks};

use crate::formats::CellFormat;
use crate::scan::Scanner;
use crate::text::push_text;
use crate::zipped::Zipped;

pub struct Parts {
    /// (name, zip member) of every sheet, in workbook order
    pub sheets: Vec<(String, String)>,
    pub is_1904: bool,
    pub strings: Vec<String>,
    /// the number format kind of each cell style (`s` attribute) of the workbook
    pub formats: Vec<CellFormat>,
}

fn utf8(raw: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(raw).map_err(|_| "the XML is not valid UTF-8".to_string())
}

/// An attribute value with its entities resolved.
fn decoded(raw: &[u8]) -> Result<String, String> {
    let mut out = String::new();
    push_text(raw, &mut out)?;
    Ok(out)
}

fn eof(part: &str, inside: &str) -> String {
    format!("the XLSX file is damaged: {part} ends inside <{inside}>")
}

/// Read the parts; the sheets' cells are read later, by sheet.rs.
pub fn read_parts(zip: &mut Zipped) -> Result<Parts, String> {
    let (xl_path, workbook_name) = workbook::package_target(zip)?;
    let strings = match zip.member(&format!("{xl_path}sharedStrings.xml"))? {
        Some(member) => strings::shared_strings(&mut Scanner::new(member))?,
        None => Vec::new(),
    };
    let formats = match zip.member(&format!("{xl_path}styles.xml"))? {
        Some(member) => styles::cell_formats(&mut Scanner::new(member))?,
        None => Vec::new(),
    };
    let rels_path = format!("{xl_path}_rels/{workbook_name}.rels");
    let rels = match zip.member(&rels_path)? {
        Some(member) => workbook::relationships(&mut Scanner::new(member))?,
        None => return Err(format!("the XLSX file is damaged: it has no {rels_path}")),
    };
    let (sheets, is_1904) = match zip.member(&format!("{xl_path}{workbook_name}"))? {
        Some(member) => workbook::workbook(&mut Scanner::new(member), &rels, &xl_path)?,
        None => (Vec::new(), false),
    };
    Ok(Parts {
        sheets,
        is_1904,
        strings,
        formats,
    })
}
