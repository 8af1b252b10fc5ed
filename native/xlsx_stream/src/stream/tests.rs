//! The reading thread's hand-off: batches in order, an error in the thread surfaces once,
//! a reading dropped mid-way stops its thread; and whole workbooks read through it (the
//! sheet picked by name, a zip bomb in a part, markup cut by the reader's own block size).

use std::sync::mpsc::channel;
use std::time::Duration;

use super::{open_sheet, Limits, OpenSheet};
use crate::batch::{INT, STRING};
use crate::testing::{numbered_rows, read_cells, workbook, workbook_with_sheet_xml, TempFile};

fn limits(batch_rows: u32) -> Limits {
    Limits {
        batch_rows,
        max_columns: 100,
        max_inflated_bytes: 1 << 30,
    }
}

fn open(file: &TempFile, sheet: Option<&str>, batch_rows: u32) -> Result<OpenSheet, String> {
    open_sheet(file.path(), sheet, limits(batch_rows))
}

#[test]
fn batches_arrive_in_sheet_order() {
    let file = workbook(&[("data", &numbered_rows(0, 25))], &[]);
    let mut opened = open(&file, None, 10).unwrap();
    assert_eq!(
        (
            opened.sheet_names.clone(),
            opened.sheet.clone(),
            opened.is_1904
        ),
        (vec!["data".to_string()], "data".to_string(), false)
    );
    let mut got = Vec::new();
    while let Some(batch) = opened.reading.next_batch().unwrap() {
        assert_eq!(batch.columns[0].kind, vec![INT; batch.n_rows]);
        got.push((
            batch.first_row,
            batch.n_rows,
            batch.columns[0].values.clone(),
        ));
    }
    let values = |from: u32, to: u32| (from..to).map(f64::from).collect::<Vec<_>>();
    assert_eq!(
        got,
        vec![
            (0, 10, values(0, 10)),
            (10, 10, values(10, 20)),
            (20, 5, values(20, 25))
        ]
    );
    assert_eq!(opened.reading.next_batch(), Ok(None));
}

#[test]
fn an_error_in_the_reading_thread_surfaces_once() {
    let rows = numbered_rows(0, 16) + r#"<row r="17"><c r="A17" t="b"><v>2</v></c></row>"#;
    let file = workbook(&[("data", &rows)], &[]);
    let mut reading = open(&file, None, 10).unwrap().reading;
    let first = reading.next_batch().unwrap().expect("the first batch");
    assert_eq!((first.first_row, first.n_rows), (0, 10));
    assert_eq!(
        reading.next_batch(),
        Err(r#"the XLSX file cannot be read: cell A17 holds "2", not a boolean"#.into())
    );
    assert_eq!(reading.next_batch(), Ok(None));
    assert_eq!(reading.next_batch(), Ok(None));
}

/// Drop the reading on another thread: dropping joins the reading thread, so a drop that
/// returns is a thread that has stopped; one that hangs fails here instead of hanging.
fn drops_within_seconds(opened: OpenSheet) {
    let (done, dropped) = channel();
    std::thread::spawn(move || {
        drop(opened);
        let _ = done.send(());
    });
    assert!(
        dropped.recv_timeout(Duration::from_secs(20)).is_ok(),
        "the reading thread did not stop"
    );
}

#[test]
fn dropping_a_reading_mid_way_stops_its_thread() {
    // one row a batch: the thread is blocked handing over the next one when the reading drops
    let file = workbook(&[("data", &numbered_rows(0, 2_000))], &[]);
    let mut opened = open(&file, None, 1).unwrap();
    assert!(opened.reading.next_batch().unwrap().is_some());
    std::thread::sleep(Duration::from_millis(50));
    drops_within_seconds(opened);
    // before any batch, and after the last
    drops_within_seconds(open(&file, None, 1).unwrap());
    let mut opened = open(&file, None, 5_000).unwrap();
    while opened.reading.next_batch().unwrap().is_some() {}
    drops_within_seconds(opened);
}

#[test]
fn the_sheet_is_picked_by_name_or_first() {
    let file = workbook(
        &[("one", &numbered_rows(0, 1)), ("two", &numbered_rows(5, 1))],
        &[],
    );
    let first = open(&file, None, 10).unwrap();
    assert_eq!(first.sheet, "one");
    let mut second = open(&file, Some("two"), 10).unwrap();
    let batch = second.reading.next_batch().unwrap().unwrap();
    assert_eq!(
        (batch.first_row, batch.columns[0].values.clone()),
        (5, vec![5.0])
    );
    assert_eq!(
        open(&file, Some("three"), 10).err(),
        Some(r#"the workbook has no sheet named "three"; its sheets are: "one", "two""#.into())
    );
}

#[test]
fn a_zip_bomb_in_a_workbook_part_fails_the_open() {
    let bomb = format!("<sst>{}</sst>", " ".repeat(4 << 20));
    let file = workbook(
        &[("data", &numbered_rows(0, 1))],
        &[("xl/sharedStrings.xml", &bomb)],
    );
    let small = Limits {
        max_inflated_bytes: 1 << 20,
        ..limits(10)
    };
    assert_eq!(
        open_sheet(file.path(), None, small).err(),
        Some(
            "the XLSX file cannot be read: xl/sharedStrings.xml inflates to more than the limit of 1048576 bytes"
                .into()
        )
    );
}

#[test]
fn markup_cut_by_the_readers_blocks_is_read_whole() {
    // a CDATA section whose `]]>` straddles the end of the sheet's first 64 KiB block, cut
    // after its first and after its second byte; a missed `]]>` would run past the cell
    const BLOCK: usize = 64 * 1024;
    let head = r#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#;
    let cdata = "<![CDATA[x]]]]>";
    for cut in [1, 2] {
        let padding = BLOCK - head.len() - (cdata.len() - 3) - cut;
        let xml = format!(
            "{head}{}{cdata}</t></is></c></row><row r=\"2\"><c r=\"A2\"><v>2</v></c></row></sheetData></worksheet>",
            "p".repeat(padding)
        );
        assert_eq!(&xml[BLOCK - cut..BLOCK - cut + 3], "]]>");
        let file = workbook_with_sheet_xml(&xml);
        let got = read_cells(file.path(), 10).unwrap();
        let want = vec![
            (0, 0, STRING, 0.0, format!("{}x]]", "p".repeat(padding))),
            (1, 0, INT, 2.0, String::new()),
        ];
        assert_eq!(got, want, "cut after {cut} byte(s)");
    }
}

#[test]
fn the_merged_ranges_come_with_the_end_of_the_sheet() {
    let xml = format!(
        "<worksheet><sheetData>{}</sheetData><mergeCells><mergeCell ref=\"A2:A4\"/></mergeCells></worksheet>",
        numbered_rows(0, 25)
    );
    let file = workbook_with_sheet_xml(&xml);
    let mut opened = open(&file, None, 10).unwrap();
    opened.reading.next_batch().unwrap();
    assert_eq!(opened.reading.take_merged().ranges, vec![]);
    while opened.reading.next_batch().unwrap().is_some() {}
    assert_eq!(opened.reading.take_merged().ranges, vec![((1, 0), (3, 0))]);
}
