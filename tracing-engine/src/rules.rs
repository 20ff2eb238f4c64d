//! Exposure rules: data, not code. Thresholds can change per query without rebuilding
//! the graph, because the graph keeps every pair's overlap longer than zero.

use crate::Millis;
use crate::model::ZoneKind;

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

/// "So long in total within so many hours, wherever in the hall": the CDC's definition
/// of a close contact (15 minutes within 24 hours), where ten minutes in one zone and
/// eight in another make a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cumulative {
    /// Minimum overlap in all zones together (ms).
    pub min_total_ms: i64,
    /// Within any period this long (ms).
    pub within_ms: i64,
}

impl Default for Cumulative {
    fn default() -> Self {
        Self {
            min_total_ms: 15 * 60_000,
            within_ms: 24 * 3_600_000,
        }
    }
}

/// Thresholds applied at query time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Minimum cumulative overlap in one zone (ms); default 15 minutes.
    pub zone_min_overlap_ms: i64,
    /// The same per zone kind where it differs (a lift car, a meeting room), by
    /// [`ZoneKind::index`]; `None` takes `zone_min_overlap_ms`.
    pub zone_kind_min_overlap_ms: [Option<i64>; ZoneKind::COUNT],
    /// When set, zones are judged together instead of one by one: a pair is a contact
    /// when their overlap in all zones reaches the total within the period, and every
    /// zone's pieces are the evidence.
    pub cumulative: Option<Cumulative>,
    /// Queue neighbours within this many places; default 2.
    pub queue_max_places: u32,
    /// Queue neighbours within this many ms of each other's check-in; default 60 s.
    /// Applies up to [`Floors::queue_max_places_kept`] places apart (default 10).
    pub queue_max_ms: i64,
    /// Minimum overlap on adjacent or facing seats (ms); default 1 minute.
    pub canteen_min_overlap_ms: i64,
}

impl Rules {
    /// The cumulative overlap a rule needs in a zone of `kind` (0 for the queue, which
    /// counts meetings).
    pub fn min_overlap_ms(&self, rule: ExposureRule, kind: ZoneKind) -> i64 {
        match rule {
            ExposureRule::SameZone => self.zone_min_overlap_ms_of(kind),
            ExposureRule::CanteenAdjacent | ExposureRule::CanteenFacing => self.canteen_min_overlap_ms,
            ExposureRule::EntryQueue => 0,
        }
    }

    /// The overlap one zone of `kind` needs.
    pub fn zone_min_overlap_ms_of(&self, kind: ZoneKind) -> i64 {
        self.zone_kind_min_overlap_ms[kind.index()].unwrap_or(self.zone_min_overlap_ms)
    }

    /// The least overlap any zone needs: below it no pair can qualify in one zone.
    pub fn least_zone_min_overlap_ms(&self) -> i64 {
        ZoneKind::ALL
            .iter()
            .map(|&kind| self.zone_min_overlap_ms_of(kind))
            .min()
            .unwrap_or(self.zone_min_overlap_ms)
    }
}

/// The most overlap that fits in any period of `within` ms, for spans sorted by start
/// that do not overlap each other. The best period starts where a span starts or ends
/// where one ends, so only those are tried.
pub fn most_within(spans: &[(Millis, Millis)], within: Millis) -> Millis {
    let covered = |from: Millis, to: Millis| -> Millis {
        spans
            .iter()
            .map(|&(start, end)| (end.min(to) - start.max(from)).max(0))
            .sum()
    };
    spans
        .iter()
        .flat_map(|&(start, end)| {
            [
                covered(start, start.saturating_add(within)),
                covered(end.saturating_sub(within), end),
            ]
        })
        .max()
        .unwrap_or(0)
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            zone_min_overlap_ms: 15 * 60_000,
            zone_kind_min_overlap_ms: [None; ZoneKind::COUNT],
            cumulative: None,
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

/// How long a stay sent while still open is counted at most, by place: someone who never
/// checked out is not kept inside overnight. Set per hall before its stays arrive; a
/// stay cut here is marked as capped in its evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongestStays {
    /// Per zone kind, by [`ZoneKind::index`].
    pub zone: [Millis; ZoneKind::COUNT],
    /// At a canteen seat.
    pub canteen_seat: Millis,
    /// In a gate's entry queue.
    pub entry_queue: Millis,
}

impl Default for LongestStays {
    fn default() -> Self {
        const HOUR: Millis = 3_600_000;
        let mut zone = [12 * HOUR; ZoneKind::COUNT];
        zone[ZoneKind::MeetingRoom.index()] = 8 * HOUR;
        zone[ZoneKind::Canteen.index()] = 3 * HOUR;
        zone[ZoneKind::Isolation.index()] = 24 * HOUR;
        zone[ZoneKind::Lift.index()] = HOUR / 2;
        zone[ZoneKind::Toilets.index()] = HOUR;
        Self {
            zone,
            canteen_seat: 2 * HOUR,
            entry_queue: HOUR / 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_within_a_period_is_found_wherever_it_lies() {
        const H: Millis = 3_600_000;
        // 10 min at 09:00, 8 min at 20:00, 10 min the next day at 19:00 (34 h later).
        let spans = [
            (9 * H, 9 * H + 600_000),
            (20 * H, 20 * H + 480_000),
            (43 * H, 43 * H + 600_000),
        ];
        assert_eq!(most_within(&spans, 24 * H), 1_080_000);
        assert_eq!(most_within(&spans, 2 * H), 600_000);
        // A period shorter than a span takes the part that fits.
        assert_eq!(most_within(&[(0, 10 * H)], H), H);
        assert_eq!(most_within(&[], H), 0);
    }
}
