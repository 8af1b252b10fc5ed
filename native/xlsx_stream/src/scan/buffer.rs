//! The scanner's block buffer: input read from any `Read` in blocks into one buffer, the
//! unread tail of a block carried over to the front so a token cut by a block boundary is
//! completed by the next block, and the searches that find where a token ends. Kept apart
//! from the token state machine (scan.rs) because it is the only code that moves bytes and
//! the only place memory can grow: one token longer than the buffer doubles it, up to
//! `MAX_TOKEN_BYTES`, never more.

use std::io::Read;

use memchr::memmem;

use super::{Scanner, MAX_TOKEN_BYTES};

impl<R: Read> Scanner<R> {
    /// Move the unread bytes to the front and read more after them (growing the buffer
    /// when one token fills it). False at the end of the input.
    pub(super) fn fill(&mut self) -> Result<bool, String> {
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
    /// blocks as needed; None at the end of the input. A match is up to `overlap` + 1 bytes
    /// long: after a miss the search goes on `overlap` bytes back, so a match cut by the end
    /// of a block is found whole in the next.
    pub(super) fn find_ahead(
        &mut self,
        from: usize,
        overlap: usize,
        find: impl Fn(&[u8]) -> Option<usize>,
    ) -> Result<Option<usize>, String> {
        let mut from = from;
        loop {
            if let Some(i) = find(&self.buf[self.pos + from..self.end]) {
                return Ok(Some(from + i));
            }
            from = (self.end - self.pos).saturating_sub(overlap).max(from);
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// The end of a tag from `pos` (`>` outside quoted attribute values), relative to pos.
    /// A plain byte loop: tags are short, where memchr's setup costs more than it saves.
    pub(super) fn tag_end(&mut self) -> Result<usize, String> {
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

    pub(super) fn skip_past(
        &mut self,
        from: usize,
        marker: &[u8],
        what: &str,
    ) -> Result<usize, String> {
        let finder = memmem::Finder::new(marker);
        match self.find_ahead(from, marker.len() - 1, |b| finder.find(b))? {
            Some(i) => Ok(i + marker.len()),
            None => Err(format!("the XML ends inside {what}")),
        }
    }
}
