//! Exposure rules: data, not code. Thresholds can change per query without rebuilding
//! the graph, because the graph keeps every pair's cumulative overlap above a floor.

/// The rule that linked two people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExposureRule {
    /// Same zone, cumulative overlap at or above the zone threshold.
    SameZone,
    /// Neighbours in a gate's entry queue.
    EntryQueue,
    /// Adjacent canteen seats with overlapping meals.
    CanteenAdjacent,
    /// Facing canteen seats with overlapping meals.
    CanteenFacing,
}

impl ExposureRule {
    /// The category a contact by this rule gets, e.g. for follow-up priority.
    pub fn category(self) -> &'static str {
        match self {
            ExposureRule::SameZone => "zone-masked",
            ExposureRule::EntryQueue => "entry-queue-masked",
            ExposureRule::CanteenAdjacent | ExposureRule::CanteenFacing => "canteen-unmasked",
        }
    }

    /// Higher is a closer exposure; a contact's category comes from its closest rule.
    pub fn closeness(self) -> u8 {
        match self {
            ExposureRule::SameZone => 1,
            ExposureRule::EntryQueue => 2,
            ExposureRule::CanteenAdjacent => 3,
            ExposureRule::CanteenFacing => 4,
        }
    }
}

/// Thresholds applied at query time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Minimum cumulative overlap in one zone (ms); default 15 minutes.
    pub zone_min_overlap_ms: i64,
    /// Queue neighbours within this many places; default 2.
    pub queue_max_places: u32,
    /// Queue neighbours within this many ms of each other's check-in; default 60 s.
    /// Applies up to [`Floors::queue_max_places_kept`] places apart (default 10).
    pub queue_max_ms: i64,
    /// Minimum overlap on adjacent or facing seats (ms); default 1 minute.
    pub canteen_min_overlap_ms: i64,
}

impl Rules {
    /// The cumulative overlap a rule needs (0 for the queue, which counts meetings).
    pub fn min_overlap_ms(&self, rule: ExposureRule) -> i64 {
        match rule {
            ExposureRule::SameZone => self.zone_min_overlap_ms,
            ExposureRule::CanteenAdjacent | ExposureRule::CanteenFacing => self.canteen_min_overlap_ms,
            ExposureRule::EntryQueue => 0,
        }
    }
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            zone_min_overlap_ms: 15 * 60_000,
            queue_max_places: 2,
            queue_max_ms: 60_000,
            canteen_min_overlap_ms: 60_000,
        }
    }
}

/// What the graph keeps, fixed at build time: pairs below these never become edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floors {
    /// Pairs whose cumulative overlap in a zone or at a table on one day is below this
    /// are dropped. The default, 1 ms, keeps every overlap longer than zero, so a
    /// cumulative threshold of any size at query time is exact (870 s one day and 45 s
    /// the next is 915 s); a larger floor would trade exactness for memory.
    pub min_overlap_ms: i64,
    /// Entry-queue pairs are kept when their check-ins are at most this far apart
    /// (default 5 minutes); queries by position see only pairs inside this window.
    pub queue_window_ms: i64,
    /// Entry-queue pairs are kept when their queue places are at most this far apart
    /// (default 10): the time rule ("within 60 s") reaches only this many places either
    /// side, so a crowd checked in within one second pairs each person with their
    /// neighbours, not with everyone (linear in the queue, not quadratic).
    pub queue_max_places_kept: u32,
}

/// Most earlier check-ins one check-in is paired with in a queue, whatever their places:
/// a device that sends one place for everyone still gets a bounded number of pairs.
pub const QUEUE_MAX_NEIGHBOURS: usize = 32;

impl Default for Floors {
    fn default() -> Self {
        Self {
            min_overlap_ms: 1,
            queue_window_ms: 5 * 60_000,
            queue_max_places_kept: 10,
        }
    }
}
