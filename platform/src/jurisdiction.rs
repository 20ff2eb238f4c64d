//! Jurisdiction: the halls a caller may read and write. A token or a signed-in person
//! is bound to one or more halls, or to every hall for city-level roles. Handlers check
//! every hall a request names against the caller's ([`check`]; `validate::hall` does it
//! for them) and lists keep only the caller's halls ([`Jurisdiction::sees`]). Work done
//! on no caller's behalf (retention, refreshes, deliveries) and a server without auth
//! see every hall.

use std::collections::BTreeSet;
use std::fmt;

/// The halls a caller is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jurisdiction {
    /// Every hall (city-level roles; `*`).
    City,
    /// These halls only (never empty).
    Halls(BTreeSet<String>),
}

/// A hall outside the caller's jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: hall {site_id:?} is outside the caller's jurisdiction ({jurisdiction})")]
pub struct OutsideJurisdiction {
    /// The request field that named the hall.
    pub field: String,
    /// The hall named.
    pub site_id: String,
    /// The caller's halls, as text.
    pub jurisdiction: String,
}

impl From<OutsideJurisdiction> for tonic::Status {
    fn from(error: OutsideJurisdiction) -> Self {
        tonic::Status::permission_denied(error.to_string())
    }
}

impl Jurisdiction {
    /// Parses `*` (every hall) or hall ids joined by `+` (`city-hall+harbour-hall`).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        if spec == "*" {
            return Ok(Self::City);
        }
        Self::of(spec.split('+'))
    }

    /// The halls named (`*` among them means every hall); none is an error.
    pub fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut halls = BTreeSet::new();
        for name in names.into_iter().map(str::trim) {
            if name == "*" {
                return Ok(Self::City);
            }
            if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == ':' || c == ',') {
                return Err(format!("{name:?} is not a hall id"));
            }
            halls.insert(name.to_string());
        }
        if halls.is_empty() {
            return Err("names no hall (use * for every hall)".into());
        }
        Ok(Self::Halls(halls))
    }

    /// Whether the caller may see `site_id`.
    pub fn sees(&self, site_id: &str) -> bool {
        match self {
            Self::City => true,
            Self::Halls(halls) => halls.contains(site_id),
        }
    }

    /// The halls a list is limited to; `None` for every hall.
    pub fn halls(&self) -> Option<&BTreeSet<String>> {
        match self {
            Self::City => None,
            Self::Halls(halls) => Some(halls),
        }
    }

    /// The current call's jurisdiction: its caller's, or every hall for work done on
    /// no caller's behalf.
    pub fn current() -> Self {
        crate::auth::current_caller().map_or(Self::City, |caller| caller.halls)
    }

    /// Refuses `site_id` (named by `field`) unless the caller sees it.
    pub fn check(&self, site_id: &str, field: &str) -> Result<(), OutsideJurisdiction> {
        if self.sees(site_id) {
            return Ok(());
        }
        Err(OutsideJurisdiction {
            field: field.to_string(),
            site_id: site_id.to_string(),
            jurisdiction: self.to_string(),
        })
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::City => f.write_str("*"),
            Self::Halls(halls) => {
                let names: Vec<&str> = halls.iter().map(String::as_str).collect();
                f.write_str(&names.join("+"))
            }
        }
    }
}

/// An SQL condition keeping rows of `halls` only (`AND column IN ($n, …)`, the halls
/// bound in order from placeholder `first`), or nothing for every hall.
pub fn sql_condition(column: &str, first: usize, halls: Option<&BTreeSet<String>>) -> String {
    match halls {
        None => String::new(),
        Some(halls) => {
            let placeholders: Vec<String> = (first..first + halls.len()).map(|n| format!("${n}")).collect();
            format!(" AND {column} IN ({})", placeholders.join(", "))
        }
    }
}

/// Refuses `site_id` (named by `field`) unless the current call's caller sees it.
pub fn check(site_id: &str, field: &str) -> Result<(), OutsideJurisdiction> {
    Jurisdiction::current().check(site_id, field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_hall_or_named_halls_and_refuses_empty_or_odd_names() {
        assert_eq!(Jurisdiction::parse("*"), Ok(Jurisdiction::City));
        let two = Jurisdiction::parse("city-hall+harbour-hall").unwrap();
        assert!(two.sees("city-hall") && two.sees("harbour-hall") && !two.sees("east-hall"));
        assert_eq!(two.to_string(), "city-hall+harbour-hall");
        assert!(Jurisdiction::parse("").is_err());
        assert!(Jurisdiction::parse("a+").is_err());
        assert!(Jurisdiction::parse("a b").is_err());
        assert_eq!(Jurisdiction::of(["a", "*"]), Ok(Jurisdiction::City));
    }

    #[test]
    fn a_hall_outside_is_refused_naming_the_field_and_the_hall() {
        let one = Jurisdiction::parse("city-hall").unwrap();
        assert!(one.check("city-hall", "site_id").is_ok());
        let error = one.check("harbour-hall", "person.site_id").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("person.site_id: hall \"harbour-hall\""),
            "{error}"
        );
        let status = tonic::Status::from(error);
        assert_eq!(status.code(), tonic::Code::PermissionDenied);
    }
}
