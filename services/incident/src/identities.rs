//! Who the people in an incident's documents are: names and phones looked up for a
//! caller allowed to identify people (the duty desk), never stored with the incident.
//! Documents for anyone else keep the pseudonymous ids and say why.

use std::collections::HashMap;

use hallguard_platform::access_log::person_key;
use hallguard_proto::common::v1::PersonRef;

/// A person as the documents name them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The name given at the gate, at registration or on the roster.
    pub name: String,
    /// A phone number, when one is known (registrations by hand, the roster).
    pub phone: String,
}

/// The identities found for a document's people, and why any are missing.
#[derive(Debug, Clone, Default)]
pub struct Identities {
    by_person: HashMap<String, Identity>,
    /// Why names are missing (withheld for the caller's role, a peer that did not
    /// answer); empty when every lookup was made.
    pub missing_because: String,
}

impl Identities {
    /// No names, for `reason` (shown on the documents).
    pub fn withheld(reason: impl Into<String>) -> Self {
        Self {
            by_person: HashMap::new(),
            missing_because: reason.into(),
        }
    }

    /// Records a person's identity.
    pub fn insert(&mut self, person: &PersonRef, identity: Identity) {
        self.by_person.insert(person_key(person), identity);
    }

    /// Adds a reason names are missing (kept once each).
    pub fn missing(&mut self, reason: &str) {
        if self.missing_because.contains(reason) {
            return;
        }
        if !self.missing_because.is_empty() {
            self.missing_because.push_str("; ");
        }
        self.missing_because.push_str(reason);
    }

    /// The identity found for a person, if any.
    pub fn of(&self, person: Option<&PersonRef>) -> Option<&Identity> {
        person.and_then(|person| self.by_person.get(&person_key(person)))
    }

    /// How documents name a person: "Name (id)" when identified, else the id.
    pub fn label(&self, person: Option<&PersonRef>) -> String {
        let id = person.map(|p| p.person_id.clone()).unwrap_or_default();
        match self.of(person) {
            Some(identity) if !identity.name.is_empty() => format!("{} ({id})", identity.name),
            _ => id,
        }
    }

    /// How many people were identified.
    pub fn len(&self) -> usize {
        self.by_person.len()
    }

    /// Whether nobody was identified.
    pub fn is_empty(&self) -> bool {
        self.by_person.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visitor(id: &str) -> PersonRef {
        PersonRef {
            site_id: "riverside-hall".into(),
            kind: hallguard_proto::common::v1::PersonKind::Visitor as i32,
            person_id: id.into(),
        }
    }

    #[test]
    fn a_named_person_reads_name_then_id_and_others_keep_their_id() {
        let mut identities = Identities::default();
        identities.insert(
            &visitor("hc-1"),
            Identity {
                name: "Li Lei".into(),
                phone: String::new(),
            },
        );
        assert_eq!(identities.label(Some(&visitor("hc-1"))), "Li Lei (hc-1)");
        assert_eq!(identities.label(Some(&visitor("hc-2"))), "hc-2");
        identities.missing("screening did not answer");
        identities.missing("screening did not answer");
        identities.missing("staff health did not answer");
        assert_eq!(
            identities.missing_because,
            "screening did not answer; staff health did not answer"
        );
    }
}
