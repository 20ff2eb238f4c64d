//! The AccessAdmin gRPC service: who read whose personal data at the answering service
//! ([`crate::access_log`]), for admins.

use hallguard_proto::platform::v1::access_admin_server::AccessAdmin;
use hallguard_proto::platform::v1::{AccessEntry, ListAccessRequest, ListAccessResponse};
use tonic::{Request, Response, Status};

use crate::access_log::{self, AccessFilter};
use crate::error::ServiceError;
use crate::jurisdiction::Jurisdiction;
use crate::timestamps::millis_to_timestamp;
use crate::validate;

/// Most entries one call returns.
pub const MAX_ENTRIES: u32 = 1000;

/// Answers ListAccess from the service's own database.
#[derive(Debug, Clone)]
pub struct AccessAdminService {
    pool: sqlx::AnyPool,
}

impl AccessAdminService {
    /// A service over this pool.
    pub fn new(pool: sqlx::AnyPool) -> Self {
        Self { pool }
    }
}

fn filter(request: &ListAccessRequest) -> Result<AccessFilter, ServiceError> {
    let person = match &request.person {
        Some(person) => {
            validate::required(&person.person_id, "person.person_id")?;
            validate::required(&person.site_id, "person.site_id")?;
            crate::people::person(person, "person")?;
            Some(access_log::person_key(person))
        }
        None => None,
    };
    if request.limit > MAX_ENTRIES {
        return Err(ServiceError::invalid(
            "limit",
            format!("at most {MAX_ENTRIES} entries per call"),
        ));
    }
    let text = |value: &str| (!value.trim().is_empty()).then(|| value.trim().to_string());
    let jurisdiction = Jurisdiction::current();
    if let Some(site_id) = text(&request.site_id) {
        jurisdiction.check(&site_id, "site_id")?;
    }
    if let Some(person) = &request.person {
        jurisdiction.check(&person.site_id, "person.site_id")?;
    }
    Ok(AccessFilter {
        halls: jurisdiction.halls().cloned(),
        person,
        caller: text(&request.caller),
        site_id: text(&request.site_id),
        since: validate::optional_instant(request.since.as_ref(), "since")?.unwrap_or(i64::MIN),
        limit: if request.limit == 0 { 100 } else { request.limit },
    })
}

#[tonic::async_trait]
impl AccessAdmin for AccessAdminService {
    async fn list_access(
        &self,
        request: Request<ListAccessRequest>,
    ) -> Result<Response<ListAccessResponse>, Status> {
        let filter = filter(request.get_ref())?;
        let entries = access_log::list(&self.pool, &filter)
            .await
            .map_err(ServiceError::from)?;
        Ok(Response::new(ListAccessResponse {
            entries: entries
                .into_iter()
                .map(|entry| AccessEntry {
                    entry_id: entry.entry_id,
                    site_id: entry.site_id,
                    at: Some(millis_to_timestamp(entry.at)),
                    caller: entry.caller,
                    role: entry.role,
                    rpc: entry.rpc,
                    purpose: entry.purpose,
                    people: u64::try_from(entry.people).unwrap_or(0),
                })
                .collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallguard_proto::common::v1::{PersonKind, PersonRef};

    #[test]
    fn a_person_filter_needs_a_whole_person_and_the_limit_is_bounded() {
        let field = |request: ListAccessRequest| match filter(&request) {
            Err(ServiceError::Invalid(violation)) => violation.field,
            other => panic!("{other:?}"),
        };
        let half = ListAccessRequest {
            person: Some(PersonRef {
                site_id: "riverside-hall".into(),
                kind: PersonKind::Visitor as i32,
                person_id: String::new(),
            }),
            ..Default::default()
        };
        assert_eq!(field(half), "person.person_id");
        let many = ListAccessRequest {
            limit: MAX_ENTRIES + 1,
            ..Default::default()
        };
        assert_eq!(field(many), "limit");
        let whole = ListAccessRequest {
            person: Some(PersonRef {
                site_id: "riverside-hall".into(),
                kind: PersonKind::Staff as i32,
                person_id: "s-001".into(),
            }),
            ..Default::default()
        };
        assert_eq!(
            filter(&whole).unwrap().person.as_deref(),
            Some("riverside-hall/staff/s-001")
        );
    }
}
