//! The exposure line list made on the workers that judge it: each pair turned into its
//! text (or, for the table, its line) as it is judged. The CSV rows are written straight
//! from the engine's contact, the same bytes as the analyst command's CSV
//! (`report::exposures`, a test holds the two together) without the service's messages
//! and rows in between, which at millions of pairs cost more than finding them.

use std::sync::{Mutex, PoisonError};

use hallguard_contact_tracing::convert::{exposure_pair_message, rule_message};
use hallguard_tracing_engine::CoPresenceGraph;
use hallguard_tracing_engine::exposures::PairChunks;
use hallguard_tracing_engine::model::{PersonIdx, PersonKind};
use hallguard_tracing_engine::queries::Contact;

use crate::report::exposures::{ExposureLine, LineFormat, encode};
use crate::report::rule_name;

/// Text in one chunk: enough that a write is worth its call, little enough that the
/// chunks held while the list is made stay small.
const CHUNK_BYTES: usize = 1 << 20;
/// Lines in one chunk for the table.
const CHUNK_LINES: usize = 4096;

/// A part of the line list made ready on a worker.
#[derive(Debug, Default)]
pub struct Chunk {
    /// Encoded lines: CSV rows, or JSON elements each after a separator.
    pub text: Vec<u8>,
    /// Lines kept for the table, which sizes its columns over all of them.
    pub lines: Vec<ExposureLine>,
    /// How many pairs.
    pub count: usize,
    /// Why a line could not be encoded, if one could not.
    pub failed: Option<std::io::Error>,
    /// The last local day written and its text: most rows share it.
    date: (i64, String),
}

/// Turns judged pairs into lines of one format.
#[derive(Debug)]
pub struct Encoder<'g> {
    graph: &'g CoPresenceGraph,
    format: LineFormat,
    offset: i32,
    /// Chunks written out, to be filled again: a chunk made on a worker and dropped by
    /// the writer would send its pages back to the system, and the next chunks would
    /// have them cleared afresh (a city's list is gigabytes of text).
    spare: Mutex<Vec<Chunk>>,
}

impl<'g> Encoder<'g> {
    /// Lines of `format` about `graph`'s people, times at `offset` minutes from UTC.
    pub fn new(graph: &'g CoPresenceGraph, format: LineFormat, offset: i32) -> Self {
        Self {
            graph,
            format,
            offset,
            spare: Mutex::default(),
        }
    }

    /// Takes back a chunk that was written, to be filled again.
    pub fn recycle(&self, mut chunk: Chunk) {
        chunk.text.clear();
        chunk.lines.clear();
        chunk.count = 0;
        chunk.failed = None;
        self.spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(chunk);
    }
}

impl PairChunks for Encoder<'_> {
    type Chunk = Chunk;

    fn new_chunk(&self) -> Chunk {
        let spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner).pop();
        spare.unwrap_or_default()
    }

    fn is_full(&self, chunk: &Chunk) -> bool {
        chunk.text.len() >= CHUNK_BYTES || chunk.lines.len() >= CHUNK_LINES
    }

    fn add(&self, chunk: &mut Chunk, low: PersonIdx, contact: &Contact) {
        chunk.count += 1;
        if self.format == LineFormat::Csv {
            csv_row(
                &mut chunk.text,
                self.graph,
                low,
                contact,
                self.offset,
                &mut chunk.date,
            );
            return;
        }
        let line = ExposureLine::from_pair(&exposure_pair_message(self.graph, low, contact));
        if self.format == LineFormat::Table {
            chunk.lines.push(line);
            return;
        }
        match encode(self.format, std::slice::from_ref(&line), self.offset, false) {
            Ok(bytes) => chunk.text.extend_from_slice(&bytes),
            Err(error) => {
                chunk.failed.get_or_insert(error);
            }
        }
    }
}

fn kind_word(kind: PersonKind) -> &'static [u8] {
    match kind {
        PersonKind::Visitor => b"visitor",
        PersonKind::Staff => b"staff",
    }
}

/// Whether the csv crate would quote this text (a comma, a quote or a line break).
fn needs_quotes(text: &[u8]) -> bool {
    text.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// One CSV field, quoted as the csv crate quotes.
fn field(out: &mut Vec<u8>, text: &str) {
    if needs_quotes(text.as_bytes()) {
        out.push(b'"');
        quoted_text(out, text);
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// Text inside a quoted field: its quotes doubled.
fn quoted_text(out: &mut Vec<u8>, text: &str) {
    for (index, part) in text.split('"').enumerate() {
        if index > 0 {
            out.extend_from_slice(b"\"\"");
        }
        out.extend_from_slice(part.as_bytes());
    }
}

fn number(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// Two digits.
fn two_digits(out: &mut Vec<u8>, value: i64) {
    out.extend_from_slice(&[b'0' + (value / 10) as u8, b'0' + (value % 10) as u8]);
}

/// `YYYY-MM-DD HH:MM` in the hall's time, the date remembered from the row before.
fn local_minute(out: &mut Vec<u8>, millis: i64, offset: i32, date: &mut (i64, String)) {
    use hallguard_domain::time::{DAY_MS, MINUTE_MS};
    let local = millis.saturating_add(i64::from(offset) * MINUTE_MS);
    let day = local.div_euclid(DAY_MS);
    if date.0 != day || date.1.is_empty() {
        *date = (day, hallguard_domain::time::format_date(day));
    }
    let minutes = local.rem_euclid(DAY_MS) / MINUTE_MS;
    out.extend_from_slice(date.1.as_bytes());
    out.push(b' ');
    two_digits(out, minutes / 60);
    out.push(b':');
    two_digits(out, minutes % 60);
}

/// One pair as a CSV row in `report::exposures::CSV_HEADER` order.
pub fn csv_row(
    out: &mut Vec<u8>,
    graph: &CoPresenceGraph,
    low: PersonIdx,
    contact: &Contact,
    offset: i32,
    date: &mut (i64, String),
) {
    let (person, other) = (graph.person(low), graph.person(contact.person));
    field(out, &person.site_id);
    out.push(b',');
    field(out, &person.person_id);
    out.push(b',');
    out.extend_from_slice(kind_word(person.kind));
    out.push(b',');
    field(out, &other.person_id);
    out.push(b',');
    out.extend_from_slice(kind_word(other.kind));
    out.push(b',');
    field(out, contact.category);
    out.push(b',');
    local_minute(out, contact.first_exposure, offset, date);
    out.push(b',');
    number(out, (contact.total_ms / 1000).max(0));
    out.push(b',');
    // The evidence is written quoted, its place ids' quotes doubled; the quotes come
    // off again when it turns out to hold nothing that needs them.
    let opening = out.len();
    out.push(b'"');
    for (index, exposure) in contact.exposures.iter().enumerate() {
        if index > 0 {
            out.extend_from_slice(b"; ");
        }
        quoted_text(out, &graph.place(exposure.place).place_id);
        if exposure.other_place != exposure.place {
            out.push(b'/');
            quoted_text(out, &graph.place(exposure.other_place).place_id);
        }
        out.extend_from_slice(b" (");
        out.extend_from_slice(rule_name(rule_message(exposure.rule)).as_bytes());
        let seconds = (exposure.total_ms / 1000).max(0);
        if seconds > 0 {
            out.extend_from_slice(b", ");
            if seconds < 60 {
                number(out, seconds);
                out.extend_from_slice(b" s");
            } else {
                number(out, seconds / 60);
                out.extend_from_slice(b" min");
            }
        }
        if exposure.open_ended {
            out.extend_from_slice(b" so far, still there");
        }
        if exposure.capped {
            out.extend_from_slice(b", capped (never checked out)");
        }
        out.push(b')');
    }
    if needs_quotes(&out[opening + 1..]) {
        out.push(b'"');
    } else {
        out.remove(opening);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallguard_tracing_engine::model::PlaceKind;
    use hallguard_tracing_engine::synthetic::{self, HallShape};
    use hallguard_tracing_engine::{Cancel, Rules};

    #[test]
    fn the_fast_rows_are_the_analyst_commands_rows_byte_for_byte() {
        let shape = HallShape {
            sites: 1,
            days: 2,
            visitors_per_day: 200,
            ..HallShape::with_intervals(1_000, 3).with_awkward_cases()
        };
        let mut graph = synthetic::empty_graph(&shape);
        let mut presences = synthetic::generate(&shape);
        // A stay still open, a place id that needs quoting, and two staff at seats next
        // to each other.
        presences[5].end = None;
        presences[7].place.place_id = "tax-area, \"east\"".into();
        let (seat, next, _) = synthetic::table_relations(0).remove(0);
        for (who, seat) in [("s-a", seat), ("s-b", next)] {
            let mut lunch = presences
                .iter()
                .find(|p| p.place.kind == PlaceKind::CanteenSeat)
                .unwrap()
                .clone();
            lunch.person.person_id = who.into();
            lunch.place.place_id = seat;
            presences.push(lunch);
        }
        graph.add(&presences).unwrap();
        let window = (synthetic::FIRST_DAY, synthetic::FIRST_DAY + 3 * 86_400_000);
        let mut pairs = Vec::new();
        graph
            .exposures(None, window, &Rules::default(), &Cancel::default(), |chunk| {
                pairs.extend(chunk);
                Ok::<(), ()>(())
            })
            .unwrap();
        assert!(pairs.len() > 500, "{}", pairs.len());
        assert!(
            pairs
                .iter()
                .any(|p| p.contact.exposures.iter().any(|e| e.other_place != e.place))
        );
        let lines: Vec<ExposureLine> = pairs
            .iter()
            .map(|pair| ExposureLine::from_pair(&exposure_pair_message(&graph, pair.low, &pair.contact)))
            .collect();
        let slow = encode(LineFormat::Csv, &lines, 480, true).unwrap();
        let (mut fast, mut date) = (Vec::new(), (0, String::new()));
        for pair in &pairs {
            csv_row(&mut fast, &graph, pair.low, &pair.contact, 480, &mut date);
        }
        assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(slow).unwrap());
    }
}
