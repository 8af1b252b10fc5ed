//! The shared strings part and the rich text it shares with inline string cells: the text
//! of an `<si>` or `<is>` as calamine reads it (phonetic runs left out, blanks trimmed unless
//! preserved, Excel's `_xHHHH_` escapes resolved). sheet.rs reads inline strings with the
//! same functions, so both kinds of string cell come out alike.

use std::io::Read;

use super::eof;
use crate::scan::{Scanner, Token};
use crate::text::{push_cdata, push_text, unescape_excel};

pub(super) fn shared_strings<R: Read>(xml: &mut Scanner<R>) -> Result<Vec<String>, String> {
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
}
