//! Proto messages to engine types and back. Validation happens here, once, naming the
//! field at fault; the engine and the store never see a proto type.

use hallguard_domain::hall::Hall;
use hallguard_domain::time::now_millis;
use hallguard_platform::error::ServiceError;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_platform::validate;
use hallguard_proto::common::v1 as common;
use hallguard_proto::contact_tracing::v1 as pb;
use hallguard_tracing_engine::model::{
    PersonIdx, PersonKey, PersonKind, PlaceKey, PlaceKind, Presence, Stay, ZoneKind,
};
use hallguard_tracing_engine::queries::{Contact, Exposure, SecondaryContact};
use hallguard_tracing_engine::rules::{ExposureRule, Floors, Rules};
use hallguard_tracing_engine::{CoPresenceGraph, Millis};

use crate::error::ContactTracingError;
use crate::hall_rules;
use crate::store::Ingested;

/// Clock skew tolerated for times in the future.
const MAX_FUTURE_MS: Millis = 5 * 60_000;

/// Checks a person reference; `field` is the path used in errors.
pub fn person_key(person: Option<&common::PersonRef>, field: &str) -> Result<PersonKey, ContactTracingError> {
    let person = person.ok_or_else(|| ContactTracingError::invalid(field, "is required"))?;
    if person.site_id.trim().is_empty() {
        return Err(ContactTracingError::invalid(
            format!("{field}.site_id"),
            "is empty",
        ));
    }
    if person.person_id.trim().is_empty() {
        return Err(ContactTracingError::invalid(
            format!("{field}.person_id"),
            "is empty",
        ));
    }
    let kind = match common::PersonKind::try_from(person.kind) {
        Ok(common::PersonKind::Visitor) => PersonKind::Visitor,
        Ok(common::PersonKind::Staff) => PersonKind::Staff,
        _ => {
            return Err(ContactTracingError::invalid(
                format!("{field}.kind"),
                "must be VISITOR or STAFF",
            ));
        }
    };
    Ok(PersonKey {
        site_id: person.site_id.clone(),
        kind,
        person_id: person.person_id.clone(),
    })
}

/// An engine person as a proto reference.
pub fn person_ref(person: &PersonKey) -> common::PersonRef {
    common::PersonRef {
        site_id: person.site_id.clone(),
        kind: match person.kind {
            PersonKind::Visitor => common::PersonKind::Visitor,
            PersonKind::Staff => common::PersonKind::Staff,
        } as i32,
        person_id: person.person_id.clone(),
    }
}

/// A place kind from its proto number; `field` names it in errors.
pub fn place_kind(kind: i32, field: &str) -> Result<PlaceKind, ContactTracingError> {
    match pb::PlaceKind::try_from(kind) {
        Ok(pb::PlaceKind::Zone) => Ok(PlaceKind::Zone),
        Ok(pb::PlaceKind::EntryQueue) => Ok(PlaceKind::EntryQueue),
        Ok(pb::PlaceKind::CanteenSeat) => Ok(PlaceKind::CanteenSeat),
        _ => Err(ContactTracingError::invalid(
            field,
            "must be ZONE, ENTRY_QUEUE or CANTEEN_SEAT",
        )),
    }
}

/// A place as a proto message.
pub fn place_message(place: &PlaceKey) -> pb::Place {
    pb::Place {
        kind: match place.kind {
            PlaceKind::Zone => pb::PlaceKind::Zone,
            PlaceKind::EntryQueue => pb::PlaceKind::EntryQueue,
            PlaceKind::CanteenSeat => pb::PlaceKind::CanteenSeat,
        } as i32,
        place_id: place.place_id.clone(),
    }
}

/// Validates one interval of an ingest request.
pub fn ingested(interval: &pb::PresenceInterval, field: &str) -> Result<Ingested, ContactTracingError> {
    if interval.source_event_id.trim().is_empty() {
        return Err(ContactTracingError::invalid(
            format!("{field}.source_event_id"),
            "is empty",
        ));
    }
    let person = person_key(interval.person.as_ref(), &format!("{field}.person"))?;
    let place = interval
        .place
        .as_ref()
        .ok_or_else(|| ContactTracingError::invalid(format!("{field}.place"), "is required"))?;
    let kind = place_kind(place.kind, &format!("{field}.place.kind"))?;
    if place.place_id.trim().is_empty() {
        return Err(ContactTracingError::invalid(
            format!("{field}.place.place_id"),
            "is empty",
        ));
    }
    let start = instant(interval.start.as_ref(), &format!("{field}.start"))?;
    let latest = now_millis() + MAX_FUTURE_MS;
    if start > latest {
        return Err(ContactTracingError::invalid(
            format!("{field}.start"),
            "is in the future",
        ));
    }
    let end = interval
        .end
        .as_ref()
        .map(|end| instant(Some(end), &format!("{field}.end")))
        .transpose()?;
    if let Some(end) = end {
        if end < start {
            return Err(ContactTracingError::invalid(
                format!("{field}.end"),
                "is before start",
            ));
        }
        if end > latest {
            return Err(ContactTracingError::invalid(
                format!("{field}.end"),
                "is in the future",
            ));
        }
    }
    if kind == PlaceKind::EntryQueue && interval.queue_position == 0 {
        return Err(ContactTracingError::invalid(
            format!("{field}.queue_position"),
            "is required for an entry queue",
        ));
    }
    let presence = Presence {
        place: PlaceKey {
            site_id: person.site_id.clone(),
            kind,
            place_id: place.place_id.clone(),
        },
        person,
        start,
        end,
        queue_position: if kind == PlaceKind::EntryQueue {
            interval.queue_position
        } else {
            0
        },
    };
    // The engine's own checks last: what it would refuse is never stored.
    presence
        .validate()
        .map_err(|error| ContactTracingError::invalid(field, error.to_string()))?;
    Ok(Ingested {
        source_event_id: interval.source_event_id.clone(),
        presence,
    })
}

/// The hall's default rules (the engine's without a hall) with a call's overrides.
/// Overrides the graph cannot answer exactly are refused: queue neighbours are kept
/// within 10 places and 5 minutes, so a wider queue rule would silently miss pairs.
pub fn rules(
    hall: Option<&Hall>,
    overrides: Option<&pb::RuleOverrides>,
) -> Result<Rules, ContactTracingError> {
    let mut rules = hall.map(hall_rules::default_rules).unwrap_or_default();
    let floors = Floors::default();
    let Some(overrides) = overrides else {
        return Ok(rules);
    };
    if let Some(seconds) = overrides.zone_min_overlap_seconds {
        // One figure for every zone, unless a kind is named below.
        rules.zone_min_overlap_ms = i64::from(seconds) * 1000;
        rules.zone_kind_min_overlap_ms = [None; ZoneKind::COUNT];
    }
    for (name, &seconds) in &overrides.zone_kind_min_overlap_seconds {
        let kind = hall_rules::zone_kind_named(name).ok_or_else(|| {
            ContactTracingError::invalid(
                format!("overrides.zone_kind_min_overlap_seconds[{name}]"),
                "is not a zone kind (public, service_windows, lift, toilets, meeting_room, canteen, isolation, office)",
            )
        })?;
        rules.zone_kind_min_overlap_ms[kind.index()] = Some(i64::from(seconds) * 1000);
    }
    let hall_cumulative = hall.map(hall_rules::cumulative).unwrap_or_default();
    match pb::ZoneRule::try_from(overrides.zone_rule) {
        Ok(pb::ZoneRule::Unspecified) => {}
        Ok(pb::ZoneRule::PerPlace) => rules.cumulative = None,
        Ok(pb::ZoneRule::Cumulative) => rules.cumulative = Some(rules.cumulative.unwrap_or(hall_cumulative)),
        Err(_) => {
            return Err(ContactTracingError::invalid(
                "overrides.zone_rule",
                "is not a zone rule",
            ));
        }
    }
    if overrides.cumulative_min_seconds.is_some() || overrides.cumulative_within_seconds.is_some() {
        let field = if overrides.cumulative_min_seconds.is_some() {
            "overrides.cumulative_min_seconds"
        } else {
            "overrides.cumulative_within_seconds"
        };
        let cumulative = rules.cumulative.as_mut().ok_or_else(|| {
            ContactTracingError::invalid(
                field,
                "applies to the cumulative zone rule: set zone_rule to ZONE_RULE_CUMULATIVE",
            )
        })?;
        if let Some(seconds) = overrides.cumulative_min_seconds {
            cumulative.min_total_ms = i64::from(seconds) * 1000;
        }
        if let Some(seconds) = overrides.cumulative_within_seconds {
            let ms = i64::from(seconds) * 1000;
            if !(1..=validate::MAX_WINDOW_MS).contains(&ms) {
                return Err(ContactTracingError::invalid(
                    "overrides.cumulative_within_seconds",
                    "must be 1 second to 366 days",
                ));
            }
            cumulative.within_ms = ms;
        }
    }
    if let Some(places) = overrides.queue_max_places {
        if places > floors.queue_max_places_kept {
            return Err(ContactTracingError::invalid(
                "overrides.queue_max_places",
                format!("must be at most {}", floors.queue_max_places_kept),
            ));
        }
        rules.queue_max_places = places;
    }
    if let Some(seconds) = overrides.queue_max_seconds {
        if i64::from(seconds) * 1000 > floors.queue_window_ms {
            return Err(ContactTracingError::invalid(
                "overrides.queue_max_seconds",
                format!("must be at most {}", floors.queue_window_ms / 1000),
            ));
        }
        rules.queue_max_ms = i64::from(seconds) * 1000;
    }
    if let Some(seconds) = overrides.canteen_min_overlap_seconds {
        rules.canteen_min_overlap_ms = i64::from(seconds) * 1000;
    }
    Ok(rules)
}

/// A window cut at now: nothing is known after the query's time, and a stay still open
/// lasts until the window's end.
pub fn until_now(window: (Millis, Millis)) -> (Millis, Millis) {
    (window.0, window.1.min(now_millis()).max(window.0))
}

/// A query's window message, checked ([`window`]) and cut at now ([`until_now`]).
pub fn query_window(
    window: Option<&common::TimeWindow>,
    field: &str,
) -> Result<(Millis, Millis), ContactTracingError> {
    self::window(window, field).map(until_now)
}

/// A time window message, checked (the platform's window rules: both ends in range, end
/// after start, at most 366 days).
pub fn window(
    window: Option<&common::TimeWindow>,
    field: &str,
) -> Result<(Millis, Millis), ContactTracingError> {
    let window = window.ok_or_else(|| ContactTracingError::invalid(field, "is required"))?;
    let start = instant(window.start.as_ref(), &format!("{field}.start"))?;
    let end = instant(window.end.as_ref(), &format!("{field}.end"))?;
    validate::window_bounds(start, end, field).map_err(from_validation)
}

/// A required time within the range the services and the engine accept.
pub fn instant(
    timestamp: Option<&prost_types::Timestamp>,
    field: &str,
) -> Result<Millis, ContactTracingError> {
    validate::instant(timestamp, field).map_err(from_validation)
}

/// The platform's request checks answer with its own error type; they only ever find
/// an invalid field.
fn from_validation(error: ServiceError) -> ContactTracingError {
    match error {
        ServiceError::Invalid(violation) => ContactTracingError::Invalid(violation),
        ServiceError::NotFound(violation) => ContactTracingError::NotFound(violation),
        other => ContactTracingError::Engine(other.to_string()),
    }
}

/// A window as a message.
pub fn window_message(window: (Millis, Millis)) -> common::TimeWindow {
    common::TimeWindow {
        start: Some(millis_to_timestamp(window.0)),
        end: Some(millis_to_timestamp(window.1)),
    }
}

pub fn rule_message(rule: ExposureRule) -> pb::ExposureRule {
    match rule {
        ExposureRule::SameZone => pb::ExposureRule::SameZone,
        ExposureRule::EntryQueue => pb::ExposureRule::EntryQueue,
        ExposureRule::CanteenAdjacent => pb::ExposureRule::CanteenAdjacent,
        ExposureRule::CanteenFacing => pb::ExposureRule::CanteenFacing,
    }
}

/// An exposure as a message.
pub fn exposure_message(graph: &CoPresenceGraph, exposure: &Exposure) -> pb::Exposure {
    pb::Exposure {
        place: Some(place_message(graph.place(exposure.place))),
        rule: rule_message(exposure.rule) as i32,
        spans: exposure.spans.iter().map(|&span| window_message(span)).collect(),
        seconds: u64::try_from(exposure.total_ms / 1000).unwrap_or(0),
        other_place_id: if exposure.other_place == exposure.place {
            String::new()
        } else {
            graph.place(exposure.other_place).place_id.clone()
        },
        end_unknown: exposure.open_ended,
        capped: exposure.capped,
    }
}

/// How a stay from a trajectory or who-was-there ends, seen at the window's end (the
/// query's time): `(end_unknown, capped)`.
pub fn stay_ending(stay: &Stay, window: (Millis, Millis)) -> (bool, bool) {
    (
        stay.open && stay.end >= window.1,
        stay.open && stay.end < window.1,
    )
}

/// A close contact as a message.
pub fn contact_message(graph: &CoPresenceGraph, contact: &Contact) -> pb::Contact {
    pb::Contact {
        person: Some(person_ref(graph.person(contact.person))),
        category: contact.category.to_string(),
        exposures: contact
            .exposures
            .iter()
            .map(|e| exposure_message(graph, e))
            .collect(),
        total_seconds: u64::try_from(contact.total_ms / 1000).unwrap_or(0),
        first_exposure: Some(millis_to_timestamp(contact.first_exposure)),
    }
}

/// A pair of the exposure line list as a message.
pub fn exposure_pair_message(graph: &CoPresenceGraph, low: PersonIdx, contact: &Contact) -> pb::ExposurePair {
    pb::ExposurePair {
        person: Some(person_ref(graph.person(low))),
        contact: Some(contact_message(graph, contact)),
    }
}

/// A secondary contact as a message.
pub fn secondary_message(graph: &CoPresenceGraph, secondary: &SecondaryContact) -> pb::SecondaryContact {
    pb::SecondaryContact {
        person: Some(person_ref(graph.person(secondary.person))),
        via: Some(person_ref(graph.person(secondary.via))),
        via_first_exposure: Some(millis_to_timestamp(secondary.via_first_exposure)),
        exposures: secondary
            .contact
            .exposures
            .iter()
            .map(|e| exposure_message(graph, e))
            .collect(),
        category: secondary.contact.category.to_string(),
    }
}

/// The people of a contact query as nodes (index, ring 1, ring 2) and their exposures
/// as edges: index to each close contact, each close contact to their secondary contacts.
/// Clients that already hold the contacts (the analyst's graph formats) draw the same
/// graph from them without asking again.
pub fn subgraph(index: &common::PersonRef, found: &pb::FindContactsResponse) -> pb::ExportSubgraphResponse {
    let mut nodes = vec![pb::SubgraphNode {
        person: Some(index.clone()),
        ring: 0,
    }];
    let mut edges = Vec::new();
    let mut position: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let node_key = |person: &Option<common::PersonRef>| {
        person
            .as_ref()
            .map(|p| format!("{}/{}/{}", p.site_id, p.kind, p.person_id))
            .unwrap_or_default()
    };
    for contact in &found.close_contacts {
        let at = nodes.len() as u32;
        position.insert(node_key(&contact.person), at);
        nodes.push(pb::SubgraphNode {
            person: contact.person.clone(),
            ring: 1,
        });
        edges.push(pb::SubgraphEdge {
            from: 0,
            to: at,
            exposures: contact.exposures.clone(),
        });
    }
    for secondary in &found.secondary_contacts {
        let at = nodes.len() as u32;
        nodes.push(pb::SubgraphNode {
            person: secondary.person.clone(),
            ring: 2,
        });
        if let Some(&via) = position.get(&node_key(&secondary.via)) {
            edges.push(pb::SubgraphEdge {
                from: via,
                to: at,
                exposures: secondary.exposures.clone(),
            });
        }
    }
    pb::ExportSubgraphResponse { nodes, edges }
}
