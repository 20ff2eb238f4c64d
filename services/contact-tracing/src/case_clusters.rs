//! Clusters of cases for `FindClusters` with cases named: the cases read from the
//! request, the engine's clusters (cases linked by close contact with each other) and
//! the answer with each cluster's first and last case and the places that link it.

use std::collections::{BTreeMap, HashMap};

use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::contact_tracing::v1 as pb;
use hallguard_tracing_engine::clusters::distinct_cases;
use hallguard_tracing_engine::queries::Window;
use hallguard_tracing_engine::rules::Rules;
use hallguard_tracing_engine::{Cancel, CoPresenceGraph, Millis};

use crate::convert;
use crate::error::ContactTracingError;

/// Most cases one cluster query may name (each case is one close-contact search).
pub const MAX_CLUSTER_CASES: usize = 10_000;

/// The clusters of the request's cases in `window`, largest first. A case the graph
/// never saw is in no cluster; a case of another hall than `site_id` (when named) is
/// refused, naming its field.
pub fn find(
    graph: &CoPresenceGraph,
    request: &pb::FindClustersRequest,
    window: Window,
    rules: &Rules,
    cancel: &Cancel,
) -> Result<Vec<pb::CaseCluster>, ContactTracingError> {
    if request.cases.len() > MAX_CLUSTER_CASES {
        return Err(ContactTracingError::invalid(
            "cases",
            format!("names more than {MAX_CLUSTER_CASES} cases"),
        ));
    }
    let mut cases = Vec::with_capacity(request.cases.len());
    for (index, case) in request.cases.iter().enumerate() {
        let field = format!("cases[{index}].person");
        let person = convert::person_key(case.person.as_ref(), &field)?;
        if !request.site_id.is_empty() && person.site_id != request.site_id {
            return Err(ContactTracingError::invalid(
                format!("{field}.site_id"),
                "is not the hall named in site_id",
            ));
        }
        let from = convert::instant(
            case.infectious_from.as_ref(),
            &format!("cases[{index}].infectious_from"),
        )?;
        if let Some(person) = graph.person_index(&person) {
            cases.push((person, from));
        }
    }
    let cases = distinct_cases(&cases);
    let infectious_from: HashMap<u32, Millis> = cases.iter().copied().collect();
    let min_size = if request.min_size == 0 {
        2
    } else {
        request.min_size as usize
    };
    let clusters = graph.case_clusters(&cases, window, rules, min_size, cancel)?;
    let case_message = |person: u32| pb::Case {
        person: Some(convert::person_ref(graph.person(person))),
        infectious_from: infectious_from.get(&person).map(|&at| millis_to_timestamp(at)),
    };
    Ok(clusters
        .into_iter()
        .map(|cluster| {
            let mut by_time: Vec<u32> = cluster.cases.clone();
            by_time.sort_by_key(|case| (infectious_from.get(case).copied(), *case));
            // Each place once, in the order the links name them.
            let mut places = BTreeMap::new();
            for exposure in cluster.links.iter().flat_map(|link| &link.exposures) {
                for place in [exposure.place, exposure.other_place] {
                    let key = graph.place(place);
                    places
                        .entry((key.kind, key.place_id.clone()))
                        .or_insert_with(|| convert::place_message(key));
                }
            }
            pb::CaseCluster {
                first_case: by_time.first().map(|&case| case_message(case)),
                last_case: by_time.last().map(|&case| case_message(case)),
                cases: by_time.iter().map(|&case| case_message(case)).collect(),
                links: cluster
                    .links
                    .iter()
                    .map(|link| pb::CaseLink {
                        person: Some(convert::person_ref(graph.person(link.case))),
                        other: Some(convert::person_ref(graph.person(link.other))),
                        exposures: link
                            .exposures
                            .iter()
                            .map(|exposure| convert::exposure_message(graph, exposure))
                            .collect(),
                    })
                    .collect(),
                places: places.into_values().collect(),
            }
        })
        .collect())
}
