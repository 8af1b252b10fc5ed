//! The merged ranges declared past `</sheetData>`: read with every block size, kept up to
//! `MAX_MERGED` and counted past it; a damaged tail ends the list without failing the sheet.

use super::BLOCKS;
use crate::formats::CellFormat;
use crate::scan::Scanner;
use crate::sheet::{Merged, SheetCells, MAX_MERGED};

fn merged_with_block(xml: &str, block: usize) -> Merged {
    let scanner = Scanner::with_block(xml.as_bytes(), block);
    let formats = [CellFormat::Other];
    let mut cells = SheetCells::new(scanner, &[], &formats).unwrap();
    while cells.next_cell().unwrap().is_some() {}
    cells.merged()
}

fn merged(tail: &str) -> Merged {
    let xml = format!(
        r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>{tail}"#
    );
    let whole = merged_with_block(&xml, 64 * 1024);
    for block in BLOCKS {
        assert_eq!(
            merged_with_block(&xml, block),
            whole,
            "block {block}: {xml}"
        );
    }
    whole
}

#[test]
fn merged_ranges_after_the_cells_are_read() {
    let got = merged(concat!(
        r#"<sheetProtection sheet="1"/><mergeCells count="2">"#,
        r#"<mergeCell ref="C2:C5"/><mergeCell ref="A1:H1"/></mergeCells>"#,
        r#"<pageMargins left="0.7"/></worksheet>"#,
    ));
    assert_eq!(
        got,
        Merged {
            ranges: vec![((1, 2), (4, 2)), ((0, 0), (0, 7))],
            more: 0
        }
    );
    assert_eq!(merged("</worksheet>"), Merged::default());
}

#[test]
fn a_damaged_tail_ends_the_list() {
    let cut = merged(r#"<mergeCells><mergeCell ref="B2:B3"/><mergeCell ref="C"#);
    assert_eq!(cut.ranges, vec![((1, 1), (2, 1))]);
    let bad = merged(r#"<mergeCells><mergeCell ref="B2:B3"/><mergeCell ref="nope"/>"#);
    assert_eq!(bad.ranges, vec![((1, 1), (2, 1))]);
}

#[test]
fn ranges_past_the_cap_are_counted() {
    let tail: String = (0..MAX_MERGED + 5)
        .map(|i| format!(r#"<mergeCell ref="A{}:B{}"/>"#, i + 2, i + 2))
        .collect();
    let got = merged(&format!("<mergeCells>{tail}</mergeCells></worksheet>"));
    assert_eq!((got.ranges.len(), got.more), (MAX_MERGED, 5));
    assert_eq!(got.ranges[0], ((1, 0), (1, 1)));
}
