//! A minimal XML tokenizer for the few shapes an XLSX part takes: the token state machine
//! (`Scanner::next`), read from any `Read` in blocks through one buffer (scan/buffer.rs), so
//! memory stays bounded; the current token's name, text and attributes are read through
//! scan/tags.rs.
//!
//! It yields what quick-xml yields with calamine's settings (`expand_empty_elements`: a
//! self-closing `<a/>` is a Start then an End; text untrimmed; end names unchecked), so the
//! readers built on it follow calamine's event logic one for one. Entities are left in the
//! text: `text::push_text` resolves them where calamine does.

mod buffer;
mod tags;

pub use tags::{local, Attrs};

use std::io::Read;

use memchr::memchr;

const BLOCK_BYTES: usize = 64 * 1024;
/// a single tag or text run longer than this is refused (Excel caps a cell at 32,767 chars)
pub const MAX_TOKEN_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    Start,
    End,
    Text,
    CData,
    Eof,
}

pub struct Scanner<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    // the current token: a tag's name and attributes, or a text's bytes
    name: (usize, usize),
    body: (usize, usize),
    // an End owed for the self-closing Start just returned
    owed_end: bool,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

impl<R: Read> Scanner<R> {
    pub fn new(src: R) -> Self {
        Self::with_block(src, BLOCK_BYTES)
    }

    /// A scanner with a small buffer, so tests can cut tokens at every boundary.
    pub fn with_block(src: R, block: usize) -> Self {
        Scanner {
            src,
            buf: vec![0; block.max(1)],
            pos: 0,
            end: 0,
            eof: false,
            name: (0, 0),
            body: (0, 0),
            owed_end: false,
        }
    }

    /// The next token; its name, attributes and text are valid until the next call.
    // not Iterator::next: a read error is an Err, and the end is a token (Eof), not None
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Token, String> {
        if self.owed_end {
            self.owed_end = false;
            return Ok(Token::End);
        }
        loop {
            if self.pos >= self.end && !self.fill()? {
                return Ok(Token::Eof);
            }
            if self.buf[self.pos] != b'<' {
                let found = self.find_ahead(0, 0, |b| memchr(b'<', b))?;
                let len = found.unwrap_or(self.end - self.pos);
                self.body = (self.pos, self.pos + len);
                self.pos += len;
                return Ok(Token::Text);
            }
            while self.end - self.pos < 2 {
                if !self.fill()? {
                    return Err("the XML ends inside a tag".into());
                }
            }
            match self.buf[self.pos + 1] {
                b'!' => {
                    while self.end - self.pos < 9 && self.fill()? {}
                    let rest = &self.buf[self.pos..self.end];
                    if rest.starts_with(b"<!--") {
                        let len = self.skip_past(4, b"-->", "a comment")?;
                        self.pos += len;
                    } else if rest.starts_with(b"<![CDATA[") {
                        let len = self.skip_past(9, b"]]>", "a CDATA section")?;
                        self.body = (self.pos + 9, self.pos + len - 3);
                        self.pos += len;
                        return Ok(Token::CData);
                    } else {
                        let len = self.tag_end()?;
                        self.pos += len + 1;
                    }
                }
                b'?' => {
                    let len = self.skip_past(2, b"?>", "a processing instruction")?;
                    self.pos += len;
                }
                b'/' => {
                    let len = self.tag_end()?;
                    let start = self.pos + 2;
                    let mut stop = self.pos + len;
                    while stop > start && is_space(self.buf[stop - 1]) {
                        stop -= 1;
                    }
                    self.name = (start, stop);
                    self.pos += len + 1;
                    return Ok(Token::End);
                }
                _ => {
                    let len = self.tag_end()?;
                    let start = self.pos + 1;
                    let mut stop = self.pos + len;
                    if self.buf[stop - 1] == b'/' && stop > start {
                        stop -= 1;
                        self.owed_end = true;
                    }
                    let inner = &self.buf[start..stop];
                    let name_len = inner
                        .iter()
                        .position(|&b| is_space(b))
                        .unwrap_or(inner.len());
                    self.name = (start, start + name_len);
                    self.body = (start + name_len, stop);
                    self.pos += len + 1;
                    return Ok(Token::Start);
                }
            }
        }
    }

    /// The bytes buffered and not yet read as tokens (none while an End is owed): a
    /// caller may recognise a whole element there and `consume` it (fastcell.rs).
    pub fn pending(&self) -> &[u8] {
        if self.owed_end {
            return &[];
        }
        &self.buf[self.pos..self.end]
    }

    /// Step over `n` bytes of `pending()`.
    pub fn consume(&mut self, n: usize) {
        debug_assert!(!self.owed_end && n <= self.end - self.pos);
        self.pos += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `n` bytes a call, to cut tokens anywhere.
    pub struct Trickle<'a>(pub &'a [u8], pub usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn tokens(xml: &[u8], block: usize) -> Vec<String> {
        shown(&mut Scanner::with_block(Trickle(xml, 7), block))
    }

    /// Every token to the end, shown as text.
    fn shown(s: &mut Scanner<Trickle>) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let t = s.next().unwrap();
            let shown = match t {
                Token::Start => format!("<{}|{:?}>", lossy(s.name()), attrs(s)),
                Token::End => format!("</{}>", lossy(s.name())),
                Token::Text => format!("T{}", lossy(s.text())),
                Token::CData => format!("C{}", lossy(s.text())),
                Token::Eof => break,
            };
            out.push(shown);
        }
        out
    }

    fn lossy(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    fn attrs(s: &Scanner<Trickle>) -> Vec<(String, String)> {
        s.attrs()
            .map(|a| a.unwrap())
            .map(|(k, v)| (lossy(k), lossy(v)))
            .collect()
    }

    #[test]
    fn tokens_survive_tiny_blocks() {
        let xml = b"<?xml version=\"1.0\"?><!-- a > b --><x:c r=\"A1\" t='s>'><v>1&amp;2</v><![CDATA[<z>]]><e/></x:c >";
        let want = vec![
            "<x:c|[(\"r\", \"A1\"), (\"t\", \"s>\")]>",
            "<v|[]>",
            "T1&amp;2",
            "</v>",
            "C<z>",
            "<e|[]>",
            "</e>",
            "</x:c>",
        ];
        for block in [1, 3, 7, 64, 4096] {
            assert_eq!(tokens(xml, block), want, "block {block}");
        }
    }

    #[test]
    fn markers_cut_by_a_block_boundary_are_found() {
        // `?>`, `-->` and `]]>` land across a block boundary at some block size; a CDATA
        // section must end at its own `]]>`, not at a later one
        let xml = b"<?xml version=\"1.0\"?><!-- note --><a><![CDATA[x]]y]]><b/><![CDATA[z]]></a>";
        let want = vec!["<a|[]>", "Cx]]y", "<b|[]>", "</b>", "Cz", "</a>"];
        for block in 1..=xml.len() + 1 {
            for trickle in [1, 2, 3, 7, 64] {
                let mut s = Scanner::with_block(Trickle(xml, trickle), block);
                assert_eq!(shown(&mut s), want, "block {block}, trickle {trickle}");
            }
        }
    }

    #[test]
    fn truncated_xml_is_an_error_not_a_panic() {
        for xml in [&b"<c r=\"A1"[..], b"<c", b"<!-- open", b"<", b"<![CDATA[x"] {
            let mut s = Scanner::with_block(Trickle(xml, 7), 4);
            let mut failed = false;
            for _ in 0..10 {
                match s.next() {
                    Err(_) => {
                        failed = true;
                        break;
                    }
                    Ok(Token::Eof) => break,
                    Ok(_) => (),
                }
            }
            assert!(failed, "{}", lossy(xml));
        }
    }
}
