//! Which number formats make a number cell a date or a duration. A built-in format is one by
//! its id (14-22, 45, 47 and the East Asian 27-36, 50-58 are dates or clock times, 46
//! `[h]:mm:ss` a duration). A custom format code is scanned up to its first `;`: a date or
//! time letter (d m y h s, or a/p after an `a`) outside quotes, escapes and brackets makes it
//! a date; an elapsed-time bracket (`[h]`, `[mm]`, `[ss]`) makes it a duration; anything else
//! is a plain number. These are calamine's rules (MIT, Copyright 2016-2026 Johann Tuffe), so a
//! cell is a date here exactly when it is one for fastexcel.

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellFormat {
    /// a plain number
    Other,
    DateTime,
    TimeDelta,
}

/// The kind of a custom format code (`<numFmt formatCode>`).
pub fn detect_custom_number_format(format: &str) -> CellFormat {
    let mut escaped = false;
    let mut is_quote = false;
    let mut brackets = 0u8;
    let mut prev = ' ';
    let mut hms = false;
    let mut ap = false;
    for s in format.chars() {
        match (s, escaped, is_quote, ap, brackets) {
            (_, true, ..) => escaped = false, // if escaped, ignore
            // `\` escapes, `_` skips width, `*` fills; the next char is always a literal, not a format token.
            ('_' | '\\' | '*', ..) => escaped = true,
            ('"', _, true, _, _) => is_quote = false,
            (_, _, true, _, _) => (),
            ('"', _, _, _, _) => is_quote = true,
            (';', ..) => return CellFormat::Other, // first format only
            ('[', ..) => brackets += 1,
            (']', .., 1) if hms => return CellFormat::TimeDelta, // if closing
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => ap = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return CellFormat::DateTime,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                return CellFormat::DateTime
            }
            _ => {
                if hms && s.eq_ignore_ascii_case(&prev) {
                    // ok ...
                } else {
                    hms = prev == '[' && matches!(s, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = s;
    }
    CellFormat::Other
}

/// The kind of a built-in format, by its `numFmtId`.
pub fn builtin_format_by_id(id: &str) -> CellFormat {
    match id {
        // mm-dd-yy
        "14" |
        // d-mmm-yy
        "15" |
        // d-mmm
        "16" |
        // mmm-yy
        "17" |
        // h:mm AM/PM
        "18" |
        // h:mm:ss AM/PM
        "19" |
        // h:mm
        "20" |
        // h:mm:ss
        "21" |
        // m/d/yy h:mm
        "22" |
        // mm:ss
        "45" |
        // mmss.0
        "47" => CellFormat::DateTime,
        // East Asian built-in formats vary by locale and include dates and
        // clock times. Both use DateTime, rather than the duration category.
        "27" | "28" | "29" | "30" | "31" | "32" | "33" | "34" | "35" | "36" | "50" | "51"
        | "52" | "53" | "54" | "55" | "56" | "57" | "58" => CellFormat::DateTime,
        // [h]:mm:ss
        "46" => CellFormat::TimeDelta,
        _ => CellFormat::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_formats_by_their_first_section() {
        let cases = [
            ("yyyy-mm-dd", CellFormat::DateTime),
            ("DD/MM/YY", CellFormat::DateTime),
            ("h:mm AM/PM", CellFormat::DateTime),
            ("H:MM:SS;@", CellFormat::DateTime),
            ("m\"M\"d\"D\";@", CellFormat::DateTime),
            ("[h]:mm:ss", CellFormat::TimeDelta),
            ("[mm]:ss", CellFormat::TimeDelta),
            ("General", CellFormat::Other),
            ("0.00", CellFormat::Other),
            ("0.0%", CellFormat::Other),
            ("[Red]#,##0.00", CellFormat::Other),
            ("_(* #,##0_)", CellFormat::Other),
            ("#,##0\\ [$\\u20bd-46D]", CellFormat::Other),
            (
                "\"Y: \"0.00\"m\";\"Y: \"-0.00\"m\";\"Y: <num>m\";@",
                CellFormat::Other,
            ),
            ("0;[h]:mm", CellFormat::Other),
        ];
        for (code, want) in cases {
            assert_eq!(detect_custom_number_format(code), want, "{code}");
        }
    }

    #[test]
    fn builtin_formats_by_id() {
        for id in ["14", "17", "22", "45", "47", "27", "58"] {
            assert_eq!(builtin_format_by_id(id), CellFormat::DateTime, "{id}");
        }
        assert_eq!(builtin_format_by_id("46"), CellFormat::TimeDelta);
        for id in ["0", "2", "10", "13", "23", "44", "48", "49", "164"] {
            assert_eq!(builtin_format_by_id(id), CellFormat::Other, "{id}");
        }
    }
}
