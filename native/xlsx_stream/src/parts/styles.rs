//! The styles part: the number format kind (date, duration or other) of every cell style of
//! `<cellXfs>`, the index a cell's `s` attribute names. Only this decides whether a number
//! cell is a date, so it follows calamine's rules (`detect_custom_number_format`,
//! `builtin_format_by_id`) and nothing else of the styles is read.

use std::collections::HashMap;
use std::io::Read;

use super::{decoded, eof, utf8};
use crate::formats::{builtin_format_by_id, detect_custom_number_format, CellFormat};
use crate::scan::{Scanner, Token};

/// The number format kind of every `<xf>` of `<cellXfs>`, by calamine's rules: a custom
/// `<numFmt>` declared before it, else a built-in format id.
pub(super) fn cell_formats<R: Read>(xml: &mut Scanner<R>) -> Result<Vec<CellFormat>, String> {
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
                        let qname = xml.name().to_vec();
                        xml.skip_to_end(&qname)?;
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
