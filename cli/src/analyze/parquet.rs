//! Presence exports in Parquet, with the CSV's columns (by name, any order): each row
//! group's column chunks read in parallel into text as a CSV would hold it, then filed
//! by the same code as a CSV's rows, so both forms are judged alike. Timestamps keep
//! their meaning: a timestamp adjusted to UTC is an instant, one that is not is the
//! hall's local time; plain integers are epoch counts in the unit the analyst names.
//! Bad rows are placed by row (from 1).

use std::fmt::Write as _;
use std::path::Path;

use hallguard_domain::time::{DAY_MS, format_date};
use hallguard_tracing_engine::rows::PresenceColumns;
use parquet::basic::{ConvertedType, LogicalType, TimeUnit};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::errors::ParquetError;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::ColumnDescriptor;
use rayon::prelude::*;

use super::load::{Counting, Filing, Layout, LoadError, Piece, TimeReading, merge};

/// Values read from a column chunk at once.
const BATCH: usize = 8192;

/// Whether a file is Parquet: it begins with the format's magic bytes.
pub fn is_parquet(path: &Path) -> bool {
    use std::io::Read as _;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok_and(|()| &magic == b"PAR1")
}

/// How a column's integers are written as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Integers {
    /// As they are (epoch counts, queue positions).
    Plain,
    /// A timestamp of `per_milli` units a millisecond (1, 1,000 or 1,000,000), an
    /// instant or (`local`) the hall's wall-clock time.
    Timestamp { per_milli: i64, local: bool },
}

impl Integers {
    fn of(column: &ColumnDescriptor) -> Self {
        let local = matches!(
            column.logical_type_ref(),
            Some(LogicalType::Timestamp {
                is_adjusted_to_u_t_c: false,
                ..
            })
        );
        let per_milli = match (column.logical_type_ref(), column.converted_type()) {
            (Some(LogicalType::Timestamp { unit, .. }), _) => match unit {
                TimeUnit::MILLIS => 1,
                TimeUnit::MICROS => 1_000,
                TimeUnit::NANOS => 1_000_000,
            },
            (_, ConvertedType::TIMESTAMP_MILLIS) => 1,
            (_, ConvertedType::TIMESTAMP_MICROS) => 1_000,
            _ => return Self::Plain,
        };
        Self::Timestamp { per_milli, local }
    }

    fn write(self, out: &mut String, value: i64) {
        match self {
            Self::Plain => out.push_str(itoa::Buffer::new().format(value)),
            Self::Timestamp { per_milli, local } => {
                let millis = value.div_euclid(per_milli);
                let (day, of_day) = (millis.div_euclid(DAY_MS), millis.rem_euclid(DAY_MS));
                let seconds = of_day / 1000;
                let _ = write!(
                    out,
                    "{}T{:02}:{:02}:{:02}.{:03}{}",
                    format_date(day),
                    seconds / 3600,
                    seconds / 60 % 60,
                    seconds % 60,
                    of_day % 1000,
                    if local { "" } else { "Z" }
                );
            }
        }
    }
}

/// One column chunk as text: cell `i` is `text[ends[i - 1]..ends[i]]` (empty for a null).
#[derive(Debug, Default)]
struct ColumnText {
    text: String,
    ends: Vec<usize>,
}

impl ColumnText {
    fn cell(&self, row: usize) -> &str {
        let start = row.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.text[start..self.ends[row]]
    }
}

/// Reads a presence export in Parquet.
pub fn load(path: &Path, times: TimeReading) -> Result<PresenceColumns, LoadError> {
    let unreadable = |error: ParquetError| {
        LoadError::Header(format!("{} cannot be read as Parquet: {error}", path.display()))
    };
    // Held in memory (a Parquet file is compressed): column chunks are then read in
    // parallel without sharing a file position.
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).map_err(unreadable)?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    for field in schema.root_schema().get_fields() {
        if !field.is_primitive() {
            return Err(LoadError::Header(format!(
                "column {:?} is nested: a presence export's columns are plain values",
                field.name()
            )));
        }
    }
    let names: Vec<&str> = schema.columns().iter().map(|c| c.name()).collect();
    let layout = Layout::of(&names.join(","))?;
    let chunks: Vec<(usize, usize)> = (0..reader.num_row_groups())
        .flat_map(|group| (0..names.len()).map(move |column| (group, column)))
        .collect();
    let texts: Vec<ColumnText> = chunks
        .par_iter()
        .map(|&(group, column)| column_text(&reader, group, column, schema.column(column).as_ref()))
        .collect::<Result<_, _>>()
        .map_err(unreadable)?;
    let width = names.len().max(1);
    for (group, columns) in texts.chunks(width).enumerate() {
        if columns.iter().any(|c| c.ends.len() != columns[0].ends.len()) {
            return Err(LoadError::Header(format!(
                "{}: the columns of row group {group} differ in length",
                path.display()
            )));
        }
    }
    let parsed: Vec<Piece> = texts
        .par_chunks(width)
        .map(|columns| {
            let mut filing = Filing::default();
            let rows = columns.first().map_or(0, |c| c.ends.len());
            let mut fields: Vec<&str> = Vec::with_capacity(columns.len());
            for row in 0..rows {
                fields.clear();
                fields.extend(columns.iter().map(|column| column.cell(row)));
                filing.take(row + 1, &fields, &layout, times);
            }
            filing.piece.lines = rows;
            filing.piece
        })
        .collect();
    merge(parsed, Counting::Rows)
}

/// One column chunk of one row group as text.
fn column_text(
    reader: &SerializedFileReader<bytes::Bytes>,
    group: usize,
    index: usize,
    column: &ColumnDescriptor,
) -> Result<ColumnText, ParquetError> {
    let chunk = reader.get_row_group(group)?.get_column_reader(index)?;
    let mut out = ColumnText::default();
    match chunk {
        ColumnReader::ByteArrayColumnReader(values) => read_values(values, column, &mut out, |out, value| {
            out.push_str(&String::from_utf8_lossy(value.data()));
        }),
        ColumnReader::Int64ColumnReader(values) => {
            let integers = Integers::of(column);
            read_values(values, column, &mut out, |out, value| integers.write(out, *value))
        }
        ColumnReader::Int32ColumnReader(values) => {
            let integers = Integers::of(column);
            read_values(values, column, &mut out, |out, value| {
                integers.write(out, i64::from(*value))
            })
        }
        _ => Err(ParquetError::General(format!(
            "column {:?} is of a type no presence export uses (strings and integers only)",
            column.name()
        ))),
    }?;
    Ok(out)
}

/// Every value of a column chunk written by `write`, a null as an empty cell.
fn read_values<T: DataType>(
    mut values: ColumnReaderImpl<T>,
    column: &ColumnDescriptor,
    out: &mut ColumnText,
    write: impl Fn(&mut String, &T::T),
) -> Result<(), ParquetError> {
    let nullable = column.max_def_level() > 0;
    let (mut read, mut defined) = (Vec::with_capacity(BATCH), Vec::with_capacity(BATCH));
    loop {
        read.clear();
        defined.clear();
        let (rows, _, _) = values.read_records(BATCH, nullable.then_some(&mut defined), None, &mut read)?;
        if rows == 0 {
            return Ok(());
        }
        let mut next = read.iter();
        for row in 0..rows {
            let present = defined
                .get(row)
                .is_none_or(|&level| level == column.max_def_level());
            if present && let Some(value) = next.next() {
                write(&mut out.text, value);
            }
            out.ends.push(out.text.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use parquet::basic::Compression;
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    use super::*;
    use crate::analyze::load::tests::{resolved, times};

    /// (site, person, person kind, place, place kind, start, end, queue position).
    type Row = (
        &'static str,
        String,
        &'static str,
        &'static str,
        &'static str,
        i64,
        Option<i64>,
        i64,
    );

    fn rows() -> Vec<Row> {
        let base = 1_795_831_200_000; // 2026-11-28 10:00 in the hall (UTC+8)
        let mut rows: Vec<Row> = (0..40)
            .map(|n| {
                let start = base + n * 60_000;
                let person = format!("v{}", n % 9);
                (
                    "hall",
                    person,
                    "visitor",
                    "tax-area",
                    "zone",
                    start,
                    Some(start + 1_500_000),
                    0,
                )
            })
            .collect();
        rows.push(("hall", "s1".into(), "staff", "tax-area", "zone", base, None, 0));
        rows.push((
            "hall",
            "v3".into(),
            "visitor",
            "gate-1",
            "entry_queue",
            base,
            Some(base + 60_000),
            4,
        ));
        rows
    }

    /// The rows as Parquet, in row groups of 16, times as timestamps (UTC or local).
    fn parquet_file(rows: &[Row], utc: bool) -> tempfile::NamedTempFile {
        let schema = parse_message_type(&format!(
            "message presence {{
                REQUIRED BYTE_ARRAY person (UTF8);
                REQUIRED BYTE_ARRAY site (UTF8);
                REQUIRED BYTE_ARRAY person_kind (UTF8);
                REQUIRED BYTE_ARRAY place (UTF8);
                REQUIRED BYTE_ARRAY place_kind (UTF8);
                REQUIRED INT64 start (TIMESTAMP(MILLIS,{utc}));
                OPTIONAL INT64 end (TIMESTAMP(MILLIS,{utc}));
                REQUIRED INT64 queue_position;
            }}"
        ))
        .unwrap();
        let file = tempfile::NamedTempFile::new().unwrap();
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let mut writer =
            SerializedFileWriter::new(file.reopen().unwrap(), Arc::new(schema), Arc::new(properties))
                .unwrap();
        let shift = if utc { 0 } else { 480 * 60_000 };
        for group in rows.chunks(16) {
            let mut row_group = writer.next_row_group().unwrap();
            let mut column = 0;
            while let Some(mut writing) = row_group.next_column().unwrap() {
                let text = |pick: fn(&Row) -> &str| -> Vec<ByteArray> {
                    group.iter().map(|row| ByteArray::from(pick(row))).collect()
                };
                match column {
                    0 => writing
                        .typed::<ByteArrayType>()
                        .write_batch(&text(|r| &r.1), None, None),
                    1 => writing
                        .typed::<ByteArrayType>()
                        .write_batch(&text(|r| r.0), None, None),
                    2 => writing
                        .typed::<ByteArrayType>()
                        .write_batch(&text(|r| r.2), None, None),
                    3 => writing
                        .typed::<ByteArrayType>()
                        .write_batch(&text(|r| r.3), None, None),
                    4 => writing
                        .typed::<ByteArrayType>()
                        .write_batch(&text(|r| r.4), None, None),
                    5 => {
                        let starts: Vec<i64> = group.iter().map(|r| r.5 + shift).collect();
                        writing.typed::<Int64Type>().write_batch(&starts, None, None)
                    }
                    6 => {
                        let ends: Vec<i64> = group.iter().filter_map(|r| r.6).map(|e| e + shift).collect();
                        let defined: Vec<i16> = group.iter().map(|r| i16::from(r.6.is_some())).collect();
                        writing
                            .typed::<Int64Type>()
                            .write_batch(&ends, Some(&defined), None)
                    }
                    _ => {
                        let places: Vec<i64> = group.iter().map(|r| r.7).collect();
                        writing.typed::<Int64Type>().write_batch(&places, None, None)
                    }
                }
                .unwrap();
                writing.close().unwrap();
                column += 1;
            }
            row_group.close().unwrap();
        }
        writer.close().unwrap();
        file
    }

    fn csv_file(rows: &[Row]) -> tempfile::NamedTempFile {
        let mut text = String::from("site,person,person_kind,place,place_kind,start,end,queue_position\n");
        for r in rows {
            let end = r.6.map(|e| e.to_string()).unwrap_or_default();
            text.push_str(&format!(
                "{},{},{},{},{},{},{end},{}\n",
                r.0, r.1, r.2, r.3, r.4, r.5, r.7
            ));
        }
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn a_parquet_export_reads_as_its_csv_whether_its_times_are_utc_or_local() {
        let rows = rows();
        let from_csv = crate::analyze::load::load(csv_file(&rows).path(), times()).unwrap();
        assert_eq!(from_csv.rows.len(), rows.len());
        for utc in [true, false] {
            let file = parquet_file(&rows, utc);
            assert!(is_parquet(file.path()));
            let from_parquet = load(file.path(), times()).unwrap();
            assert_eq!(resolved(&from_parquet), resolved(&from_csv), "utc: {utc}");
        }
        assert!(!is_parquet(csv_file(&rows).path()));
    }

    #[test]
    fn a_bad_row_of_a_parquet_export_is_named_by_its_row_and_column() {
        let mut rows = rows();
        rows[20].2 = "alien";
        let Err(error) = load(parquet_file(&rows, true).path(), times()) else {
            panic!("an alien was loaded");
        };
        let text = error.to_string();
        assert!(text.contains("row 21, column person_kind"), "{text}");
    }

    #[test]
    fn analyze_answers_a_parquet_export_as_it_answers_its_csv() {
        use clap::Parser as _;
        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: crate::analyze::AnalyzeArgs,
        }
        let answer = |path: &Path| {
            let path = path.to_str().unwrap();
            let cli = Cli::try_parse_from(["analyze", path, "--format", "csv"]).unwrap();
            let mut out = Vec::new();
            crate::analyze::run(&cli.args, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let rows = rows();
        let from_csv = answer(csv_file(&rows).path());
        assert!(from_csv.lines().count() > 30, "{from_csv}");
        assert_eq!(answer(parquet_file(&rows, false).path()), from_csv);
    }
}
