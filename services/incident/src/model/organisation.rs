//! The response organisation: groups as edited, duty posts and who holds them.

use hallguard_domain::stored;

use super::UnknownValue;

/// A response group as edited over gRPC (the hall file gives the starting point).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The group's id in the hall file.
    pub group_id: String,
    /// Its name.
    pub name: String,
    /// Its leader's staff id.
    pub leader: String,
    /// Its members' staff ids.
    pub members: Vec<String>,
}

/// A duty post of the response; stored `general_coordination`, `on_site_handling`,
/// `external_liaison`, `disinfection`, `logistics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DutyPost {
    /// General coordination.
    GeneralCoordination,
    /// On-site handling.
    OnSiteHandling,
    /// External liaison.
    ExternalLiaison,
    /// Disinfection.
    Disinfection,
    /// Logistics.
    Logistics,
}

impl DutyPost {
    /// Every post, in the plan's order.
    pub const ALL: [DutyPost; 5] = [
        DutyPost::GeneralCoordination,
        DutyPost::OnSiteHandling,
        DutyPost::ExternalLiaison,
        DutyPost::Disinfection,
        DutyPost::Logistics,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DutyPost::GeneralCoordination => "general_coordination",
            DutyPost::OnSiteHandling => "on_site_handling",
            DutyPost::ExternalLiaison => "external_liaison",
            DutyPost::Disinfection => "disinfection",
            DutyPost::Logistics => "logistics",
        }
    }
}

impl std::str::FromStr for DutyPost {
    type Err = UnknownValue;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        stored::by_name(&DutyPost::ALL, DutyPost::as_str, "post", name)
    }
}

/// Who holds a duty post on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyAssignment {
    /// The post.
    pub post: DutyPost,
    /// The staff member.
    pub staff_id: String,
}
