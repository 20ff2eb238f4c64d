//! The exposure line list (every close-contact pair of a window) as lines written while
//! they arrive: CSV and JSON go straight to their writer, so a city's list is never held
//! whole; the terminal table gathers its rows to size its columns.

use std::io::Write;

use hallguard_platform::timestamps::timestamp_to_millis;
use hallguard_proto::contact_tracing::v1::ExposurePair;
use serde::Serialize;

use super::contacts::{Evidence, minutes};
use super::{kind_name, local_time};

/// One pair of close contacts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposureLine {
    /// The hall.
    pub site_id: String,
    /// One of the two (pseudonymous id, staff id for staff).
    pub person_id: String,
    /// Their kind.
    pub person_kind: String,
    /// The other.
    pub contact_id: String,
    /// Their kind.
    pub contact_kind: String,
    /// The category the closest rule assigns.
    pub category: String,
    /// Start of the first qualifying span, UTC milliseconds.
    pub first_exposure: Option<i64>,
    /// Cumulative overlap in seconds.
    pub total_seconds: u64,
    /// Where and how, seen from `person_id`.
    pub evidence: Vec<Evidence>,
}

impl ExposureLine {
    /// From the service's (or the engine's) pair.
    pub fn from_pair(pair: &ExposurePair) -> Self {
        let person = pair.person.clone().unwrap_or_default();
        let contact = pair.contact.clone().unwrap_or_default();
        let other = contact.person.clone().unwrap_or_default();
        Self {
            site_id: person.site_id.clone(),
            person_kind: kind_name(&person).to_string(),
            person_id: person.person_id,
            contact_kind: kind_name(&other).to_string(),
            contact_id: other.person_id,
            category: contact.category,
            first_exposure: contact.first_exposure.as_ref().map(timestamp_to_millis),
            total_seconds: contact.total_seconds,
            evidence: contact.exposures.iter().map(Evidence::from_exposure).collect(),
        }
    }

    fn evidence_line(&self) -> String {
        self.evidence
            .iter()
            .map(Evidence::describe)
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn cells(&self, utc_offset_minutes: i32, total: String) -> [String; 9] {
        [
            self.site_id.clone(),
            self.person_id.clone(),
            self.person_kind.clone(),
            self.contact_id.clone(),
            self.contact_kind.clone(),
            self.category.clone(),
            self.first_exposure
                .map(|at| local_time(at, utc_offset_minutes))
                .unwrap_or_default(),
            total,
            self.evidence_line(),
        ]
    }
}

/// Lines as CSV rows or JSON array elements (`first`: no separator before the first),
/// for [`LineWriter::write_encoded`]; may run on any thread.
pub fn encode(
    format: LineFormat,
    lines: &[ExposureLine],
    offset: i32,
    first: bool,
) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(lines.len() * 160);
    match format {
        LineFormat::Csv => {
            let mut writer = csv::WriterBuilder::new().from_writer(bytes);
            for line in lines {
                writer
                    .write_record(line.cells(offset, line.total_seconds.to_string()))
                    .map_err(std::io::Error::other)?;
            }
            bytes = writer.into_inner().map_err(|error| error.into_error())?;
        }
        LineFormat::Json => {
            for (index, line) in lines.iter().enumerate() {
                bytes.extend_from_slice(if first && index == 0 { b"\n" } else { b",\n" });
                serde_json::to_writer(&mut bytes, line).map_err(std::io::Error::other)?;
            }
        }
        LineFormat::Table => {}
    }
    Ok(bytes)
}

/// The CSV header, in column order.
pub const CSV_HEADER: [&str; 9] = [
    "site",
    "person_id",
    "person_kind",
    "contact_id",
    "contact_kind",
    "category",
    "first_exposure",
    "total_seconds",
    "evidence",
];

/// How the lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LineFormat {
    /// A table for the terminal.
    Table,
    /// CSV, one row per pair, local times, evidence in one column.
    Csv,
    /// JSON: an array of pairs with every field, spans included.
    Json,
}

/// Writes lines as they come; [`LineWriter::finish`] closes the document.
#[derive(Debug)]
pub struct LineWriter<W: Write> {
    format: LineFormat,
    out: W,
    utc_offset_minutes: i32,
    written: usize,
    /// Table rows, kept to size the columns.
    table: Vec<[String; 9]>,
}

impl<W: Write> LineWriter<W> {
    /// A writer of `format` into `out`, times in the hall's local time.
    pub fn new(format: LineFormat, out: W, utc_offset_minutes: i32) -> std::io::Result<Self> {
        let mut writer = Self {
            format,
            out,
            utc_offset_minutes,
            written: 0,
            table: Vec::new(),
        };
        match format {
            LineFormat::Csv => writer.csv_row(&CSV_HEADER.map(String::from))?,
            LineFormat::Json => writer.out.write_all(b"[")?,
            LineFormat::Table => {}
        }
        Ok(writer)
    }

    fn csv_row(&mut self, cells: &[String; 9]) -> std::io::Result<()> {
        let mut line = csv::WriterBuilder::new().from_writer(Vec::with_capacity(256));
        line.write_record(cells).map_err(std::io::Error::other)?;
        let bytes = line.into_inner().map_err(|error| error.into_error())?;
        self.out.write_all(&bytes)
    }

    /// Writes one line.
    pub fn write(&mut self, line: &ExposureLine) -> std::io::Result<()> {
        self.write_lines(std::slice::from_ref(line))
    }

    /// Writes lines in order, formatted in parts on every core (a city's list is
    /// millions of lines; formatting them is most of writing them).
    pub fn write_lines(&mut self, lines: &[ExposureLine]) -> std::io::Result<()> {
        use rayon::prelude::*;
        const PART: usize = 1024;
        if self.format == LineFormat::Table {
            for line in lines {
                self.table
                    .push(line.cells(self.utc_offset_minutes, minutes(line.total_seconds)));
            }
            self.written += lines.len();
            return Ok(());
        }
        let (format, offset, written) = (self.format, self.utc_offset_minutes, self.written);
        let parts: Vec<std::io::Result<Vec<u8>>> = lines
            .par_chunks(PART)
            .enumerate()
            .map(|(index, part)| encode(format, part, offset, written + index * PART == 0))
            .collect();
        for part in parts {
            self.out.write_all(&part?)?;
        }
        self.written += lines.len();
        Ok(())
    }
    /// Writes `count` lines already encoded with [`encode`] (not first: a JSON
    /// separator before the first line of the document is dropped here).
    pub fn write_encoded(&mut self, bytes: &[u8], count: usize) -> std::io::Result<()> {
        let bytes = match (self.format, self.written) {
            (LineFormat::Json, 0) => bytes.strip_prefix(b",").unwrap_or(bytes),
            _ => bytes,
        };
        self.out.write_all(bytes)?;
        self.written += count;
        Ok(())
    }

    /// How many lines were written.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Ends the document and hands back the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        match self.format {
            LineFormat::Json => self.out.write_all(b"\n]\n")?,
            LineFormat::Table => {
                let table = super::tabular::grid(
                    [
                        "person",
                        "kind",
                        "contact",
                        "kind",
                        "category",
                        "first exposure",
                        "total",
                        "evidence",
                    ],
                    std::mem::take(&mut self.table),
                );
                writeln!(self.out, "{table}")?;
            }
            LineFormat::Csv => {}
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallguard_platform::timestamps::millis_to_timestamp;
    use hallguard_proto::common::v1::{PersonKind, PersonRef, TimeWindow};
    use hallguard_proto::contact_tracing::v1::{Contact, Exposure, ExposureRule, Place, PlaceKind};

    fn pair(a: &str, b: &str) -> ExposurePair {
        let person = |id: &str| PersonRef {
            site_id: "hall".into(),
            kind: PersonKind::Visitor as i32,
            person_id: id.into(),
        };
        ExposurePair {
            person: Some(person(a)),
            contact: Some(Contact {
                person: Some(person(b)),
                category: "zone-masked".into(),
                exposures: vec![Exposure {
                    place: Some(Place {
                        kind: PlaceKind::Zone as i32,
                        place_id: "tax-area, east".into(),
                    }),
                    rule: ExposureRule::SameZone as i32,
                    spans: vec![TimeWindow {
                        start: Some(millis_to_timestamp(1_795_897_800_000)),
                        end: Some(millis_to_timestamp(1_795_899_300_000)),
                    }],
                    seconds: 1_500,
                    ..Default::default()
                }],
                total_seconds: 1_500,
                first_exposure: Some(millis_to_timestamp(1_795_897_800_000)),
            }),
        }
    }

    #[test]
    fn csv_and_json_read_back_line_for_line() {
        let mut csv_out = LineWriter::new(LineFormat::Csv, Vec::new(), 480).unwrap();
        let mut json_out = LineWriter::new(LineFormat::Json, Vec::new(), 480).unwrap();
        for (a, b) in [("p1", "p2"), ("p1", "p3")] {
            let line = ExposureLine::from_pair(&pair(a, b));
            csv_out.write(&line).unwrap();
            json_out.write(&line).unwrap();
        }
        let csv_text = String::from_utf8(csv_out.finish().unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        assert_eq!(reader.headers().unwrap(), CSV_HEADER.to_vec());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[1][3], "p3");
        assert_eq!(&rows[0][0], "hall");
        assert_eq!(&rows[0][6], "2026-11-29 04:30");
        assert_eq!(&rows[0][8], "tax-area, east (same zone, 25 min)");
        let json: serde_json::Value = serde_json::from_slice(&json_out.finish().unwrap()).unwrap();
        assert_eq!(json.as_array().unwrap().len(), 2);
        assert_eq!(json[0]["total_seconds"], 1_500);
        let empty = LineWriter::new(LineFormat::Json, Vec::new(), 0).unwrap();
        let empty: serde_json::Value = serde_json::from_slice(&empty.finish().unwrap()).unwrap();
        assert_eq!(empty, serde_json::json!([]));
    }
}
