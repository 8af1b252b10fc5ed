//! Text and references as calamine reads them: XML entities and line ends (quick-xml's
//! `xml10_content` and calamine's `unescape_entity_to_buffer`), Excel's `_xHHHH_` escapes
//! (calamine's `unescape_xml`), cell references and the `<dimension>` range. Pure.

use memchr::{memchr, memchr2};

/// Append XML text to `out`: entities resolved, CR LF and lone CR made LF (only in the
/// literal text: `&#13;` stays a CR). An unknown entity is an error, as in calamine.
pub fn push_text(raw: &[u8], out: &mut String) -> Result<(), String> {
    let text = std::str::from_utf8(raw).map_err(|_| "the XML text is not valid UTF-8")?;
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(i) = memchr2(b'&', b'\r', &bytes[at..]) {
        let i = at + i;
        out.push_str(&text[at..i]);
        if bytes[i] == b'\r' {
            out.push('\n');
            at = if bytes.get(i + 1) == Some(&b'\n') {
                i + 2
            } else {
                i + 1
            };
            continue;
        }
        let Some(semi) = memchr(b';', &bytes[i..]) else {
            return Err("an XML entity has no closing ';'".into());
        };
        push_entity(&text[i + 1..i + semi], out)?;
        at = i + semi + 1;
    }
    out.push_str(&text[at..]);
    Ok(())
}

/// Append CDATA to `out` with its line ends normalized (entities stay as they are).
pub fn push_cdata(raw: &[u8], out: &mut String) -> Result<(), String> {
    let text = std::str::from_utf8(raw).map_err(|_| "the XML text is not valid UTF-8")?;
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(i) = memchr(b'\r', &bytes[at..]) {
        let i = at + i;
        out.push_str(&text[at..i]);
        out.push('\n');
        at = if bytes.get(i + 1) == Some(&b'\n') {
            i + 2
        } else {
            i + 1
        };
    }
    out.push_str(&text[at..]);
    Ok(())
}

fn push_entity(name: &str, out: &mut String) -> Result<(), String> {
    let resolved = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let bad = || format!("the XML holds an unknown entity &{name};");
            let number = name.strip_prefix('#').ok_or_else(bad)?;
            let (digits, radix) = match number.strip_prefix('x') {
                Some(hex) => (hex, 16),
                None => (number, 10),
            };
            if digits.starts_with(['+', '-']) {
                return Err(bad());
            }
            let code = u32::from_str_radix(digits, radix).map_err(|_| bad())?;
            if code == 0 {
                return Err(bad());
            }
            char::from_u32(code).ok_or_else(bad)?
        }
    };
    out.push(resolved);
    Ok(())
}

const ESCAPE_LEN: usize = 7; // _xHHHH_

fn parse_escape(bytes: &[u8], index: usize) -> Option<u16> {
    let e = bytes.get(index..index + ESCAPE_LEN)?;
    if e[0] != b'_' || e[1] != b'x' || e[6] != b'_' || !e[2..6].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(&e[2..6]).ok()?, 16).ok()
}

fn find_escape(bytes: &[u8], mut start: usize) -> Option<(usize, u16)> {
    while let Some(offset) = memchr(b'_', &bytes[start..]) {
        let index = start + offset;
        if let Some(unit) = parse_escape(bytes, index) {
            return Some((index, unit));
        }
        start = index + 1;
    }
    None
}

/// Excel's `_xHHHH_` escapes (UTF-16 units; `_x005F_` escapes a literal `_x`) resolved in
/// place, exactly as calamine's `unescape_xml`: a lone surrogate becomes U+FFFD.
pub fn unescape_excel(text: &mut String, from: usize) {
    let Some((mut index, mut unit)) = find_escape(text.as_bytes(), from) else {
        return;
    };
    let original = text.split_off(from);
    let bytes = original.as_bytes();
    let mut copied = 0;
    index -= from;
    loop {
        text.push_str(&original[copied..index]);
        index += ESCAPE_LEN;
        match unit {
            0xD800..=0xDBFF => match parse_escape(bytes, index) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    let code =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    text.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                    index += ESCAPE_LEN;
                }
                _ => text.push(char::REPLACEMENT_CHARACTER),
            },
            0xDC00..=0xDFFF => text.push(char::REPLACEMENT_CHARACTER),
            _ => text.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER)),
        }
        copied = index;
        match find_escape(bytes, index) {
            Some(next) => (index, unit) = next,
            None => break,
        }
    }
    text.push_str(&original[copied..]);
}

/// A cell reference (`B3`, `b3`, or a row alone `3`) as (0-based row, 0-based column if any).
fn row_and_column(range: &[u8]) -> Result<(u32, Option<u32>), String> {
    let bad = || {
        format!(
            "the cell reference {:?} is not a reference",
            String::from_utf8_lossy(range)
        )
    };
    let mut col: u32 = 0;
    let mut row: u32 = 0;
    let mut digits = false;
    for &b in range {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' if !digits => {
                let v = (b.to_ascii_uppercase() - b'A') as u32 + 1;
                col = col
                    .checked_mul(26)
                    .and_then(|c| c.checked_add(v))
                    .ok_or_else(bad)?;
            }
            b'0'..=b'9' => {
                digits = true;
                let v = (b - b'0') as u32;
                row = row
                    .checked_mul(10)
                    .and_then(|r| r.checked_add(v))
                    .ok_or_else(bad)?;
            }
            _ => return Err(bad()),
        }
    }
    let row = row.checked_sub(1).ok_or_else(bad)?;
    Ok((row, col.checked_sub(1)))
}

/// A cell's `r` as 0-based (row, column).
pub fn cell_position(range: &[u8]) -> Result<(u32, u32), String> {
    match row_and_column(range)? {
        (row, Some(col)) => Ok((row, col)),
        _ => Err(format!(
            "the cell reference {:?} has no column",
            String::from_utf8_lossy(range)
        )),
    }
}

/// A row's `r` as a 0-based row (a column in it is ignored).
pub fn row_position(range: &[u8]) -> Result<u32, String> {
    row_and_column(range).map(|(row, _)| row)
}

pub type Dims = ((u32, u32), (u32, u32));

/// `<dimension ref="A1:H10001">` (or a single cell) as ((first_row, first_col), (last...)).
pub fn dimension(range: &[u8]) -> Result<Dims, String> {
    let parts = range
        .split(|&b| b == b':')
        .map(cell_position)
        .collect::<Result<Vec<_>, _>>()?;
    match parts.as_slice() {
        [one] => Ok((*one, *one)),
        [start, end] => Ok((*start, *end)),
        _ => Err(format!(
            "the sheet's dimension {:?} is not a range",
            String::from_utf8_lossy(range)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(raw: &str) -> Result<String, String> {
        let mut out = String::new();
        push_text(raw.as_bytes(), &mut out).map(|()| out)
    }

    #[test]
    fn entities_and_line_ends() {
        assert_eq!(
            text("a&amp;b &lt;&gt;&quot;&apos; &#65;&#x42;&#xe9;").unwrap(),
            "a&b <>\"' ABé"
        );
        assert_eq!(text("1\r\n2\r3&#13;").unwrap(), "1\n2\n3\r");
        assert!(text("&nbsp;").unwrap_err().contains("&nbsp;"));
        assert!(text("&#0;").is_err());
        assert!(text("&amp").is_err());
    }

    #[test]
    fn excel_escapes() {
        let cases = [
            ("plain", "plain"),
            ("a_x000D_b", "a\rb"),
            ("_x005F_x000D_", "_x000D_"),
            ("_xD83D__xDCF7_", "\u{1F4F7}"),
            ("_xD83D_x", "\u{FFFD}x"),
            ("_x00e9", "_x00e9"),
        ];
        for (raw, want) in cases {
            let mut s = String::from("kept_x0041_");
            let from = s.len();
            s.push_str(raw);
            unescape_excel(&mut s, from);
            assert_eq!(s, format!("kept_x0041_{want}"), "{raw}");
        }
    }

    #[test]
    fn references() {
        assert_eq!(cell_position(b"A1").unwrap(), (0, 0));
        assert_eq!(cell_position(b"xfd1048576").unwrap(), (1_048_575, 16_383));
        assert_eq!(row_position(b"7").unwrap(), 6);
        assert!(cell_position(b"7").is_err());
        assert!(cell_position(b"A0").is_err());
        assert!(cell_position(b"A1B").is_err());
        assert_eq!(dimension(b"B2:H9").unwrap(), ((1, 1), (8, 7)));
        assert_eq!(dimension(b"A1").unwrap(), ((0, 0), (0, 0)));
    }
}
