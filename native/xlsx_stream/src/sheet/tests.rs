//! Cell elements read to their values: every cell type, inline and shared strings, error
//! cells, formulas with cached values, dates by style, positions and odd attributes. Each
//! sheet is read with scanner blocks from 1 byte up, so a cell is met whole (the fast path,
//! fastcell.rs) and cut at every boundary (the general walk): both must give the same cells.

use super::SheetCells;
use crate::batch::{
    has_text, BOOL, DATETIME, DURATION, ERROR, FLOAT, INT, ISO_TEXT, STRING, UNCALCULATED,
};
use crate::formats::CellFormat;
use crate::scan::Scanner;
use crate::testing::Got;

mod merged;
mod refused;

const STRINGS: [&str; 2] = ["zero", "one"];
/// styles 0, 1 and 2: a plain number, a date, a duration
pub(super) const FORMATS: [CellFormat; 3] = [
    CellFormat::Other,
    CellFormat::DateTime,
    CellFormat::TimeDelta,
];
const BLOCKS: [usize; 9] = [1, 2, 3, 5, 8, 13, 64, 512, 64 * 1024];

fn read_with_block(xml: &str, block: usize) -> Result<Vec<Got>, String> {
    let strings: Vec<String> = STRINGS.iter().map(|s| s.to_string()).collect();
    let scanner = Scanner::with_block(xml.as_bytes(), block);
    let mut cells = SheetCells::new(scanner, &strings, &FORMATS)?;
    let mut got = Vec::new();
    while let Some(cell) = cells.next_cell()? {
        let text = match has_text(cell.kind) {
            true => cells.text.clone(),
            false => String::new(),
        };
        got.push((cell.row, cell.col, cell.kind, cell.number, text));
    }
    Ok(got)
}

/// The sheet XML read with every block size; all readings must agree.
pub(super) fn read(xml: &str) -> Result<Vec<Got>, String> {
    let whole = read_with_block(xml, 64 * 1024);
    for block in BLOCKS {
        assert_eq!(read_with_block(xml, block), whole, "block {block}: {xml}");
    }
    whole
}

/// The cells of `rows`, the inside of a `<sheetData>`.
pub(super) fn cells(rows: &str) -> Result<Vec<Got>, String> {
    read(&format!(
        "<worksheet><sheetData>{rows}</sheetData></worksheet>"
    ))
}

fn cell(row: u32, col: u32, kind: u8, number: f64, text: &str) -> Got {
    (row, col, kind, number, text.to_string())
}

#[test]
fn every_cell_type_reads_to_its_value() {
    let rows = concat!(
        r#"<row r="1"><c r="A1"><v>3</v></c><c r="B1" t="n"><v>-1.5</v></c>"#,
        r#"<c r="C1"><v>1e3</v></c><c r="D1"><v>9007199254740992</v></c>"#,
        r#"<c r="E1" t="s"><v>1</v></c><c r="F1" t="b"><v>1</v></c>"#,
        r#"<c r="G1" t="b"><v>false</v></c><c r="H1" t="e"><v>#N/A</v></c>"#,
        r#"<c r="I1" t="str"><v>a &amp; b</v></c>"#,
        r#"<c r="J1" t="inlineStr"><is><t>inline</t></is></c>"#,
        r#"<c r="K1" t="d"><v>2024-02-29T12:00:00</v></c><c r="L1"><v>text</v></c>"#,
        r#"<c r="M1" t="n"><v></v></c></row>"#,
    );
    assert_eq!(
        cells(rows).unwrap(),
        vec![
            cell(0, 0, INT, 3.0, ""),
            cell(0, 1, FLOAT, -1.5, ""),
            cell(0, 2, INT, 1000.0, ""),
            // 2^53 and above are not exact in an f64: a float
            cell(0, 3, FLOAT, 9_007_199_254_740_992.0, ""),
            cell(0, 4, STRING, 0.0, "one"),
            cell(0, 5, BOOL, 1.0, ""),
            cell(0, 6, BOOL, 0.0, ""),
            cell(0, 7, ERROR, 0.0, "#N/A"),
            cell(0, 8, STRING, 0.0, "a & b"),
            cell(0, 9, STRING, 0.0, "inline"),
            cell(0, 10, ISO_TEXT, 0.0, "2024-02-29T12:00:00"),
            // an untyped cell that is not a number is its text
            cell(0, 11, STRING, 0.0, "text"),
        ]
    );
}

#[test]
fn inline_strings_rich_runs_blanks_escapes_and_phonetics() {
    let rows = concat!(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t> padded </t></is></c>"#,
        r#"<c r="B1" t="inlineStr"><is><t xml:space="preserve"> kept </t></is></c>"#,
        r#"<c r="C1" t="inlineStr"><is><r><t>bold</t></r>"#,
        r#"<r><t xml:space="preserve"> and plain</t></r></is></c>"#,
        r#"<c r="D1" t="inlineStr"><is><t>a_x000D_b &lt;c&gt;</t></is></c>"#,
        r#"<c r="E1" t="inlineStr"><is><t>漢字</t><rPh><t>かんじ</t></rPh></is></c>"#,
        r#"<c r="F1" t="inlineStr"><v>a value is not read</v></c>"#,
        r#"<c r="G1" t="inlineStr"><is><t><![CDATA[x<y]]></t></is></c>"#,
        r#"<c r="H1" t="inlineStr"><is><t></t></is></c></row>"#,
    );
    assert_eq!(
        cells(rows).unwrap(),
        vec![
            cell(0, 0, STRING, 0.0, "padded"),
            cell(0, 1, STRING, 0.0, " kept "),
            cell(0, 2, STRING, 0.0, "bold and plain"),
            cell(0, 3, STRING, 0.0, "a\rb <c>"),
            cell(0, 4, STRING, 0.0, "漢字"),
            cell(0, 6, STRING, 0.0, "x<y"),
            cell(0, 7, STRING, 0.0, ""),
        ]
    );
}

#[test]
fn shared_strings_and_error_codes() {
    let mut rows = String::from(r#"<row r="1"><c r="A1" t="s"><v>0</v></c>"#);
    let codes = [
        "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!",
    ];
    for code in codes {
        rows.push_str(&format!(r#"<c t="e"><v>{code}</v></c>"#));
    }
    rows.push_str("</row>");
    let mut want = vec![cell(0, 0, STRING, 0.0, "zero")];
    for (i, code) in codes.iter().enumerate() {
        want.push(cell(0, i as u32 + 1, ERROR, 0.0, code));
    }
    assert_eq!(cells(&rows).unwrap(), want);
}

#[test]
fn formulas_give_their_cached_values() {
    let rows = concat!(
        r#"<row r="1"><c r="A1"><f>1+1</f><v>2</v></c>"#,
        r#"<c r="B1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>"#,
        r#"<c r="C1" t="b"><f>TRUE()</f><v>1</v></c>"#,
        r#"<c r="D1" t="e"><f>1/0</f><v>#DIV/0!</v></c>"#,
        r#"<c r="E1"><f>NOW()</f></c>"#,
        r#"<c r="F1" s="1"><f>TODAY()</f><v>45000</v></c></row>"#,
        r#"<row r="2"><c r="A2"><f t="shared" ref="A2:A3" si="0">A1+1</f><v>3</v></c></row>"#,
        r#"<row r="3"><c r="A3"><f t="shared" si="0"/><v>4</v></c>"#,
        r#"<c r="B3"><f t="shared" si="0"/></c><c r="C3" t="str"><f>B3</f><v></v></c>"#,
        r#"<c r="D3"><v>5</v><f>2+3</f></c></row>"#,
    );
    assert_eq!(
        cells(rows).unwrap(),
        vec![
            cell(0, 0, INT, 2.0, ""),
            cell(0, 1, STRING, 0.0, "ab"),
            cell(0, 2, BOOL, 1.0, ""),
            cell(0, 3, ERROR, 0.0, "#DIV/0!"),
            // E1 and B3 have a formula and no result saved: no value to read
            cell(0, 4, UNCALCULATED, 0.0, ""),
            cell(0, 5, DATETIME, 45000.0, ""),
            cell(1, 0, INT, 3.0, ""),
            cell(2, 0, INT, 4.0, ""),
            cell(2, 1, UNCALCULATED, 0.0, ""),
            // a text formula whose result is the empty string
            cell(2, 2, STRING, 0.0, ""),
            // a formula after its result keeps the result
            cell(2, 3, INT, 5.0, ""),
        ]
    );
}

#[test]
fn numbers_under_a_date_or_duration_style_are_serials_of_that_kind() {
    let rows = concat!(
        r#"<row r="1"><c r="A1" s="1"><v>45000.5</v></c><c r="B1" s="2"><v>1.25</v></c>"#,
        r#"<c r="C1" s="0"><v>45000</v></c><c r="D1" s="9"><v>45000</v></c>"#,
        r#"<c r="E1" s="1" t="s"><v>0</v></c><c r="F1" s="1" t="b"><v>1</v></c>"#,
        r#"<c r="G1" s="1" t="n"><v>2</v></c></row>"#,
    );
    assert_eq!(
        cells(rows).unwrap(),
        vec![
            cell(0, 0, DATETIME, 45000.5, ""),
            cell(0, 1, DURATION, 1.25, ""),
            cell(0, 2, INT, 45000.0, ""),
            // a style the workbook does not declare: a plain number
            cell(0, 3, INT, 45000.0, ""),
            // a date style makes only numbers dates
            cell(0, 4, STRING, 0.0, "zero"),
            cell(0, 5, BOOL, 1.0, ""),
            cell(0, 6, DATETIME, 2.0, ""),
        ]
    );
}

#[test]
fn positions_follow_the_references_or_the_cell_before() {
    let rows = concat!(
        // a cell without r follows the one before it; a row without r follows the row before
        r#"<row r="3"><c r="B3"><v>1</v></c><c><v>2</v></c></row>"#,
        r#"<row><c><v>3</v></c></row>"#,
        // attributes in any order, single quotes, spaces around '=', attributes not read
        r#"<row r="7" spans="1:4" ht="15"><c t="n" s="0" r="A7"><v>4</v></c>"#,
        r#"<c r='B7'><v>5</v></c><c r = "C7"><v>6</v></c><c r="D7" cm="1"><v>7</v></c></row>"#,
        // a namespace prefix on every element
        r#"<x:row r="8"><x:c r="A8" t="s"><x:v>1</x:v></x:c></x:row>"#,
        // empty cells take their column
        r#"<row r="9"><c r="A9"/><c s="1"></c><c><v>8</v></c></row>"#,
        // a lower-case reference; a row whose r names a cell
        r#"<row r="10"><c r="b10"><v>9</v></c></row><row r="A11"><c><v>10</v></c></row>"#,
    );
    assert_eq!(
        cells(rows).unwrap(),
        vec![
            cell(2, 1, INT, 1.0, ""),
            cell(2, 2, INT, 2.0, ""),
            cell(3, 0, INT, 3.0, ""),
            cell(6, 0, INT, 4.0, ""),
            cell(6, 1, INT, 5.0, ""),
            cell(6, 2, INT, 6.0, ""),
            cell(6, 3, INT, 7.0, ""),
            cell(7, 0, STRING, 0.0, "one"),
            cell(8, 2, INT, 8.0, ""),
            cell(9, 1, INT, 9.0, ""),
            cell(10, 0, INT, 10.0, ""),
        ]
    );
}

#[test]
fn a_raw_value_is_read_up_to_its_first_entity() {
    // calamine reads a number's, a shared index's or an error's first text run only
    let rows = r#"<row r="1"><c r="A1"><v>12&amp;3</v></c><c r="B1" t="s"><v>1&#48;</v></c></row>"#;
    assert_eq!(
        cells(rows).unwrap(),
        vec![cell(0, 0, INT, 12.0, ""), cell(0, 1, STRING, 0.0, "one")]
    );
}
