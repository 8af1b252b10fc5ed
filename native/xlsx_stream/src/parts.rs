//! The workbook parts a sheet's cells need, read as calamine's `Xlsx::new` reads them: the
//! package relationships (where the workbook is), the workbook (sheet names and parts, the
//! 1904 flag), the shared strings and the number format of every cell style (`cellXfs`).
//! Date detection is calamine's own (`detect_custom_number_format`, `builtin_format_by_id`).

use std::collections::HashMap;
use std::io::Read;

use crate::formats::{builtin_format_by_id, detect_custom_number_format, CellFormat};

use crate::scan::{local, Scanner, Token};
use crate::text::{push_cdata, push_text, unescape_excel};
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
    let (xl_path, workbook_name) = package_target(zip)?;
    let strings = match zip.member(&format!("{xl_path}sharedStrings.xml"))? {
        Some(member) => shared_strings(&mut Scanner::new(member))?,
        None => Vec::new(),
    };
    let formats = match zip.member(&format!("{xl_path}styles.xml"))? {
        Some(member) => cell_formats(&mut Scanner::new(member))?,
        None => Vec::new(),
    };
    let rels_path = format!("{xl_path}_rels/{workbook_name}.rels");
    let rels = match zip.member(&rels_path)? {
        Some(member) => relationships(&mut Scanner::new(member))?,
        None => return Err(format!("the XLSX file is damaged: it has no {rels_path}")),
    };
    let (sheets, is_1904) = match zip.member(&format!("{xl_path}{workbook_name}"))? {
        Some(member) => workbook(&mut Scanner::new(member), &rels, &xl_path)?,
        None => (Vec::new(), false),
    };
    Ok(Parts {
        sheets,
        is_1904,
        strings,
        formats,
    })
}

/// The workbook's folder ("xl/") and file name, from _rels/.rels (calamine's defaults
/// when it names none).
fn package_target(zip: &mut Zipped) -> Result<(String, String), String> {
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

fn relationships<R: Read>(
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

type Sheets = Vec<(String, String)>;

fn workbook<R: Read>(
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

fn shared_strings<R: Read>(xml: &mut Scanner<R>) -> Result<Vec<String>, String> {
    let mut strings = Vec::new();
    loop {
        match xml.next()? {
            Token::Start if xml.local_name() == b"sst" => break,
            Token::Eof => return Err(eof("the shared strings", "sst")),
            _ => (),
        }
    }
    loop {
        match xml.next()? {
            Token::Start if xml.local_name() == b"si" => {
                let closing = xml.name().to_vec();
                let mut text = String::new();
                read_rich_text(xml, &closing, &mut text)?;
                strings.push(text);
            }
            Token::End if xml.local_name() == b"sst" => return Ok(strings),
            Token::Eof => return Err(eof("the shared strings", "sst")),
            _ => (),
        }
    }
}

/// The text of an `<si>` or `<is>` (its Start just read; `closing` its name) appended to
/// `out`: every `<t>` outside phonetic runs (`<rPh>`), each trimmed of ASCII blanks unless
/// `xml:space="preserve"`, with Excel's escapes resolved, as calamine's
/// `read_string_with_bufs`.
pub fn read_rich_text<R: Read>(
    xml: &mut Scanner<R>,
    closing: &[u8],
    out: &mut String,
) -> Result<(), String> {
    let mut phonetic = false;
    loop {
        match xml.next()? {
            Token::Start if xml.local_name() == b"rPh" => phonetic = true,
            Token::End if xml.name() == closing => return Ok(()),
            Token::End if xml.local_name() == b"rPh" => phonetic = false,
            Token::Start if xml.local_name() == b"t" && !phonetic => {
                let preserve = xml.attr(b"xml:space")? == Some(b"preserve");
                let t = xml.name().to_vec();
                let start = out.len();
                loop {
                    match xml.next()? {
                        Token::Text => push_text(xml.text(), out)?,
                        Token::CData => push_cdata(xml.text(), out)?,
                        Token::End if xml.name() == t.as_slice() => break,
                        Token::Eof => return Err("the XML ends inside <t>".into()),
                        _ => (),
                    }
                }
                if !preserve {
                    trim_from(out, start);
                }
                unescape_excel(out, start);
            }
            Token::Eof => return Err("the XML ends inside a string".into()),
            _ => (),
        }
    }
}

/// Trim ASCII blanks off a whole string, as `trim_from` does.
pub fn trim_ascii_blanks(out: &mut String) {
    trim_from(out, 0);
}

/// Trim ASCII blanks off `out[start..]` (Unicode spaces such as U+00A0 stay, as in calamine).
fn trim_from(out: &mut String, start: usize) {
    const BLANKS: [char; 4] = [' ', '\t', '\r', '\n'];
    let tail = &out[start..];
    if !tail.starts_with(BLANKS) && !tail.ends_with(BLANKS) {
        return;
    }
    let kept = tail.trim_matches(BLANKS);
    let (skip, len) = (kept.as_ptr() as usize - tail.as_ptr() as usize, kept.len());
    out.replace_range(start..start + skip, "");
    out.truncate(start + len);
}

/// The number format kind of every `<xf>` of `<cellXfs>`, by calamine's rules: a custom
/// `<numFmt>` declared before it, else a built-in format id.
fn cell_formats<R: Read>(xml: &mut Scanner<R>) -> Result<Vec<CellFormat>, String> {
    let mut custom: HashMap<String, String> = HashMap::new();
    let mut formats = Vec::new();
    loop {
        match xml.next()? {
            Token::Start if xml.local_name() == b"numFmts" => loop {
                match xml.next()? {
                    Token::Start if xml.local_name() == b"numFmt" => {
                        let (mut id, mut code) = (None, None);
                        for attr in xml.attrs() {
                            match attr? {
                                (b"numFmtId", v) => id = Some(utf8(v)?.to_string()),
                                (b"formatCode", v) => code = Some(decoded(v)?),
                                _ => (),
                            }
                        }
                        if let (Some(id), Some(code)) = (id, code) {
                            custom.insert(id, code);
                        }
                    }
                    Token::End if xml.local_name() == b"numFmts" => break,
                    Token::Eof => return Err(eof("the styles", "numFmts")),
                    _ => (),
                }
            },
            Token::Start if xml.local_name() == b"cellXfs" => loop {
                match xml.next()? {
                    Token::Start if xml.local_name() == b"xf" => {
                        let format = match xml.attr(b"numFmtId")? {
                            None => CellFormat::Other,
                            Some(id) => {
                                let id = utf8(id)?;
                                match custom.get(id) {
                                    Some(code) => detect_custom_number_format(code),
                                    None => builtin_format_by_id(id),
                                }
                            }
                        };
                        formats.push(format);
                        xml.skip_to_end(&xml.name().to_vec())?;
                    }
                    Token::End if xml.local_name() == b"cellXfs" => break,
                    Token::Eof => return Err(eof("the styles", "cellXfs")),
                    _ => (),
                }
            },
            Token::End if xml.local_name() == b"styleSheet" => return Ok(formats),
            Token::Eof => return Err(eof("the styles", "styleSheet")),
            _ => (),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(xml: &str) -> Vec<String> {
        shared_strings(&mut Scanner::with_block(xml.as_bytes(), 5)).unwrap()
    }

    #[test]
    fn shared_strings_plain_rich_phonetic_and_blank() {
        let xml = concat!(
            "<sst><si><t> a&amp;b </t></si>",
            "<x:si><x:r><x:t xml:space=\"preserve\"> one</x:t></x:r><x:r><x:t>two </x:t></x:r>",
            "<x:rPh><x:t>ふり</x:t></x:rPh></x:si>",
            "<si/><si><t>_x000D_x</t></si></sst>"
        );
        assert_eq!(strings(xml), vec!["a&b", " onetwo", "", "\rx"]);
    }

    #[test]
    fn cell_formats_by_custom_and_builtin_ids() {
        let xml = concat!(
            "<styleSheet><numFmts><numFmt numFmtId=\"164\" formatCode=\"[h]:mm:ss\"/>",
            "<numFmt numFmtId=\"165\" formatCode=\"&quot;x&quot;0.00\"/></numFmts>",
            "<cellStyleXfs><xf numFmtId=\"14\"/></cellStyleXfs>",
            "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"><alignment/></xf>",
            "<xf numFmtId=\"164\"/><xf numFmtId=\"165\"/><xf/></cellXfs></styleSheet>"
        );
        let got = cell_formats(&mut Scanner::with_block(xml.as_bytes(), 3)).unwrap();
        assert_eq!(
            got,
            vec![
                CellFormat::Other,
                CellFormat::DateTime,
                CellFormat::TimeDelta,
                CellFormat::Other,
                CellFormat::Other
            ]
        );
    }
}
