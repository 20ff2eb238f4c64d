//! Canteen geometry: which seats are adjacent (next to each other) or facing (across
//! the table). The services derive it from the layout; the engine only looks it up.

use std::collections::HashMap;

use crate::model::PlaceIdx;
use crate::rules::ExposureRule;

/// Seat relations, by place index.
#[derive(Debug, Clone, Default)]
pub struct SeatGeometry {
    relations: HashMap<(PlaceIdx, PlaceIdx), ExposureRule>,
    table_of: HashMap<PlaceIdx, u32>,
}

impl SeatGeometry {
    /// Records that two seats are adjacent or facing, and so at the same table.
    pub fn relate(&mut self, a: PlaceIdx, b: PlaceIdx, rule: ExposureRule) {
        self.relations.insert((a.min(b), a.max(b)), rule);
        let table = match (self.table_of.get(&a), self.table_of.get(&b)) {
            (Some(&t), _) | (None, Some(&t)) => t,
            (None, None) => a,
        };
        self.table_of.insert(a, table);
        self.table_of.insert(b, table);
    }

    /// How two seats relate, if at all.
    pub fn relation(&self, a: PlaceIdx, b: PlaceIdx) -> Option<ExposureRule> {
        self.relations.get(&(a.min(b), a.max(b))).copied()
    }

    /// The table group a seat belongs to (the seat itself when it has no neighbours).
    pub fn table(&self, seat: PlaceIdx) -> u32 {
        self.table_of.get(&seat).copied().unwrap_or(seat)
    }
}
