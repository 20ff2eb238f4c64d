//! Risk areas: listings with effective dates, matched by administrative region code
//! prefix (2 digits province, 4 city, 6 district), so a listed district flags every
//! place inside it. Pure: the listings are passed in.

/// A risk-area listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Region code prefix.
    pub prefix: String,
    /// In force from (epoch ms, inclusive).
    pub from: i64,
    /// In force until (exclusive); `None` while listed.
    pub until: Option<i64>,
}

impl Listing {
    /// Whether the listing is in force at `at`.
    pub fn in_force_at(&self, at: i64) -> bool {
        self.from <= at && self.until.is_none_or(|until| at < until)
    }

    /// Whether the listing covers a place's region code.
    pub fn covers(&self, region_code: &str) -> bool {
        region_code.starts_with(&self.prefix)
    }
}

/// A place visited on a day (stored as JSON in a registration's travel history).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Visit {
    /// 6-digit region code.
    pub region_code: String,
    /// When (epoch ms).
    pub at: i64,
}

/// The region codes among `visits` inside the look-back window before `as_of` that a
/// listing in force at `as_of` covers: the list as it stood at the check.
pub fn risk_regions_visited(
    listings: &[Listing],
    visits: &[Visit],
    as_of: i64,
    lookback_days: u32,
) -> Vec<String> {
    let window_start = as_of.saturating_sub(i64::from(lookback_days) * 86_400_000);
    let mut out: Vec<String> = visits
        .iter()
        .filter(|visit| visit.at >= window_start && visit.at <= as_of)
        .filter(|visit| {
            listings
                .iter()
                .any(|listing| listing.in_force_at(as_of) && listing.covers(&visit.region_code))
        })
        .map(|visit| visit.region_code.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether a region code or prefix is well formed: 2, 4 or 6 digits.
pub fn is_region_prefix(code: &str) -> bool {
    matches!(code.len(), 2 | 4 | 6) && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn listing(prefix: &str, from: i64, until: Option<i64>) -> Listing {
        Listing {
            prefix: prefix.into(),
            from,
            until,
        }
    }

    fn visit(code: &str, at: i64) -> Visit {
        Visit {
            region_code: code.into(),
            at,
        }
    }

    #[test]
    fn a_listed_district_flags_places_inside_it_only() {
        let listings = [listing("4201", 0, None)];
        let visits = [visit("420106", 10 * DAY), visit("420200", 10 * DAY)];
        assert_eq!(
            risk_regions_visited(&listings, &visits, 12 * DAY, 14),
            vec!["420106"]
        );
    }

    #[test]
    fn the_list_as_it_stood_at_the_check_and_the_look_back_window() {
        let listings = [listing("420106", 5 * DAY, Some(20 * DAY))];
        let visits = [visit("420106", 4 * DAY)];
        // Not yet listed, listed, expired.
        assert!(risk_regions_visited(&listings, &visits, 4 * DAY, 14).is_empty());
        assert_eq!(risk_regions_visited(&listings, &visits, 6 * DAY, 14).len(), 1);
        assert!(risk_regions_visited(&listings, &visits, 20 * DAY, 30).is_empty());
        // A visit older than the look-back window no longer counts.
        assert!(risk_regions_visited(&listings, &visits, 19 * DAY, 14).is_empty());
    }

    #[test]
    fn region_prefixes_are_two_four_or_six_digits() {
        assert!(is_region_prefix("42"));
        assert!(is_region_prefix("420106"));
        assert!(!is_region_prefix("4201x6"));
        assert!(!is_region_prefix("420"));
    }
}
