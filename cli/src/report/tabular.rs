//! Contact rows as a terminal table, CSV (one row per contact, evidence in one column)
//! or JSON (every field, spans included).

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::contacts::{ContactRow, minutes};
use super::local_time;

/// The CSV header, in column order.
pub const CSV_HEADER: [&str; 8] = [
    "ring",
    "person_id",
    "kind",
    "category",
    "via",
    "first_exposure",
    "total_seconds",
    "evidence",
];

/// A row's cells in [`CSV_HEADER`] order; `total` is how the total is written.
fn cells(row: &ContactRow, utc_offset_minutes: i32, total: String) -> [String; 8] {
    [
        row.ring.to_string(),
        row.person_id.clone(),
        row.kind.clone(),
        row.category.clone(),
        row.via.clone().unwrap_or_default(),
        row.first_exposure
            .map(|at| local_time(at, utc_offset_minutes))
            .unwrap_or_default(),
        total,
        row.evidence_line(),
    ]
}

/// Rows under a header as a table for the terminal.
pub fn grid<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = impl Into<comfy_table::Row>>,
) -> String {
    let mut table = Table::new();
    // Fit the terminal's width when printing to one (wrapping long cells); a pipe or
    // file gets whole lines.
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_header(header);
    for row in rows {
        table.add_row(row);
    }
    table.to_string()
}

/// Contacts as a table for the terminal.
pub fn table(rows: &[ContactRow], utc_offset_minutes: i32) -> String {
    grid(
        [
            "ring",
            "person",
            "kind",
            "category",
            "via",
            "first exposure",
            "total",
            "evidence",
        ],
        rows.iter()
            .map(|row| cells(row, utc_offset_minutes, minutes(row.total_seconds))),
    )
}

/// CSV with a header row; times are local (`YYYY-MM-DD HH:MM`).
pub fn csv(rows: &[ContactRow], utc_offset_minutes: i32) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_HEADER)?;
    for row in rows {
        writer.write_record(cells(row, utc_offset_minutes, row.total_seconds.to_string()))?;
    }
    let bytes = writer.into_inner().map_err(|error| error.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Pretty JSON: an array of rows with every field.
pub fn json(rows: &[ContactRow]) -> String {
    serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::contacts::Evidence;

    fn row() -> ContactRow {
        ContactRow {
            ring: 1,
            person_id: "p1".into(),
            kind: "visitor".into(),
            category: "zone-masked".into(),
            via: None,
            first_exposure: Some(1_795_897_800_000),
            total_seconds: 1_500,
            evidence: vec![Evidence {
                place_kind: "zone".into(),
                place_id: "tax-area, east".into(),
                other_place_id: String::new(),
                rule: "same zone".into(),
                seconds: 1_500,
                spans: vec![(0, 1_500_000)],
                end_unknown: false,
                capped: false,
            }],
        }
    }

    #[test]
    fn csv_quotes_fields_with_commas_and_reads_back() {
        let text = csv(&[row()], 480).unwrap();
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), CSV_HEADER);
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[1], "p1");
        assert_eq!(&record[5], "2026-11-29 04:30");
        assert_eq!(&record[7], "tax-area, east (same zone, 25 min)");
    }

    #[test]
    fn evidence_says_when_someone_is_still_there_or_a_stay_was_capped() {
        let mut still = row();
        still.evidence[0].end_unknown = true;
        assert_eq!(
            still.evidence_line(),
            "tax-area, east (same zone, 25 min so far, still there)"
        );
        let mut capped = row();
        capped.evidence[0].capped = true;
        assert_eq!(
            capped.evidence_line(),
            "tax-area, east (same zone, 25 min, capped (never checked out))"
        );
    }

    #[test]
    fn the_table_shows_every_row() {
        let text = table(
            &[
                row(),
                ContactRow {
                    person_id: "p2".into(),
                    ..row()
                },
            ],
            0,
        );
        assert!(text.contains("p1") && text.contains("p2"), "{text}");
    }
}
