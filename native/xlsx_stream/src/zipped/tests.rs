//! The inflation cap, a security boundary: forged sizes in the zip directory, a zip bomb, a
//! member that inflates past its declared size, a truncated deflate stream; and how members
//! are found and files refused. Every zip is written here, the forgeries patched in by hand.

use std::io::Read;

use super::Zipped;
use crate::testing::{zip_bytes, TempFile};

const LOCAL_HEADER: [u8; 4] = [0x50, 0x4B, 0x03, 0x04];
const CENTRAL_HEADER: [u8; 4] = [0x50, 0x4B, 0x01, 0x02];

/// Which of a member's two records (its local header, its central directory entry) to forge.
#[derive(Clone, Copy)]
enum Records {
    Both,
    CentralOnly,
}

/// Overwrite a little-endian u32 field of `name`'s records; `local` and `central` are the
/// field's offsets in the local header and in the central directory entry.
fn forge(
    zip: &mut [u8],
    name: &str,
    records: Records,
    (local, central): (usize, usize),
    value: u32,
) {
    let mut found = 0;
    for at in 0..zip.len().saturating_sub(46) {
        let (offset, name_at) = match &zip[at..at + 4] {
            sig if sig == LOCAL_HEADER && matches!(records, Records::Both) => (local, at + 30),
            sig if sig == CENTRAL_HEADER => (central, at + 46),
            _ => continue,
        };
        if zip.get(name_at..name_at + name.len()) == Some(name.as_bytes()) {
            zip[at + offset..at + offset + 4].copy_from_slice(&value.to_le_bytes());
            found += 1;
        }
    }
    let want = match records {
        Records::Both => 2,
        Records::CentralOnly => 1,
    };
    assert_eq!(found, want, "the records of {name}");
}

const UNCOMPRESSED: (usize, usize) = (22, 24);
const COMPRESSED: (usize, usize) = (18, 20);
const FLAGS: (usize, usize) = (6, 8);

/// The bytes read of `name` under `limit` before the end or an error.
fn inflate(zip: &[u8], name: &str, limit: u64) -> (u64, Result<(), String>) {
    let file = TempFile::new(zip);
    let mut zipped = Zipped::open(file.path(), limit).unwrap();
    let mut member = zipped.member(name).unwrap().expect("the member");
    let mut seen = 0u64;
    let mut block = vec![0u8; 8192];
    loop {
        match member.read(&mut block) {
            Ok(0) => return (seen, Ok(())),
            Ok(n) => seen += n as u64,
            Err(e) => return (seen, Err(e.to_string())),
        }
    }
}

fn text(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

#[test]
fn a_member_inflates_whole_up_to_the_limit_and_not_a_byte_more() {
    let zip = zip_bytes(&[("xl/sheet.xml", &text(10_000))]);
    assert_eq!(inflate(&zip, "xl/sheet.xml", 10_000), (10_000, Ok(())));
    let (seen, outcome) = inflate(&zip, "xl/sheet.xml", 9_999);
    assert!(seen <= 9_999, "{seen} bytes passed the limit");
    assert_eq!(
        outcome,
        Err("xl/sheet.xml inflates to more than the limit of 9999 bytes".into())
    );
}

#[test]
fn a_directory_that_understates_a_member_stops_it_at_the_declared_size() {
    let refused =
        Err("xl/sheet.xml inflates to more than the 100 bytes its zip directory declares".into());
    for records in [Records::Both, Records::CentralOnly] {
        let mut zip = zip_bytes(&[("xl/sheet.xml", &text(10_000))]);
        forge(&mut zip, "xl/sheet.xml", records, UNCOMPRESSED, 100);
        let (seen, outcome) = inflate(&zip, "xl/sheet.xml", 1 << 30);
        assert!(seen <= 100, "{seen} bytes passed the declared size");
        assert_eq!(outcome, refused);
    }
}

#[test]
fn a_zip_bomb_stops_at_the_limit_whatever_its_directory_declares() {
    const INFLATED: usize = 16 << 20;
    const LIMIT: u64 = 1 << 20;
    let honest = zip_bytes(&[("xl/sharedStrings.xml", &vec![b' '; INFLATED])]);
    assert!(
        honest.len() * 500 < INFLATED,
        "a bomb: {} bytes",
        honest.len()
    );
    let mut overstated = honest.clone();
    forge(
        &mut overstated,
        "xl/sharedStrings.xml",
        Records::Both,
        UNCOMPRESSED,
        u32::MAX - 1,
    );
    for zip in [honest, overstated] {
        let (seen, outcome) = inflate(&zip, "xl/sharedStrings.xml", LIMIT);
        assert!(seen <= LIMIT, "{seen} bytes passed the limit");
        assert_eq!(
            outcome,
            Err("xl/sharedStrings.xml inflates to more than the limit of 1048576 bytes".into())
        );
    }
}

#[test]
fn a_truncated_deflate_stream_is_an_error_not_a_short_member() {
    let zip = zip_bytes(&[("xl/sheet.xml", &text(100_000))]);
    let file = TempFile::new(&zip);
    let compressed = Zipped::open(file.path(), 1 << 30)
        .unwrap()
        .archive
        .by_name("xl/sheet.xml")
        .unwrap()
        .compressed_size();
    let mut cut = zip.clone();
    forge(
        &mut cut,
        "xl/sheet.xml",
        Records::Both,
        COMPRESSED,
        compressed as u32 / 2,
    );
    let (seen, outcome) = inflate(&cut, "xl/sheet.xml", 1 << 30);
    assert!(seen < 100_000);
    assert!(outcome.is_err(), "{seen} bytes and no error");
}

#[test]
fn a_file_cut_short_is_damaged() {
    let zip = zip_bytes(&[("xl/sheet.xml", &text(10_000))]);
    let file = TempFile::new(&zip[..zip.len() / 2]);
    let error = Zipped::open(file.path(), 1 << 30).err().unwrap();
    assert!(error.starts_with("the XLSX file is damaged: "), "{error}");
}

#[test]
fn an_encrypted_member_says_the_workbook_is_password_protected() {
    let mut zip = zip_bytes(&[("xl/workbook.xml", b"<workbook/>")]);
    forge(&mut zip, "xl/workbook.xml", Records::Both, FLAGS, 1);
    let file = TempFile::new(&zip);
    let mut zipped = Zipped::open(file.path(), 1 << 30).unwrap();
    let error = zipped.member("xl/workbook.xml").err().unwrap();
    assert_eq!(error, "the workbook is password-protected");
}

#[test]
fn files_that_are_not_zips_are_refused_with_a_reason() {
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(4096, 0);
    let cases = [
        (
            ole,
            "the XLSX file cannot be read: it is password-protected or an old .xls file",
        ),
        (b"a,b\n1,2\n".to_vec(), "the XLSX file is damaged: "),
    ];
    for (bytes, reason) in cases {
        let file = TempFile::new(&bytes);
        let error = Zipped::open(file.path(), 1 << 30).err().unwrap();
        assert!(error.starts_with(reason), "{error}");
    }
    let error = Zipped::open("/nonexistent/book.xlsx", 1 << 30)
        .err()
        .unwrap();
    assert!(error.starts_with("cannot read the file: "), "{error}");
}

#[test]
fn members_are_found_by_name_whatever_the_case_and_slashes() {
    let zip = zip_bytes(&[("XL\\Workbook.XML", b"<workbook/>")]);
    let file = TempFile::new(&zip);
    let mut zipped = Zipped::open(file.path(), 1 << 30).unwrap();
    let mut read = String::new();
    let mut member = zipped.member("xl/workbook.xml").unwrap().expect("found");
    member.read_to_string(&mut read).unwrap();
    assert_eq!(read, "<workbook/>");
    drop(member);
    assert!(zipped.member("xl/styles.xml").unwrap().is_none());
}
