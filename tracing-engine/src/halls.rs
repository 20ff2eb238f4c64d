//! Where and when: the places of every hall, the hall each belongs to, each hall's clock
//! (its local day and closing time) and its canteen seat geometry; and from these, the
//! group a stay falls in. Kept apart from the people so that a build can intern people
//! on one core while another files stays into groups.

use crate::Millis;
use crate::geometry::SeatGeometry;
use crate::model::{Interner, PlaceIdx, PlaceKey, PlaceKind, SiteIdx};
use crate::rules::ExposureRule;

const DAY_MS: Millis = 86_400_000;

/// A hall's clock: where its day starts and when it closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteClock {
    /// Local time minus UTC, in ms (China: +8 h).
    pub utc_offset_ms: Millis,
    /// Closing time as ms after local midnight; open stays end here.
    pub closes_at_ms: Millis,
}

impl Default for SiteClock {
    fn default() -> Self {
        Self {
            utc_offset_ms: 0,
            closes_at_ms: DAY_MS,
        }
    }
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

/// Places, sites, clocks and seats.
#[derive(Debug, Default)]
pub(crate) struct Halls {
    pub(crate) places: Interner<PlaceKey>,
    sites: Interner<String>,
    place_site: Vec<SiteIdx>,
    clocks: Vec<SiteClock>,
    pub(crate) geometry: SeatGeometry,
}

impl Halls {
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

    /// When a stay still open at `place`, started at `start` on local `day`, ends: at the
    /// hall's closing time that day, or, for a stay begun after closing (the 24-hour
    /// area, or staff working late), at the end of that day: never a stay of no length.
    pub(crate) fn closing(&self, place: PlaceIdx, day: i64, start: Millis) -> Millis {
        let closes = self.day_start(place, day) + self.clock(place).closes_at_ms;
        if start < closes {
            closes
        } else {
            self.day_start(place, day + 1).max(start)
        }
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
