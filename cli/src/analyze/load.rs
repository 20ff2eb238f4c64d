//! Reads a presence export (CSV) into the engine's compact columns: each person and
//! place kept once, rows naming them by number. The file is read whole and cut at line
//! ends into pieces parsed in parallel, each with its own small table of keys, merged
//! after; a file with quoted fields goes through the csv reader on one core instead.
//! Every bad row is reported with its line and column, and then nothing is loaded.

use hashbrown::HashMap;

use hallguard_tracing_engine::model::{PersonKey, PersonKind, PlaceKey, PlaceKind};
use hallguard_tracing_engine::rows::{ColumnRow, PresenceColumns};
use rayon::prelude::*;

use super::times::{ACCEPTED, EpochUnit, parse_time};

/// The columns a presence export has, by header name.
pub const COLUMNS: [&str; 8] = [
    "site",
    "person",
    "person_kind",
    "place",
    "place_kind",
    "start",
    "end",
    "queue_position",
];
/// Columns that may be left out (queue positions, when there are no entry queues).
const OPTIONAL: [&str; 1] = ["queue_position"];
/// Bad rows listed in full; the rest are counted.
const BAD_ROWS_SHOWN: usize = 20;

/// How times are read.
#[derive(Debug, Clone, Copy)]
pub struct TimeReading {
    /// The hall's offset from UTC, for local times without an offset.
    pub utc_offset_minutes: i32,
    /// The unit of integer times.
    pub epoch: EpochUnit,
}

/// One bad row: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based line in a CSV file (the header is line 1), or row in a Parquet file.
    pub line: usize,
    /// The column's name.
    pub column: &'static str,
    /// What is wrong.
    pub problem: String,
}

/// Why a file was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The header names no or unknown columns.
    #[error("{0}")]
    Header(String),
    /// Rows that cannot be read.
    #[error("{}", describe_bad_rows(.bad, *.more, .counted_in))]
    Rows {
        /// The first bad rows.
        bad: Vec<BadRow>,
        /// How many more.
        more: usize,
        /// What `BadRow::line` counts: "line" (a CSV's lines, the header line 1) or
        /// "row" (a Parquet file's rows, from 1).
        counted_in: &'static str,
    },
}

fn describe_bad_rows(bad: &[BadRow], more: usize, counted_in: &str) -> String {
    let mut text = String::from("rows that cannot be read (nothing was loaded):");
    for row in bad {
        text.push_str(&format!(
            "\n  {counted_in} {}, column {}: {}",
            row.line, row.column, row.problem
        ));
    }
    if more > 0 {
        text.push_str(&format!("\n  and {more} more"));
    }
    text
}

/// Where each column is in a row.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    at: [Option<usize>; 8],
    pub(super) width: usize,
}

impl Layout {
    pub(super) fn of(header: &str) -> Result<Self, LoadError> {
        let names: Vec<String> = header
            .trim_end_matches(['\r', '\n'])
            .split(',')
            .map(|name| name.trim().trim_matches('"').to_ascii_lowercase())
            .collect();
        let mut at = [None; 8];
        for (index, name) in names.iter().enumerate() {
            let Some(column) = COLUMNS.iter().position(|c| c == name) else {
                return Err(LoadError::Header(format!(
                    "unknown column {name:?} in the header: the columns are {}",
                    COLUMNS.join(", ")
                )));
            };
            if at[column].replace(index).is_some() {
                return Err(LoadError::Header(format!("column {name:?} appears twice")));
            }
        }
        let missing: Vec<&str> = COLUMNS
            .iter()
            .zip(at)
            .filter(|(name, at)| at.is_none() && !OPTIONAL.contains(name))
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            return Err(LoadError::Header(format!(
                "the header lacks {}: the columns are {}",
                missing.join(", "),
                COLUMNS.join(", ")
            )));
        }
        Ok(Self {
            at,
            width: names.len(),
        })
    }
}

/// A row's fields as parsed, keys still borrowed.
struct Fields<'a> {
    person: (&'a str, &'a str, PersonKind),
    place: (&'a str, &'a str, PlaceKind),
    start: i64,
    end: Option<i64>,
    queue_position: u32,
}

/// Reads one row's fields (`field(i)` is the i-th of the line).
fn read_row<'a>(
    fields: &[&'a str],
    layout: &Layout,
    times: TimeReading,
) -> Result<Fields<'a>, (&'static str, String)> {
    if fields.len() != layout.width {
        return Err((
            "*",
            format!("{} fields where the header has {}", fields.len(), layout.width),
        ));
    }
    let get = |column: usize| layout.at[column].map_or("", |at| fields[at].trim());
    let required = |column: usize| -> Result<&'a str, (&'static str, String)> {
        let text = layout.at[column].map_or("", |at| fields[at].trim());
        if text.is_empty() {
            Err((COLUMNS[column], "is empty".into()))
        } else {
            Ok(text)
        }
    };
    let site = required(0)?;
    let person = required(1)?;
    let person_kind = match get(2) {
        "visitor" => PersonKind::Visitor,
        "staff" => PersonKind::Staff,
        other => return Err(("person_kind", format!("{other:?} is not visitor or staff"))),
    };
    let place = required(3)?;
    let place_kind = match get(4) {
        "zone" => PlaceKind::Zone,
        "entry_queue" => PlaceKind::EntryQueue,
        "canteen_seat" => PlaceKind::CanteenSeat,
        other => {
            return Err((
                "place_kind",
                format!("{other:?} is not zone, entry_queue or canteen_seat"),
            ));
        }
    };
    let time = |column: usize| -> Result<i64, (&'static str, String)> {
        let text = get(column);
        parse_time(text, times.utc_offset_minutes, times.epoch)
            .ok_or_else(|| (COLUMNS[column], format!("{text:?} is not a time ({ACCEPTED})")))
    };
    let start = time(5)?;
    let end = if get(6).is_empty() { None } else { Some(time(6)?) };
    let queue_position = match get(7) {
        "" => 0,
        text => text
            .parse()
            .map_err(|_| ("queue_position", format!("{text:?} is not a whole number")))?,
    };
    if place_kind == PlaceKind::EntryQueue && queue_position == 0 {
        return Err(("queue_position", "is required for an entry_queue row".into()));
    }
    if end.is_some_and(|end| end < start) {
        return Err(("end", "is before start".into()));
    }
    Ok(Fields {
        person: (site, person, person_kind),
        place: (site, place, place_kind),
        start,
        end,
        queue_position,
    })
}

/// One piece of the file, parsed: its keys (borrowed, numbered in the piece), its rows,
/// how many lines it spans and its bad rows (lines counted within the piece).
#[derive(Default)]
pub(super) struct Piece<'a> {
    people: Vec<(&'a str, &'a str, PersonKind)>,
    places: Vec<(&'a str, &'a str, PlaceKind)>,
    rows: Vec<ColumnRow>,
    pub(super) lines: usize,
    bad: Vec<BadRow>,
}

/// Files rows into a piece: each row's keys numbered in the piece, or the row's error
/// with its line (counted within the piece).
#[derive(Default)]
pub(super) struct Filing<'a> {
    pub(super) piece: Piece<'a>,
    people: HashMap<(&'a str, &'a str, PersonKind), u32>,
    places: HashMap<(&'a str, &'a str, PlaceKind), u32>,
}

impl<'a> Filing<'a> {
    pub(super) fn take(&mut self, line: usize, fields: &[&'a str], layout: &Layout, times: TimeReading) {
        let piece = &mut self.piece;
        match read_row(fields, layout, times) {
            Ok(row) => {
                let person = *self.people.entry(row.person).or_insert_with(|| {
                    piece.people.push(row.person);
                    (piece.people.len() - 1) as u32
                });
                let place = *self.places.entry(row.place).or_insert_with(|| {
                    piece.places.push(row.place);
                    (piece.places.len() - 1) as u32
                });
                piece.rows.push(ColumnRow {
                    person,
                    place,
                    start: row.start,
                    end: row.end,
                    queue_position: row.queue_position,
                });
            }
            Err((column, problem)) => piece.bad.push(BadRow {
                line,
                column,
                problem,
            }),
        }
    }
}

fn parse_piece<'a>(text: &'a str, layout: &Layout, times: TimeReading) -> Piece<'a> {
    let mut filing = Filing::default();
    let mut fields: Vec<&str> = Vec::with_capacity(layout.width);
    let mut lines = 0;
    for line in text.split('\n') {
        lines += 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        fields.clear();
        fields.extend(line.split(','));
        filing.take(lines, &fields, layout, times);
    }
    // The text after the last line end is not a line of its own.
    if text.ends_with('\n') {
        lines -= 1;
    }
    filing.piece.lines = lines;
    filing.piece
}

/// Cuts `body` at line ends into about `count` pieces.
fn pieces(body: &str, count: usize) -> Vec<&str> {
    let target = body.len() / count.max(1) + 1;
    let mut out = Vec::with_capacity(count);
    let mut rest = body;
    while !rest.is_empty() {
        let cut = if rest.len() <= target {
            rest.len()
        } else {
            rest[target..].find('\n').map_or(rest.len(), |at| target + at + 1)
        };
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

/// Reads a presence export.
pub fn load(path: &std::path::Path, times: TimeReading) -> Result<PresenceColumns, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|error| {
        let line = 1 + error.as_bytes()[..error.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        LoadError::Rows {
            bad: vec![BadRow {
                line,
                column: "*",
                problem: "is not UTF-8 text".into(),
            }],
            more: 0,
            counted_in: "line",
        }
    })?;
    if text.contains('"') {
        return load_quoted(&text, times);
    }
    let (header, body) = text.split_once('\n').unwrap_or((&text, ""));
    let layout = Layout::of(header)?;
    let parsed: Vec<Piece> = pieces(body, rayon::current_num_threads() * 8)
        .into_par_iter()
        .map(|piece| parse_piece(piece, &layout, times))
        .collect();
    merge(parsed, Counting::Lines)
}

/// How a file's bad rows are placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Counting {
    /// By line, the header line 1 (CSV).
    Lines,
    /// By row, from 1 (Parquet).
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    Rows,
}

/// Merges the pieces' keys into one numbering and renumbers their rows.
pub(super) fn merge(mut parsed: Vec<Piece>, counting: Counting) -> Result<PresenceColumns, LoadError> {
    let mut bad = Vec::new();
    let mut more = 0;
    let (mut first_line, counted_in) = match counting {
        Counting::Lines => (2, "line"),
        Counting::Rows => (1, "row"),
    };
    for piece in &parsed {
        for row in &piece.bad {
            if bad.len() < BAD_ROWS_SHOWN {
                bad.push(BadRow {
                    line: first_line + row.line - 1,
                    ..row.clone()
                });
            } else {
                more += 1;
            }
        }
        first_line += piece.lines;
    }
    if !bad.is_empty() {
        return Err(LoadError::Rows {
            bad,
            more,
            counted_in,
        });
    }
    let mut columns = PresenceColumns::default();
    let people: Vec<&[(&str, &str, PersonKind)]> = parsed.iter().map(|p| &p.people[..]).collect();
    let places: Vec<&[(&str, &str, PlaceKind)]> = parsed.iter().map(|p| &p.places[..]).collect();
    let (person_keys, person_ids) = number_keys(&people);
    let (place_keys, place_ids) = number_keys(&places);
    columns.people = person_keys
        .into_par_iter()
        .map(|(site, id, kind)| PersonKey {
            site_id: site.to_string(),
            kind,
            person_id: id.to_string(),
        })
        .collect();
    columns.places = place_keys
        .into_iter()
        .map(|(site, id, kind)| PlaceKey {
            site_id: site.to_string(),
            kind,
            place_id: id.to_string(),
        })
        .collect();
    let renumbering: Vec<(Vec<u32>, Vec<u32>)> = person_ids.into_iter().zip(place_ids).collect();
    parsed
        .par_iter_mut()
        .zip(&renumbering)
        .for_each(|(piece, (person_ids, place_ids))| {
            for row in &mut piece.rows {
                row.person = person_ids[row.person as usize];
                row.place = place_ids[row.place as usize];
            }
        });
    columns.rows = Vec::with_capacity(parsed.iter().map(|p| p.rows.len()).sum());
    for piece in parsed {
        columns.rows.extend_from_slice(&piece.rows);
    }
    Ok(columns)
}

/// Shards the keys are numbered in, each on its own core.
const KEY_SHARDS: usize = 64;

/// One shard's distinct keys, and (piece, key's index in the piece, number in the
/// shard) for every key of a piece that fell there.
type Shard<K> = (Vec<K>, Vec<(usize, usize, u32)>);

/// One numbering of the pieces' keys: every distinct key once (shard by shard, each
/// shard's keys in the order the pieces name them), and per piece its keys' numbers.
/// Shards by hash, numbered in parallel: a city's millions of people are no longer
/// merged on one core.
fn number_keys<K: Copy + Eq + std::hash::Hash + Send + Sync>(pieces: &[&[K]]) -> (Vec<K>, Vec<Vec<u32>>) {
    use std::hash::BuildHasher as _;
    let hasher = hashbrown::DefaultHashBuilder::default();
    // Per piece, per shard: which of its keys fall there.
    let buckets: Vec<Vec<Vec<u32>>> = pieces
        .par_iter()
        .map(|keys| {
            let mut buckets = vec![Vec::new(); KEY_SHARDS];
            for (index, key) in keys.iter().enumerate() {
                buckets[hasher.hash_one(key) as usize % KEY_SHARDS].push(index as u32);
            }
            buckets
        })
        .collect();
    // Per shard: its distinct keys, and for each piece's key in it, its number there.
    let shards: Vec<Shard<K>> = (0..KEY_SHARDS)
        .into_par_iter()
        .map(|shard| {
            let mut numbers: HashMap<K, u32> = HashMap::new();
            let mut keys = Vec::new();
            let mut placed = Vec::new();
            for (piece, piece_keys) in pieces.iter().enumerate() {
                for &index in &buckets[piece][shard] {
                    let key = piece_keys[index as usize];
                    let number = *numbers.entry(key).or_insert_with(|| {
                        keys.push(key);
                        (keys.len() - 1) as u32
                    });
                    placed.push((piece, index as usize, number));
                }
            }
            (keys, placed)
        })
        .collect();
    let mut offsets = Vec::with_capacity(KEY_SHARDS);
    let mut total = 0u32;
    for (keys, _) in &shards {
        offsets.push(total);
        total += keys.len() as u32;
    }
    let mut numbering: Vec<Vec<u32>> = pieces.iter().map(|keys| vec![0; keys.len()]).collect();
    for (shard, (_, placed)) in shards.iter().enumerate() {
        for &(piece, index, number) in placed {
            numbering[piece][index] = offsets[shard] + number;
        }
    }
    let keys = shards.into_iter().flat_map(|(keys, _)| keys).collect();
    (keys, numbering)
}

/// A file with quoted fields, through the csv reader on one core: its records are read
/// first, then filed as one piece.
fn load_quoted(text: &str, times: TimeReading) -> Result<PresenceColumns, LoadError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|error| LoadError::Header(format!("the header cannot be read: {error}")))?
        .iter()
        .collect::<Vec<_>>()
        .join(",");
    let layout = Layout::of(&header)?;
    // A record's line from its byte offset, past the blank lines the reader skipped
    // before it (its own line count does not see them).
    let line_at = |position: Option<&csv::Position>| {
        position.map_or(0, |p| {
            let mut byte = (p.byte() as usize).min(text.len());
            while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
                byte += 1;
            }
            1 + text.as_bytes()[..byte].iter().filter(|&&b| b == b'\n').count()
        })
    };
    let mut records = Vec::new();
    let mut unreadable = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => records.push(record),
            Err(error) => unreadable.push(BadRow {
                line: line_at(error.position()),
                column: "*",
                problem: error.to_string(),
            }),
        }
    }
    let mut filing = Filing::default();
    for record in &records {
        let fields: Vec<&str> = record.iter().collect();
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        // Lines within the piece: the header is the line before its first.
        filing.take(
            line_at(record.position()).saturating_sub(1),
            &fields,
            &layout,
            times,
        );
    }
    filing.piece.bad.extend(unreadable.into_iter().map(|bad| BadRow {
        line: bad.line.saturating_sub(1),
        ..bad
    }));
    filing.piece.bad.sort_by_key(|bad| bad.line);
    filing.piece.lines = text.lines().count().saturating_sub(1);
    merge(vec![filing.piece], Counting::Lines)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Each row with its person and place spelled out, in the file's order.
    pub(in crate::analyze) fn resolved(
        columns: &PresenceColumns,
    ) -> Vec<(PersonKey, PlaceKey, i64, Option<i64>, u32)> {
        columns
            .rows
            .iter()
            .map(|row| {
                (
                    columns.people[row.person as usize].clone(),
                    columns.places[row.place as usize].clone(),
                    row.start,
                    row.end,
                    row.queue_position,
                )
            })
            .collect()
    }

    pub(in crate::analyze) fn times() -> TimeReading {
        TimeReading {
            utc_offset_minutes: 480,
            epoch: EpochUnit::Ms,
        }
    }

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        file
    }

    #[test]
    fn keys_are_kept_once_and_rows_name_them_in_any_column_order() {
        let mut text = String::from("person,site,place_kind,place,person_kind,start,end,queue_position\n");
        for n in 0..500 {
            text.push_str(&format!(
                "v{},hall,zone,tax-area,visitor,2026-11-28 10:{:02},2026-11-28T03:00:00Z,\n",
                n % 7,
                n % 60
            ));
        }
        text.push_str("v1,hall,entry_queue,gate-1,visitor,1795831920000,,3\r\n");
        let columns = load(write(&text).path(), times()).unwrap();
        assert_eq!(columns.rows.len(), 501);
        assert_eq!(columns.people.len(), 7);
        assert_eq!(columns.places.len(), 2);
        let last = columns.rows[500];
        assert_eq!(columns.people[last.person as usize].person_id, "v1");
        assert_eq!(
            (last.start, last.end, last.queue_position),
            (1_795_831_920_000, None, 3)
        );
        // The same file with quotes (through the csv reader) reads the same.
        let quoted = text.replacen("tax-area", "\"tax-area\"", 500);
        let again = load(write(&quoted).path(), times()).unwrap();
        assert_eq!(resolved(&again), resolved(&columns));
    }

    #[test]
    fn every_bad_row_is_named_by_line_and_column_and_nothing_loads() {
        let text = "site,person,person_kind,place,place_kind,start,end\n\
                    hall,v1,visitor,tax-area,zone,2026-11-28 10:00,2026-11-28 10:30\n\
                    hall,v2,robot,tax-area,zone,2026-11-28 10:00,2026-11-28 10:30\n\
                    \n\
                    hall,v3,visitor,tax-area,zone,2026-11-28 10:00,yesterday\n\
                    hall,,visitor,tax-area,zone,2026-11-28 10:00,\n\
                    hall,v4,visitor,gate-1,entry_queue,2026-11-28 10:00,\n\
                    hall,v5,visitor,tax-area,zone,2026-11-28 10:00,2026-11-28 09:00\n\
                    hall,v6,visitor,tax-area\n";
        let Err(LoadError::Rows { bad, more, .. }) = load(write(text).path(), times()) else {
            panic!("bad rows refused");
        };
        let found: Vec<(usize, &str)> = bad.iter().map(|b| (b.line, b.column)).collect();
        assert_eq!(
            found,
            [
                (3, "person_kind"),
                (5, "end"),
                (6, "person"),
                (7, "queue_position"),
                (8, "end"),
                (9, "*")
            ]
        );
        assert_eq!(more, 0);
        // The same rows with a quoted field, through the csv reader: the same lines.
        let quoted = text.replacen("tax-area", "\"tax-area\"", 1);
        let Err(LoadError::Rows { bad: quoted_bad, .. }) = load(write(&quoted).path(), times()) else {
            panic!("bad rows refused");
        };
        let quoted_found: Vec<(usize, &str)> = quoted_bad.iter().map(|b| (b.line, b.column)).collect();
        assert_eq!(quoted_found, found);
        let unknown = load(write("site,person,stat\n").path(), times()).unwrap_err();
        assert!(
            unknown.to_string().contains("unknown column \"stat\""),
            "{unknown}"
        );
    }
}
