//! A minimal XML tokenizer for the few shapes an XLSX part takes, read from any `Read` in
//! blocks through one buffer. A token (tag or text) cut by a block boundary is carried over
//! to the front of the buffer and completed by the next block; the buffer grows only for a
//! single token longer than itself, up to `MAX_TOKEN_BYTES`, so memory stays bounded.
//!
//! It yields what quick-xml yields with calamine's settings (`expand_empty_elements`: a
//! self-closing `<a/>` is a Start then an End; text untrimmed; end names unchecked), so the
//! readers built on it follow calamine's event logic one for one. Entities are left in the
//! text: `text::push_text` resolves them where calamine does.

use std::io::Read;

use memchr::{memchr, memmem};

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

    /// Move the unread bytes to the front and read more after them (growing the buffer
    /// when one token fills it). False at the end of the input.
    fn fill(&mut self) -> Result<bool, String> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_TOKEN_BYTES {
                return Err(format!(
                    "an XML tag or text is longer than {} MiB",
                    MAX_TOKEN_BYTES >> 20
                ));
            }
            let grown = (self.buf.len() * 2).min(MAX_TOKEN_BYTES);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// The offset (from `pos`) where `find` matches in the unread bytes, reading more
    /// blocks as needed; None at the end of the input.
    fn find_ahead(
        &mut self,
        from: usize,
        find: impl Fn(&[u8]) -> Option<usize>,
    ) -> Result<Option<usize>, String> {
        let mut from = from;
        loop {
            if let Some(i) = find(&self.buf[self.pos + from..self.end]) {
                return Ok(Some(from + i));
            }
            from = self.end - self.pos;
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// The end of a tag from `pos` (`>` outside quoted attribute values), relative to pos.
    /// A plain byte loop: tags are short, where memchr's setup costs more than it saves.
    fn tag_end(&mut self) -> Result<usize, String> {
        let mut at = 1;
        let mut quote = 0u8;
        loop {
            for (i, &b) in self.buf[self.pos + at..self.end].iter().enumerate() {
                if quote != 0 {
                    if b == quote {
                        quote = 0;
                    }
                } else if b == b'>' {
                    return Ok(at + i);
                } else if b == b'"' || b == b'\'' {
                    quote = b;
                }
            }
            at = self.end - self.pos;
            if !self.fill()? {
                return Err(match quote {
                    0 => "the XML ends inside a tag".into(),
                    _ => "the XML ends inside an attribute value".into(),
                });
            }
        }
    }

    fn skip_past(&mut self, from: usize, marker: &[u8], what: &str) -> Result<usize, String> {
        let finder = memmem::Finder::new(marker);
        match self.find_ahead(from, |b| finder.find(b))? {
            Some(i) => Ok(i + marker.len()),
            None => Err(format!("the XML ends inside {what}")),
        }
    }

    /// The next token; its name, attributes and text are valid until the next call.
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
                let found = self.find_ahead(0, |b| memchr(b'<', b))?;
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
                    if self.buf[stop - 1] == b'/' && stop - 1 >= start {
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

    /// The current tag's qualified name (`x:c`).
    pub fn name(&self) -> &[u8] {
        &self.buf[self.name.0..self.name.1]
    }

    /// The current tag's name without its namespace prefix (`c`).
    pub fn local_name(&self) -> &[u8] {
        local(self.name())
    }

    /// The current text or CDATA, raw (entities unresolved).
    pub fn text(&self) -> &[u8] {
        &self.buf[self.body.0..self.body.1]
    }

    /// The current Start tag's attributes, raw (values' entities unresolved).
    pub fn attrs(&self) -> Attrs<'_> {
        Attrs {
            rest: &self.buf[self.body.0..self.body.1],
        }
    }

    /// The raw value of one attribute of the current Start tag (its exact name).
    pub fn attr(&self, key: &[u8]) -> Result<Option<&[u8]>, String> {
        for item in self.attrs() {
            let (k, v) = item?;
            if k == key {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// Skip to the End of the element whose Start was just read (`qname`), past nested
    /// elements of the same name, as quick-xml's `read_to_end_into`.
    pub fn skip_to_end(&mut self, qname: &[u8]) -> Result<(), String> {
        let qname = qname.to_vec();
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Token::Start if self.name() == qname.as_slice() => depth += 1,
                Token::End if self.name() == qname.as_slice() => {
                    if depth == 0 {
                        return Ok(());
                    }
                    depth -= 1;
                }
                Token::Eof => {
                    return Err(format!(
                        "the XML ends inside <{}>",
                        String::from_utf8_lossy(&qname)
                    ))
                }
                _ => (),
            }
        }
    }
}

pub fn local(name: &[u8]) -> &[u8] {
    match name.iter().position(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// `key="value"` pairs of a tag, raw.
pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), String>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest;
        let start = rest.iter().position(|&b| !is_space(b))?;
        let rest = &rest[start..];
        let bad = || {
            let shown = String::from_utf8_lossy(&rest[..rest.len().min(40)]).into_owned();
            Err(format!("a malformed XML attribute: {shown}"))
        };
        let Some(eq) = rest.iter().position(|&b| b == b'=') else {
            self.rest = &[];
            return Some(bad());
        };
        let key = rest[..eq].trim_ascii_end();
        let after = rest[eq + 1..].trim_ascii_start();
        let quote = match after.first() {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                self.rest = &[];
                return Some(bad());
            }
        };
        let Some(close) = after[1..].iter().position(|&b| b == quote) else {
            self.rest = &[];
            return Some(bad());
        };
        self.rest = &after[close + 2..];
        Some(Ok((key, &after[1..close + 1])))
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
        let mut s = Scanner::with_block(Trickle(xml, 7), block);
        let mut out = Vec::new();
        loop {
            let t = s.next().unwrap();
            let shown = match t {
                Token::Start => format!("<{}|{:?}>", lossy(s.name()), attrs(&s)),
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

    #[test]
    fn skip_to_end_passes_nested_namesakes() {
        let mut s = Scanner::with_block(Trickle(b"<f><f>x</f></f><v>2</v>", 7), 5);
        assert_eq!(s.next().unwrap(), Token::Start);
        s.skip_to_end(b"f").unwrap();
        assert_eq!(s.next().unwrap(), Token::Start);
        assert_eq!(s.local_name(), b"v");
    }
}
