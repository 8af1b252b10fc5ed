//! The package relationships and the workbook part: where the workbook is (_rels/.rels),
//! its relationships (which zip member each sheet is) and the workbook itself (sheet names
//! in order, the 1904 date flag). Read as calamine's `Xlsx::new` reads them, so a workbook
//! opens here exactly when it opens there.

use std::collections::HashMap;
use std::io::Read;

use super::{decoded, eof, utf8};
use crate::scan::{local, Scanner, Token};
use crate::zipped::Zipped;

/// The workbook's folder ("xl/") and file name, from _rels/.rels (calamine's defaults
/// when it names none).
pub(super) fn package_target(zip: &mut Zipped) -> Result<(String, String), String> {
    let default = ("xl/".to_string(), "workbook.xml".to_string());
    let Some(member) = zip.member("_rels/.rels")? else {
        return Ok(default);
    };
    let mut xml = Scanner::new(member);
    let mut target = None;
    loop {
        match xml.next()? {
            Token::Start if xml.local_name() == b"Relationship" => {
                let kind = xml.attr(b"Type")?.unwrap_or_default();
                if kind.ends_with(b"/relationships/officeDocument") {
                    if let Some(t) = xml.attr(b"Target")? {
                        target = Some(decoded(t)?);
                    }
                }
            }
            Token::End if xml.local_name() == b"Relationships" => break,
            Token::Eof => return Err(eof("_rels/.rels", "Relationships")),
            _ => (),
        }
    }
    let Some(target) = target else {
        return Ok(default);
    };
    let (dir, name) = match target.rfind('/') {
        Some(i) => target.split_at(i + 1),
        None => ("", target.as_str()),
    };
    let name = if name.is_empty() {
        "workbook.xml"
    } else {
        name
    };
    Ok((
        dir.strip_prefix('/').unwrap_or(dir).to_string(),
        name.to_string(),
    ))
}

pub(super) fn relationships<R: Read>(
    xml: &mut Scanner<R>,
) -> Result<HashMap<String, (String, String)>, String> {
    let mut rels = HashMap::new();
    loop {
        match xml.next()? {
            Token::Start if xml.local_name() == b"Relationship" => {
                let (mut id, mut kind, mut target) = (None, None, None);
                for attr in xml.attrs() {
                    match attr? {
                        (b"Id", v) => id = Some(utf8(v)?.to_string()),
                        (b"Type", v) => kind = Some(utf8(v)?.to_string()),
                        (b"Target", v) => target = Some(utf8(v)?.to_string()),
                        _ => (),
                    }
                }
                if let Some(id) = id {
                    rels.insert(id, (target.unwrap_or_default(), kind.unwrap_or_default()));
                }
            }
            Token::End if xml.local_name() == b"Relationships" => return Ok(rels),
            Token::Eof => return Err(eof("the workbook's relationships", "Relationships")),
            _ => (),
        }
    }
}

pub(super) type Sheets = Vec<(String, String)>;

pub(super) fn workbook<R: Read>(
    xml: &mut Scanner<R>,
    rels: &HashMap<String, (String, String)>,
    xl_path: &str,
) -> Result<(Sheets, bool), String> {
    let mut sheets = Vec::new();
    let mut is_1904 = false;
    loop {
        match xml.next()? {
            Token::Start if xml.local_name() == b"sheet" => {
                let (mut name, mut rel_id) = (String::new(), &b""[..]);
                for attr in xml.attrs() {
                    let (key, value) = attr?;
                    if key == b"name" {
                        name = decoded(value)?;
                    } else if local(key) == b"id" {
                        rel_id = value;
                    }
                }
                let (target, kind) = rels.get(utf8(rel_id)?).ok_or_else(|| {
                    format!("the XLSX file is damaged: the sheet {name:?} has no relationship")
                })?;
                let part = match target.strip_prefix('/') {
                    Some(absolute) => absolute.to_string(),
                    None => format!("{xl_path}{target}"),
                };
                let known = ["worksheet", "chartsheet", "dialogsheet"];
                if !known.contains(&kind.rsplit('/').next().unwrap_or_default()) {
                    return Err(format!("the XLSX file is damaged: {part} is not a sheet"));
                }
                sheets.push((name, part));
            }
            Token::Start if xml.local_name() == b"workbookPr" => {
                if let Some(v) = xml.attr(b"date1904")? {
                    is_1904 = v == b"1" || v == b"true";
                }
            }
            Token::End if xml.local_name() == b"workbook" => return Ok((sheets, is_1904)),
            Token::Eof => return Err(eof("the workbook", "workbook")),
            _ => (),
        }
    }
}
