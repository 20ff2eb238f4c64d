//! People between the contracts and the domain: a `PersonRef` as a domain `Person` and
//! back.

use hallguard_domain::person::{Person, PersonKind};
use hallguard_proto::common::v1 as common;

use crate::error::{Result, ServiceError};

/// A person reference as a person; INVALID_ARGUMENT naming `field.kind` unless it is a
/// visitor or a staff member.
pub fn person(person: &common::PersonRef, field: &str) -> Result<Person> {
    let kind = match common::PersonKind::try_from(person.kind) {
        Ok(common::PersonKind::Visitor) => PersonKind::Visitor,
        Ok(common::PersonKind::Staff) => PersonKind::Staff,
        _ => {
            return Err(ServiceError::invalid(
                format!("{field}.kind"),
                "must be VISITOR or STAFF",
            ));
        }
    };
    Ok(Person {
        site_id: person.site_id.clone(),
        kind,
        person_id: person.person_id.clone(),
    })
}

/// A person as the contracts show them.
pub fn person_ref(person: &Person) -> common::PersonRef {
    common::PersonRef {
        site_id: person.site_id.clone(),
        kind: match person.kind {
            PersonKind::Visitor => common::PersonKind::Visitor,
            PersonKind::Staff => common::PersonKind::Staff,
        } as i32,
        person_id: person.person_id.clone(),
    }
}
