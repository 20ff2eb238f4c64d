//! Where and when: the places of every hall, the hall each belongs to, each hall's clock
//! (its local day), its zones' kinds, its longest plausible stays and its canteen seat
//! geometry; and from these, the group a stay falls in and where an open stay ends. Kept apart from the people so that a build can intern people
//! on one core while another files stays into groups.

use crate::Millis;
use crate::geometry::SeatGeometry;
use crate::model::{Interner, PlaceIdx, PlaceKey, PlaceKind, SiteIdx, ZoneKind};
use crate::rules::{ExposureRule, LongestStays};

const DAY_MS: Millis = 86_400_000;

/// A hall's clock: where its local day starts. (Its closing time is not the engine's
/// business: a stay still open lasts until the query's time, whatever the hours.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SiteClock {
    /// Local time minus UTC, in ms (China: +8 h).
    pub utc_offset_ms: Millis,
}

/// Identifies a group: a zone or queue (or a canteen table) on one local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    /// Zone or queue place, or the table group of a seat.
    pub anchor: u32,
    /// Kind of place.
    pub kind: PlaceKind,
    /// Local day number since the epoch.
    pub day: i64,
}

/// The engine's map of the halls it serves: places, the hall each belongs to, clocks,
/// zone kinds and seats (not `hallguard_domain::hall::Halls`, the hall files).
#[derive(Debug, Default)]
pub(crate) struct HallMap {
    pub(crate) places: Interner<PlaceKey>,
    sites: Interner<String>,
    place_site: Vec<SiteIdx>,
    /// Per place: its zone kind (public unless told).
    zone_kinds: Vec<ZoneKind>,
    clocks: Vec<SiteClock>,
    longest_stays: Vec<LongestStays>,
    pub(crate) geometry: SeatGeometry,
}

impl HallMap {
    /// The index of a site, added if new.
    pub(crate) fn site(&mut self, site_id: &str) -> SiteIdx {
        match self.sites.get(site_id) {
            Some(site) => site,
            None => self.sites.intern(&site_id.to_string()),
        }
    }

    /// Sets a hall's clock.
    pub(crate) fn set_clock(&mut self, site_id: &str, clock: SiteClock) {
        let site = self.site(site_id) as usize;
        if self.clocks.len() <= site {
            self.clocks.resize(site + 1, SiteClock::default());
        }
        self.clocks[site] = clock;
    }

    /// Sets a hall's longest plausible stays.
    pub(crate) fn set_longest_stays(&mut self, site_id: &str, longest: LongestStays) {
        let site = self.site(site_id) as usize;
        if self.longest_stays.len() <= site {
            self.longest_stays.resize(site + 1, LongestStays::default());
        }
        self.longest_stays[site] = longest;
    }

    /// Sets what a zone is used for.
    pub(crate) fn set_zone_kind(&mut self, zone: &PlaceKey, kind: ZoneKind) {
        let zone = self.place_index(zone) as usize;
        self.zone_kinds[zone] = kind;
    }

    /// What a place is used for (public for anything not declared, and for non-zones).
    pub(crate) fn zone_kind(&self, place: PlaceIdx) -> ZoneKind {
        self.zone_kinds.get(place as usize).copied().unwrap_or_default()
    }

    /// Where a stay begun at `start` and still open ends at the latest: its start plus
    /// the longest plausible stay at that place.
    pub(crate) fn open_end(&self, place: PlaceIdx, start: Millis) -> Millis {
        let site = self.site_of(place) as usize;
        let longest = self.longest_stays.get(site).copied().unwrap_or_default();
        let limit = match self.places.key(place).kind {
            PlaceKind::Zone => longest.zone[self.zone_kind(place).index()],
            PlaceKind::CanteenSeat => longest.canteen_seat,
            PlaceKind::EntryQueue => longest.entry_queue,
        };
        // Never no length: a stay begun is there for at least a moment.
        start.saturating_add(limit.max(1))
    }

    /// Declares two seats adjacent or facing.
    pub(crate) fn relate_seats(&mut self, a: &PlaceKey, b: &PlaceKey, rule: ExposureRule) {
        let a = self.place_index(a);
        let b = self.place_index(b);
        self.geometry.relate(a, b, rule);
    }

    /// The index of a place, added (with its site) if new.
    pub(crate) fn place_index(&mut self, place: &PlaceKey) -> PlaceIdx {
        self.place_index_hashed(place, self.places.hash(place))
    }

    /// `place_index` with the key's hash from the places' interner.
    pub(crate) fn place_index_hashed(&mut self, place: &PlaceKey, hash: u64) -> PlaceIdx {
        let index = self.places.intern_hashed(place, hash);
        if self.place_site.len() <= index as usize {
            let site = self.site(&place.site_id);
            self.place_site.push(site);
            self.zone_kinds.push(ZoneKind::default());
        }
        index
    }

    /// The site of a place.
    pub(crate) fn site_of(&self, place: PlaceIdx) -> SiteIdx {
        self.place_site[place as usize]
    }

    fn clock(&self, place: PlaceIdx) -> SiteClock {
        let site = self.site_of(place) as usize;
        self.clocks.get(site).copied().unwrap_or_default()
    }

    /// Local day of a time at a place.
    pub(crate) fn day_of(&self, place: PlaceIdx, at: Millis) -> i64 {
        (at + self.clock(place).utc_offset_ms).div_euclid(DAY_MS)
    }

    /// The UTC time at which a place's local day starts.
    pub(crate) fn day_start(&self, place: PlaceIdx, day: i64) -> Millis {
        day * DAY_MS - self.clock(place).utc_offset_ms
    }

    /// The group of a place on a local day: the place itself, or a seat's table.
    pub(crate) fn group_key(&self, place: PlaceIdx, day: i64) -> GroupKey {
        let kind = self.places.key(place).kind;
        let anchor = match kind {
            PlaceKind::CanteenSeat => self.geometry.table(place),
            PlaceKind::Zone | PlaceKind::EntryQueue => place,
        };
        GroupKey { anchor, kind, day }
    }
}
