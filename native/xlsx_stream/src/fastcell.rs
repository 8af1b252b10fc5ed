//! The shapes nearly every cell takes, recognised in one pass over the buffered bytes:
//! `<c r="B2" s="1" t="s"><v>12</v></c>`, `<c r="B2" t="inlineStr"><is><t>text</t></is></c>`
//! and the self-closing `<c r="B2"/>`. The general token walk (sheet.rs) costs some six
//! tokens and an attribute iteration a cell; this reads the same bytes once. Anything else
//! (other attributes, prefixes, formulas, `xml:space`, rich runs, a cell cut by the end of
//! the buffer) is left to the general walk, so what a cell means is decided in one place.

use memchr::memchr;

/// What a recognised cell holds, its bytes raw (entities unresolved).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Content<'a> {
    /// `<c .../>` or `<c ...></c>`
    Empty,
    /// `<v>...</v>`: the text between, no markup in it
    Value(&'a [u8]),
    /// `<is><t>...</t></is>`: the text between, no markup in it
    Inline(&'a [u8]),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FastCell<'a> {
    /// bytes from `<c` to the end of `</c>` (or `/>`)
    pub len: usize,
    pub r: Option<&'a [u8]>,
    pub s: Option<&'a [u8]>,
    pub t: Option<&'a [u8]>,
    pub content: Content<'a>,
}

/// The cell at the start of `b`, when it is whole in `b` and of a common shape.
pub fn parse(b: &[u8]) -> Option<FastCell<'_>> {
    if !b.starts_with(b"<c ") {
        return None;
    }
    let (mut r, mut s, mut t) = (None, None, None);
    let mut i = 3;
    loop {
        while *b.get(i)? == b' ' {
            i += 1;
        }
        match b[i] {
            b'/' if *b.get(i + 1)? == b'>' => {
                let content = Content::Empty;
                return Some(FastCell {
                    len: i + 2,
                    r,
                    s,
                    t,
                    content,
                });
            }
            b'>' => {
                i += 1;
                break;
            }
            _ => {
                // name="value", the name one byte (r, s or t): any other attribute, a
                // single quote or spaces around '=' go the general way
                let (name, rest) = (b[i], b.get(i + 1..i + 3)?);
                if rest != b"=\"" {
                    return None;
                }
                let start = i + 3;
                let close = start + memchr(b'"', &b[start..])?;
                let value = Some(&b[start..close]);
                match name {
                    b'r' => r = value,
                    b's' => s = value,
                    b't' => t = value,
                    _ => return None,
                }
                i = close + 1;
                if !matches!(b.get(i)?, b' ' | b'>' | b'/') {
                    return None;
                }
            }
        }
    }
    let rest = &b[i..];
    let (content, len) = if rest.starts_with(b"</c>") {
        (Content::Empty, 4)
    } else if let Some(text) = rest.strip_prefix(b"<v>") {
        let end = memchr(b'<', text)?;
        if !text[end..].starts_with(b"</v></c>") {
            return None;
        }
        (Content::Value(&text[..end]), 3 + end + 8)
    } else if let Some(text) = rest.strip_prefix(b"<is><t>") {
        let end = memchr(b'<', text)?;
        if !text[end..].starts_with(b"</t></is></c>") {
            return None;
        }
        (Content::Inline(&text[..end]), 7 + end + 13)
    } else {
        return None;
    };
    Some(FastCell {
        len: i + len,
        r,
        s,
        t,
        content,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (len, r, s, t, content) of a parsed cell
    type Shape<'a> = (
        usize,
        Option<&'a [u8]>,
        Option<&'a [u8]>,
        Option<&'a [u8]>,
        Content<'a>,
    );

    fn cell(xml: &[u8]) -> Option<Shape<'_>> {
        parse(xml).map(|c| (c.len, c.r, c.s, c.t, c.content))
    }

    #[test]
    fn common_shapes_are_read_whole() {
        let xml = b"<c r=\"B2\" s=\"3\" t=\"s\"><v>12</v></c><c";
        assert_eq!(
            cell(xml),
            Some((
                xml.len() - 2,
                Some(&b"B2"[..]),
                Some(&b"3"[..]),
                Some(&b"s"[..]),
                Content::Value(b"12")
            ))
        );
        let xml = b"<c r=\"C9\" t=\"inlineStr\"><is><t>a &amp; b</t></is></c>";
        assert_eq!(
            cell(xml),
            Some((
                xml.len(),
                Some(&b"C9"[..]),
                None,
                Some(&b"inlineStr"[..]),
                Content::Inline(b"a &amp; b")
            ))
        );
        let xml = b"<c r=\"H2\" t=\"inlineStr\" />";
        assert_eq!(
            cell(xml).map(|c| (c.0, c.4)),
            Some((xml.len(), Content::Empty))
        );
        let xml = b"<c r=\"A1\"></c>";
        assert_eq!(
            cell(xml).map(|c| (c.0, c.4)),
            Some((xml.len(), Content::Empty))
        );
        let xml = b"<c r=\"A1\"><v></v></c>";
        assert_eq!(cell(xml).map(|c| c.4), Some(Content::Value(b"")));
    }

    #[test]
    fn other_shapes_and_cut_cells_go_the_general_way() {
        for xml in [
            &b"<x:c r=\"A1\"><x:v>1</x:v></x:c>"[..],
            b"<c r=\"A1\" cm=\"1\"><v>1</v></c>",
            b"<c r='A1'><v>1</v></c>",
            b"<c r = \"A1\"><v>1</v></c>",
            b"<c r=\"A1\"><f>1+1</f><v>2</v></c>",
            b"<c r=\"A1\" t=\"inlineStr\"><is><t xml:space=\"preserve\"> a</t></is></c>",
            b"<c r=\"A1\" t=\"inlineStr\"><is><r><t>a</t></r></is></c>",
            b"<c r=\"A1\"><v>1</v></c >",
            b"<c r=\"A1\"rr=\"1\"><v>1</v></c>",
            b"<c r=\"A1\"><v>1</v></c",
            b"<c r=\"A1\"><v>1</v>",
            b"<c r=\"A1\"><v>1",
            b"<c r=\"A1",
            b"<c r=",
            b"<c ",
            b"<c/>",
            b"<cx r=\"A1\"/>",
        ] {
            assert_eq!(cell(xml), None, "{}", String::from_utf8_lossy(xml));
        }
    }
}
