//! Who a person is to the hall: a visitor (by a keyed hash of their ID number or their
//! registration id) or a staff member (by staff id), at one hall. The stored names are
//! `visitor` and `staff`, in every table of every service.

use std::fmt;

/// Visitor or staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PersonKind {
    /// A member of the public.
    Visitor,
    /// A member of staff.
    Staff,
}

impl PersonKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PersonKind::Visitor => "visitor",
            PersonKind::Staff => "staff",
        }
    }
}

impl fmt::Display for PersonKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A stored name that is no kind of person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a kind of person (visitor or staff)")]
pub struct UnknownPersonKind(pub String);

impl std::str::FromStr for PersonKind {
    type Err = UnknownPersonKind;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "visitor" => Ok(PersonKind::Visitor),
            "staff" => Ok(PersonKind::Staff),
            other => Err(UnknownPersonKind(other.to_string())),
        }
    }
}

/// A person at a hall.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Person {
    /// The hall.
    pub site_id: String,
    /// Visitor or staff.
    pub kind: PersonKind,
    /// Pseudonymous person id, registration id or staff id.
    pub person_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_their_stored_names_and_nothing_else() {
        for kind in [PersonKind::Visitor, PersonKind::Staff] {
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        assert!("PERSON_KIND_VISITOR".parse::<PersonKind>().is_err());
        assert!("".parse::<PersonKind>().is_err());
    }
}
