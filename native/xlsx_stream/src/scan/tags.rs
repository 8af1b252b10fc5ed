//! What the caller reads of the current token: a tag's name (qualified or local), a text's
//! raw bytes, a Start tag's attributes (`Attrs`, parsed lazily from the tag's bytes only when
//! asked for), and `skip_to_end` past an element the caller does not need. Apart from the
//! state machine (scan.rs) because these only look at the token it has already found.

use std::io::Read;

use super::{is_space, Scanner, Token};

impl<R: Read> Scanner<R> {
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
    use super::super::tests::Trickle;
    use super::*;

    #[test]
    fn skip_to_end_passes_nested_namesakes() {
        let mut s = Scanner::with_block(Trickle(b"<f><f>x</f></f><v>2</v>", 7), 5);
        assert_eq!(s.next().unwrap(), Token::Start);
        s.skip_to_end(b"f").unwrap();
        assert_eq!(s.next().unwrap(), Token::Start);
        assert_eq!(s.local_name(), b"v");
    }
}
