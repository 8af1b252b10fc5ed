//! Test inputs built in code: zips and workbooks written to temporary files that delete
//! themselves, and the cells a reading of one gives back.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::batch::{has_text, EMPTY};
use crate::stream::{open_sheet, Limits};

/// A file under the system's temporary folder, removed when dropped.
pub struct TempFile(PathBuf);

impl TempFile {
    pub fn new(bytes: &[u8]) -> TempFile {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "bulkflow-xlsx-test-{}-{}.xlsx",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, bytes).expect("write a test file");
        TempFile(path)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A zip of `members` (name, bytes), each deflated, as bytes.
pub fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in members {
        zip.start_file(*name, options).expect("start a zip member");
        zip.write_all(bytes).expect("write a zip member");
    }
    zip.finish().expect("finish the zip").into_inner()
}

/// The parts every workbook has, for sheets named `names` (xl/worksheets/sheet<i>.xml).
fn workbook_parts(names: &[&str]) -> Vec<(String, String)> {
    let mut sheets = String::new();
    let mut rels = String::new();
    for (i, name) in names.iter().enumerate() {
        let n = i + 1;
        sheets.push_str(&format!(
            r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
    }
    vec![
        (
            "_rels/.rels".into(),
            r#"<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into(),
        ),
        (
            "xl/workbook.xml".into(),
            format!(
                r#"<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".into(),
            format!("<Relationships>{rels}</Relationships>"),
        ),
    ]
}

/// A workbook file of `sheets` (name, what goes inside `<sheetData>`) and `extra` members
/// (path, XML) such as xl/sharedStrings.xml or xl/styles.xml.
pub fn workbook(sheets: &[(&str, &str)], extra: &[(&str, &str)]) -> TempFile {
    let sheets: Vec<(&str, String)> = sheets
        .iter()
        .map(|(name, data)| {
            (
                *name,
                format!("<worksheet><sheetData>{data}</sheetData></worksheet>"),
            )
        })
        .collect();
    workbook_file(&sheets, extra)
}

/// A workbook file of one sheet, "data", whose whole XML is `xml`.
pub fn workbook_with_sheet_xml(xml: &str) -> TempFile {
    workbook_file(&[("data", xml.to_string())], &[])
}

fn workbook_file(sheets: &[(&str, String)], extra: &[(&str, &str)]) -> TempFile {
    let names: Vec<&str> = sheets.iter().map(|(name, _)| *name).collect();
    let mut members = workbook_parts(&names);
    for (i, (_, xml)) in sheets.iter().enumerate() {
        members.push((format!("xl/worksheets/sheet{}.xml", i + 1), xml.clone()));
    }
    for (path, xml) in extra {
        members.push((path.to_string(), xml.to_string()));
    }
    let members: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(path, xml)| (path.as_str(), xml.as_bytes()))
        .collect();
    TempFile::new(&zip_bytes(&members))
}

/// Rows `first..first + n` of one column each as `<row><c><v>i</v></c></row>`.
pub fn numbered_rows(first: u32, n: u32) -> String {
    (first..first + n)
        .map(|i| {
            format!(
                r#"<row r="{}"><c r="A{}"><v>{i}</v></c></row>"#,
                i + 1,
                i + 1
            )
        })
        .collect()
}

/// A cell as a reading gives it back: (row, col, kind, number, text).
pub type Got = (u32, u32, u8, f64, String);

/// Every non-empty cell of the file's first sheet, in batches of `batch_rows`.
pub fn read_cells(path: &str, batch_rows: u32) -> Result<Vec<Got>, String> {
    let limits = Limits {
        batch_rows,
        max_columns: 100,
        max_inflated_bytes: 1 << 30,
    };
    let mut reading = open_sheet(path, None, limits)?.reading;
    let mut cells = Vec::new();
    while let Some(batch) = reading.next_batch()? {
        for (col, column) in batch.columns.iter().enumerate() {
            for (i, &kind) in column.kind.iter().enumerate() {
                if kind == EMPTY {
                    continue;
                }
                let text = match has_text(kind) {
                    true => column.text[column.offsets[i] as usize..column.offsets[i + 1] as usize]
                        .to_vec(),
                    false => Vec::new(),
                };
                let text = String::from_utf8(text).expect("UTF-8 text");
                cells.push((
                    batch.first_row + i as u32,
                    col as u32,
                    kind,
                    column.values[i],
                    text,
                ));
            }
        }
    }
    cells.sort_by_key(|c| (c.0, c.1));
    Ok(cells)
}
