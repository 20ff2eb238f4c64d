//! How long a hall keeps each kind of personal data (the `[retention]` table of the hall
//! file), and the kinds themselves, which every purge and deletion record names.

use serde::Deserialize;

/// How long personal data is kept, per kind, in days. Every field has a default, so a
/// hall file names only what it changes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Gate checks, visits and zone stays, lifted quarantine holds, and contact
    /// tracing's presence intervals (table and graph).
    pub presence_days: u32,
    /// Registrations without a code and the community reports made of them.
    pub registrations_days: u32,
    /// Staff health: morning checks, symptom reports, released focus entries, sweeps,
    /// shifts, canteen seats and meal slots.
    pub staff_health_days: u32,
    /// Counted from an incident's last record once it is closed: its follow-up contacts'
    /// identities and evidence, and the people named in its steps and audit details.
    pub incident_contacts_days: u32,
    /// Counted from an incident's last record once it is closed: the upward report
    /// (step 5), which names the case and every contact.
    pub upward_reports_days: u32,
    /// The audit log and the records of who did what (disinfection rounds, stock
    /// movements, past duty rosters).
    pub audit_days: u32,
    /// Delivered outbox messages (their payloads name people) and the idempotency keys
    /// of answered requests.
    pub delivered_messages_days: u32,
    /// The access log: who read whose personal data.
    pub access_log_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            presence_days: 28,
            registrations_days: 28,
            staff_health_days: 28,
            incident_contacts_days: 180,
            upward_reports_days: 365,
            audit_days: 1095,
            delivered_messages_days: 28,
            access_log_days: 1095,
        }
    }
}

impl Retention {
    /// The first kind whose limit is outside 1 to 3,650 days, with its setting's name.
    pub fn out_of_range(&self) -> Option<&'static str> {
        DataKind::ALL
            .into_iter()
            .find(|kind| !(1..=MAX_DAYS).contains(&kind.days(self)))
            .map(DataKind::setting)
    }

    /// The shortest limit of any kind: what backups may keep at most, as a restore brings
    /// back everything they hold.
    pub fn shortest_days(&self) -> u32 {
        DataKind::ALL
            .into_iter()
            .map(|kind| kind.days(self))
            .min()
            .unwrap_or(self.presence_days)
    }
}

/// The longest limit accepted: ten years.
pub const MAX_DAYS: u32 = 3650;

/// A kind of personal data with a limit of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// See [`Retention::presence_days`].
    Presence,
    /// See [`Retention::registrations_days`].
    Registrations,
    /// See [`Retention::staff_health_days`].
    StaffHealth,
    /// See [`Retention::incident_contacts_days`].
    IncidentContacts,
    /// See [`Retention::upward_reports_days`].
    UpwardReports,
    /// See [`Retention::audit_days`].
    Audit,
    /// See [`Retention::delivered_messages_days`].
    DeliveredMessages,
    /// See [`Retention::access_log_days`].
    AccessLog,
}

impl DataKind {
    /// Every kind.
    pub const ALL: [DataKind; 8] = [
        DataKind::Presence,
        DataKind::Registrations,
        DataKind::StaffHealth,
        DataKind::IncidentContacts,
        DataKind::UpwardReports,
        DataKind::Audit,
        DataKind::DeliveredMessages,
        DataKind::AccessLog,
    ];

    /// The kind's name in deletion records.
    pub fn as_str(self) -> &'static str {
        match self {
            DataKind::Presence => "presence",
            DataKind::Registrations => "registrations",
            DataKind::StaffHealth => "staff_health",
            DataKind::IncidentContacts => "incident_contacts",
            DataKind::UpwardReports => "upward_reports",
            DataKind::Audit => "audit",
            DataKind::DeliveredMessages => "delivered_messages",
            DataKind::AccessLog => "access_log",
        }
    }

    /// Parses a kind's name.
    pub fn parse(name: &str) -> Option<DataKind> {
        DataKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The hall file's setting that limits this kind.
    pub fn setting(self) -> &'static str {
        match self {
            DataKind::Presence => "retention.presence_days",
            DataKind::Registrations => "retention.registrations_days",
            DataKind::StaffHealth => "retention.staff_health_days",
            DataKind::IncidentContacts => "retention.incident_contacts_days",
            DataKind::UpwardReports => "retention.upward_reports_days",
            DataKind::Audit => "retention.audit_days",
            DataKind::DeliveredMessages => "retention.delivered_messages_days",
            DataKind::AccessLog => "retention.access_log_days",
        }
    }

    /// This kind's limit in `retention`.
    pub fn days(self, retention: &Retention) -> u32 {
        match self {
            DataKind::Presence => retention.presence_days,
            DataKind::Registrations => retention.registrations_days,
            DataKind::StaffHealth => retention.staff_health_days,
            DataKind::IncidentContacts => retention.incident_contacts_days,
            DataKind::UpwardReports => retention.upward_reports_days,
            DataKind::Audit => retention.audit_days,
            DataKind::DeliveredMessages => retention.delivered_messages_days,
            DataKind::AccessLog => retention.access_log_days,
        }
    }

    /// The policy a deletion record names, e.g. `retention.presence_days = 28`.
    pub fn policy(self, retention: &Retention) -> String {
        format!("{} = {}", self.setting(), self.days(retention))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hall_file_names_only_what_it_changes_and_unknown_kinds_are_refused() {
        let retention: Retention = toml::from_str("presence_days = 14").unwrap();
        assert_eq!(retention.presence_days, 14);
        assert_eq!(retention.audit_days, Retention::default().audit_days);
        assert_eq!(retention.shortest_days(), 14);
        assert!(toml::from_str::<Retention>("visitor_days = 3").is_err());
    }

    #[test]
    fn every_kind_has_its_own_setting_and_name() {
        let retention = Retention {
            presence_days: 1,
            registrations_days: 2,
            staff_health_days: 3,
            incident_contacts_days: 4,
            upward_reports_days: 5,
            audit_days: 6,
            delivered_messages_days: 7,
            access_log_days: 8,
        };
        let days: Vec<u32> = DataKind::ALL.iter().map(|kind| kind.days(&retention)).collect();
        assert_eq!(days, [1, 2, 3, 4, 5, 6, 7, 8]);
        let mut settings = std::collections::HashSet::new();
        for kind in DataKind::ALL {
            assert_eq!(DataKind::parse(kind.as_str()), Some(kind));
            assert!(settings.insert(kind.setting()), "{kind:?} shares a setting");
        }
        assert_eq!(DataKind::Audit.policy(&retention), "retention.audit_days = 6");
    }

    #[test]
    fn limits_outside_one_day_to_ten_years_are_named() {
        let zero = Retention {
            audit_days: 0,
            ..Retention::default()
        };
        assert_eq!(zero.out_of_range(), Some("retention.audit_days"));
        let long = Retention {
            presence_days: MAX_DAYS + 1,
            ..Retention::default()
        };
        assert_eq!(long.out_of_range(), Some("retention.presence_days"));
        assert_eq!(Retention::default().out_of_range(), None);
    }
}
