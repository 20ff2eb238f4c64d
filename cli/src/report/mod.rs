//! What an analyst reads: contacts as rows (table, CSV, JSON), the contact subgraph as
//! GraphML or DOT, and pictures as SVG. Pure functions over the services' answers; the
//! analyst commands and the demo both write through them.
//!
//! - [`contacts`]: close and secondary contacts as rows with their evidence.
//! - [`tabular`]: rows as a table, CSV or JSON.
//! - [`graph`]: the contact subgraph, as GraphML (Gephi, Cytoscape) or DOT (Graphviz).
//! - [`svg`]: the contact graph around an index case and a trajectory timeline.
//! - [`dossier`]: an incident as one self-contained page to explore offline.
//! - [`exposures`]: the exposure line list, written while it arrives.
//! - [`community`]: the report to a community about a paused registrant, as a document.

pub mod community;
pub mod contacts;
pub mod dossier;
pub mod exposures;
pub mod graph;
pub mod svg;
pub mod tabular;

use hallguard_proto::common::v1::{PersonKind, PersonRef};
use hallguard_proto::contact_tracing::v1::{ExposureRule, PlaceKind};

pub use hallguard_domain::time::format_local as local_time;
pub use hallguard_proto::enum_words;

/// Just the `HH:MM` of [`local_time`].
pub fn local_clock(millis: i64, utc_offset_minutes: i32) -> String {
    local_time(millis, utc_offset_minutes)[11..].to_string()
}

/// A person's kind in words.
pub fn kind_name(person: &PersonRef) -> &'static str {
    match person.kind() {
        PersonKind::Visitor => "visitor",
        PersonKind::Staff => "staff",
        PersonKind::Unspecified => "unknown",
    }
}

/// A place kind in words.
pub fn place_kind_name(kind: PlaceKind) -> &'static str {
    match kind {
        PlaceKind::Zone => "zone",
        PlaceKind::EntryQueue => "entry queue",
        PlaceKind::CanteenSeat => "canteen seat",
        PlaceKind::Unspecified => "place",
    }
}

/// An exposure rule in words.
pub fn rule_name(rule: ExposureRule) -> &'static str {
    match rule {
        ExposureRule::SameZone => "same zone",
        ExposureRule::EntryQueue => "entry-queue neighbours",
        ExposureRule::CanteenAdjacent => "adjacent canteen seats",
        ExposureRule::CanteenFacing => "facing canteen seats",
        ExposureRule::Unspecified => "unspecified",
    }
}

/// Escapes text for XML content and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_applies_the_offset_across_midnight() {
        // 2026-11-28 20:30 UTC is 04:30 on the 29th in China (+08:00).
        let millis = 1_795_897_800_000;
        assert_eq!(local_time(millis, 0), "2026-11-28 20:30");
        assert_eq!(local_time(millis, 480), "2026-11-29 04:30");
        assert_eq!(local_clock(millis, 480), "04:30");
    }

    #[test]
    fn xml_escape_leaves_no_markup() {
        assert_eq!(xml_escape(r#"<a & "b">'"#), "&lt;a &amp; &quot;b&quot;&gt;&apos;");
    }
}
