//! The rule-override flags the contact queries share (`contacts`, `clusters`): the
//! hall's rules unless a flag says otherwise, for this query only.

use hallguard_proto::contact_tracing::v1::{RuleOverrides, ZoneRule};

/// Rule overrides for one query.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RuleFlags {
    /// Rule override: minutes in the same zone.
    #[arg(long)]
    zone_minutes: Option<u32>,
    /// Rule: "cumulative" (minutes in all zones together within a period, the CDC's
    /// 15 minutes within 24 hours) or "per-place"; the hall's default when unset.
    #[arg(long, value_parser = ["per-place", "cumulative"])]
    zone_rule: Option<String>,
    /// Rule override for --zone-rule cumulative: total minutes.
    #[arg(long)]
    cumulative_minutes: Option<u32>,
    /// Rule override for --zone-rule cumulative: within this many hours.
    #[arg(long)]
    cumulative_hours: Option<u32>,
    /// Rule override: queue places apart.
    #[arg(long)]
    queue_places: Option<u32>,
    /// Rule override: seconds apart in the queue.
    #[arg(long)]
    queue_seconds: Option<u32>,
    /// Rule override: seconds at adjacent or facing canteen seats.
    #[arg(long)]
    canteen_seconds: Option<u32>,
}

impl RuleFlags {
    /// The overrides as the contracts take them.
    pub fn overrides(&self) -> RuleOverrides {
        RuleOverrides {
            zone_min_overlap_seconds: self.zone_minutes.map(|m| m * 60),
            queue_max_places: self.queue_places,
            queue_max_seconds: self.queue_seconds,
            canteen_min_overlap_seconds: self.canteen_seconds,
            zone_kind_min_overlap_seconds: Default::default(),
            zone_rule: match self.zone_rule.as_deref() {
                Some("cumulative") => ZoneRule::Cumulative,
                Some(_) => ZoneRule::PerPlace,
                None => ZoneRule::Unspecified,
            } as i32,
            cumulative_min_seconds: self.cumulative_minutes.map(|m| m * 60),
            cumulative_within_seconds: self.cumulative_hours.map(|h| h * 3600),
        }
    }
}
