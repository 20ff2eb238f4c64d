//! The exposure line list as CSV straight from the engine's pairs, on the worker that
//! found them: the same bytes as the analyst command's CSV (`report::exposures`, a test
//! holds the two together) without building the service's messages and rows first,
//! which at millions of pairs costs more than finding them.

use std::io::Write as _;

use hallguard_contact_tracing::convert::rule_message;
use hallguard_tracing_engine::CoPresenceGraph;
use hallguard_tracing_engine::exposures::ExposurePair;
use hallguard_tracing_engine::model::PersonKind;

use crate::report::exposures::ExposureLine;
use crate::report::rule_name;

fn kind_word(kind: PersonKind) -> &'static str {
    match kind {
        PersonKind::Visitor => "visitor",
        PersonKind::Staff => "staff",
    }
}

/// One CSV field, quoted as the csv crate quotes (when it holds a comma, a quote or a
/// line break).
fn field(out: &mut Vec<u8>, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        for byte in text.bytes() {
            if byte == b'"' {
                out.push(b'"');
            }
            out.push(byte);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
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
    let _ = write!(out, "{} {:02}:{:02}", date.1, minutes / 60, minutes % 60);
}

/// Pairs as the analyst command's lines, through the service's messages (for the JSON
/// and table formats, and as the reference the CSV rows are held to).
pub fn exposure_lines(graph: &CoPresenceGraph, pairs: &[ExposurePair]) -> Vec<ExposureLine> {
    pairs
        .iter()
        .map(|pair| {
            ExposureLine::from_pair(&hallguard_contact_tracing::convert::exposure_pair_message(
                graph, pair,
            ))
        })
        .collect()
}

/// Pairs as CSV rows in `report::exposures::CSV_HEADER` order.
pub fn csv_rows(graph: &CoPresenceGraph, pairs: &[ExposurePair], offset: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(pairs.len() * 128);
    let mut date = (0, String::new());
    let mut evidence = String::new();
    for pair in pairs {
        let (person, other) = (graph.person(pair.low), graph.person(pair.contact.person));
        field(&mut out, &person.site_id);
        out.push(b',');
        field(&mut out, &person.person_id);
        let _ = write!(out, ",{},", kind_word(person.kind));
        field(&mut out, &other.person_id);
        let _ = write!(out, ",{},", kind_word(other.kind));
        field(&mut out, pair.contact.category);
        out.push(b',');
        local_minute(&mut out, pair.contact.first_exposure, offset, &mut date);
        let _ = write!(out, ",{},", (pair.contact.total_ms / 1000).max(0));
        evidence.clear();
        for (index, exposure) in pair.contact.exposures.iter().enumerate() {
            if index > 0 {
                evidence.push_str("; ");
            }
            evidence.push_str(&graph.place(exposure.place).place_id);
            if exposure.other_place != exposure.place {
                evidence.push('/');
                evidence.push_str(&graph.place(exposure.other_place).place_id);
            }
            evidence.push_str(" (");
            evidence.push_str(rule_name(rule_message(exposure.rule)));
            let seconds = (exposure.total_ms / 1000).max(0);
            if seconds > 0 {
                evidence.push_str(&format!(", {}", crate::report::contacts::minutes(seconds as u64)));
            }
            if exposure.open_ended {
                evidence.push_str(" so far, still there");
            }
            if exposure.capped {
                evidence.push_str(", capped (never checked out)");
            }
            evidence.push(')');
        }
        field(&mut out, &evidence);
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::exposures::{LineFormat, encode};
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
        let lines = exposure_lines(&graph, &pairs);
        let slow = encode(LineFormat::Csv, &lines, 480, true).unwrap();
        let fast = csv_rows(&graph, &pairs, 480);
        assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(slow).unwrap());
    }
}
