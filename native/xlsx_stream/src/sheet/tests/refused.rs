//! Cells and sheets that cannot be read, each refused with a reason that names the cell or
//! the part of the sheet at fault, alike on the fast path and the general walk.

use super::super::SheetCells;
use super::{cells, read, FORMATS};
use crate::scan::Scanner;

#[test]
fn a_cell_that_cannot_be_read_names_itself_and_why() {
    let cases = [
        (
            r#"<c r="B2" t="s"><v>7</v></c>"#,
            "cell B2 names shared string 7, which the workbook does not have",
        ),
        (
            r#"<c r="B2" t="e"><v>#SPILL?</v></c>"#,
            r##"cell B2 holds "#SPILL?", not an Excel error code"##,
        ),
        (
            r#"<c r="B2" t="b"><v>2</v></c>"#,
            r#"cell B2 holds "2", not a boolean"#,
        ),
        (
            r#"<c r="B2" t="n"><v>abc</v></c>"#,
            r#"cell B2 holds "abc", not a number"#,
        ),
        (
            r#"<c r="B2" t="x"><v>1</v></c>"#,
            r#"cell B2 has an unknown type t="x""#,
        ),
        (
            r#"<c r="B2"><foo/></c>"#,
            "cell B2 holds an unexpected <foo> (a cell holds v, f or is)",
        ),
        (
            r#"<c r="B0"><v>1</v></c>"#,
            r#"the cell reference "B0" is not a reference"#,
        ),
        (
            r#"<c r="2"><v>1</v></c>"#,
            r#"the cell reference "2" has no column"#,
        ),
    ];
    for (xml, reason) in cases {
        let rows = format!(r#"<row r="2">{xml}</row>"#);
        assert_eq!(cells(&rows), Err(reason.to_string()), "{xml}");
    }
}

#[test]
fn dimensions_and_the_sheets_shape() {
    let xml = r#"<?xml version="1.0"?><worksheet><sheetPr/><dimension ref="B2:D5"/><sheetData/></worksheet>"#;
    let strings = Vec::new();
    let sheet = SheetCells::new(Scanner::new(xml.as_bytes()), &strings, &FORMATS).unwrap();
    assert_eq!(sheet.dimensions, ((1, 1), (4, 3)));
    assert_eq!(read(xml), Ok(vec![]));
    let cases = [
        (
            "<chartsheet><sheetPr/></chartsheet>",
            "the sheet is not a worksheet (it is a <chartsheet>)",
        ),
        (
            "<worksheet><dimension/><sheetData/></worksheet>",
            "the sheet's <dimension> has no ref",
        ),
        (
            "<worksheet><dimension ref=\"A1:B2:C3\"/><sheetData/></worksheet>",
            "the sheet's dimension \"A1:B2:C3\" is not a range",
        ),
        (
            "<worksheet><sheetPr/>",
            "the sheet XML ends before its <sheetData>",
        ),
        (
            r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c>"#,
            "the sheet XML ends inside <sheetData>",
        ),
        (
            r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v>"#,
            "the sheet XML ends inside cell A1",
        ),
    ];
    for (xml, reason) in cases {
        assert_eq!(read(xml), Err(reason.to_string()), "{xml}");
    }
}
