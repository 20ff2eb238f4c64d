//! The chain of incidents an incident belongs to, through parent links: a positive
//! contact's incident is the child of the incident whose contact they were. From any
//! incident: up to the root, then every descendant, breadth first, each with its depth.

use std::collections::{HashSet, VecDeque};

use hallguard_platform::error::{Result, ServiceError};
use sqlx::AnyPool;

use crate::model::Incident;
use crate::store::incidents;

/// Most incidents one chain answers (and parents climbed): a guard, not a figure a hall
/// reaches.
pub const MAX_CHAIN_INCIDENTS: usize = 1_000;

/// An incident in its chain.
#[derive(Debug, Clone)]
pub struct Link {
    /// The incident.
    pub incident: Incident,
    /// Links from the root (0 for the root).
    pub depth: u32,
}

/// The chain `incident` belongs to, root first, then breadth first by occurrence.
pub async fn of(pool: &AnyPool, incident: Incident) -> Result<Vec<Link>> {
    let mut root = incident;
    let mut climbed = HashSet::from([root.incident_id.clone()]);
    while let Some(parent) = root.parent_incident_id.clone() {
        if !climbed.insert(parent.clone()) || climbed.len() > MAX_CHAIN_INCIDENTS {
            break;
        }
        match incidents::load(pool, &parent).await {
            Ok(found) => root = found,
            // A parent removed (or never stored) ends the climb where the record ends.
            Err(ServiceError::NotFound(_)) => break,
            Err(error) => return Err(error),
        }
    }
    let mut links = Vec::new();
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([(root, 0u32)]);
    while let Some((incident, depth)) = queue.pop_front() {
        if links.len() >= MAX_CHAIN_INCIDENTS || !seen.insert(incident.incident_id.clone()) {
            continue;
        }
        for child in incidents::children(pool, &incident.incident_id).await? {
            queue.push_back((child, depth + 1));
        }
        links.push(Link { incident, depth });
    }
    Ok(links)
}
