//! The workbook's zip: members found as calamine finds them (case-insensitive, `\` as `/`)
//! and inflated through a counter that stops a member at its declared size or at the
//! caller's limit, whichever is lower. The zip crate inflates a deflate stream to its own
//! end, so a directory that understates a member would otherwise let it expand unchecked.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use zip::read::ZipFile;
use zip::result::ZipError;
use zip::ZipArchive;

#[cfg(test)]
mod tests;

/// an OLE container: an old .xls, or an encrypted .xlsx
const OLE_MAGIC: [u8; 4] = [0xD0, 0xCF, 0x11, 0xE0];

pub struct Zipped {
    archive: ZipArchive<BufReader<File>>,
    names: HashMap<String, String>,
    max_inflated_bytes: u64,
}

/// A member being inflated, refused once it yields more than `cap` bytes.
pub struct Capped<'a> {
    inner: ZipFile<'a, BufReader<File>>,
    name: String,
    declared: u64,
    limit: u64,
    seen: u64,
}

impl Read for Capped<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        // the zip crate stops a member at its declared size too, in its own words
        let n = self.inner.read(out).map_err(|e| {
            if e.to_string().contains("declared uncompressed size") {
                self.over_declared()
            } else {
                e
            }
        })?;
        self.seen += n as u64;
        if self.seen > self.declared {
            return Err(self.over_declared());
        }
        if self.seen > self.limit {
            return Err(std::io::Error::other(format!(
                "{} inflates to more than the limit of {} bytes",
                self.name, self.limit
            )));
        }
        Ok(n)
    }
}

impl Capped<'_> {
    fn over_declared(&self) -> std::io::Error {
        std::io::Error::other(format!(
            "{} inflates to more than the {} bytes its zip directory declares",
            self.name, self.declared
        ))
    }
}

fn zip_error(e: ZipError) -> String {
    match e {
        ZipError::UnsupportedArchive(reason) if reason.contains("assword") => {
            "the workbook is password-protected".into()
        }
        e => format!("the XLSX file is damaged: {e}"),
    }
}

impl Zipped {
    pub fn open(path: &str, max_inflated_bytes: u64) -> Result<Zipped, String> {
        let mut file = File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
        let mut magic = [0u8; 4];
        if file.read_exact(&mut magic).is_ok() && magic == OLE_MAGIC {
            return Err(
                "the XLSX file cannot be read: it is password-protected or an old .xls file".into(),
            );
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| format!("cannot read the file: {e}"))?;
        let archive = ZipArchive::new(BufReader::new(file)).map_err(zip_error)?;
        let names = archive
            .file_names()
            .filter_map(Result::ok)
            .map(|n| (n.replace('\\', "/").to_ascii_lowercase(), n.to_string()))
            .collect();
        Ok(Zipped {
            archive,
            names,
            max_inflated_bytes,
        })
    }

    /// The member `path` (None when the zip has no such member), capped.
    pub fn member(&mut self, path: &str) -> Result<Option<Capped<'_>>, String> {
        let wanted = path.to_ascii_lowercase();
        let name = self
            .names
            .get(&wanted)
            .cloned()
            .unwrap_or_else(|| path.to_string());
        let inner = match self.archive.by_name(&name) {
            Ok(inner) => inner,
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(zip_error(e)),
        };
        let declared = inner.size();
        Ok(Some(Capped {
            inner,
            name,
            declared,
            limit: self.max_inflated_bytes,
            seen: 0,
        }))
    }
}
