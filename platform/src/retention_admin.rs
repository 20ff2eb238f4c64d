//! The RetentionAdmin gRPC service: what retention removed from the answering service's
//! database ([`crate::retention::DeletionRecord`]), for admins.

use hallguard_domain::retention::DataKind;
use hallguard_proto::platform::v1::retention_admin_server::RetentionAdmin;
use hallguard_proto::platform::v1::{
    DeletionRecord, ListDeletionRecordsRequest, ListDeletionRecordsResponse,
};
use tonic::{Request, Response, Status};

use crate::error::ServiceError;
use crate::jurisdiction::Jurisdiction;
use crate::retention::{self, DeletionFilter};
use crate::timestamps::millis_to_timestamp;
use crate::validate;

/// Most records one call returns.
pub const MAX_RECORDS: u32 = 1000;

/// Answers ListDeletionRecords from the service's own database.
#[derive(Debug, Clone)]
pub struct RetentionAdminService {
    pool: sqlx::AnyPool,
}

impl RetentionAdminService {
    /// A service over this pool.
    pub fn new(pool: sqlx::AnyPool) -> Self {
        Self { pool }
    }
}

fn filter(request: &ListDeletionRecordsRequest) -> Result<DeletionFilter, ServiceError> {
    let kind = match request.kind.as_str() {
        "" => None,
        name => Some(DataKind::parse(name).ok_or_else(|| {
            let known: Vec<&str> = DataKind::ALL.into_iter().map(DataKind::as_str).collect();
            ServiceError::invalid(
                "kind",
                format!("unknown kind; expected one of {}", known.join(", ")),
            )
        })?),
    };
    if request.limit > MAX_RECORDS {
        return Err(ServiceError::invalid(
            "limit",
            format!("at most {MAX_RECORDS} records per call"),
        ));
    }
    let jurisdiction = Jurisdiction::current();
    if !request.site_id.is_empty() {
        jurisdiction.check(&request.site_id, "site_id")?;
    }
    Ok(DeletionFilter {
        site_id: (!request.site_id.is_empty()).then(|| request.site_id.clone()),
        halls: jurisdiction.halls().cloned(),
        kind,
        since: validate::optional_instant(request.since.as_ref(), "since")?.unwrap_or(i64::MIN),
        limit: if request.limit == 0 { 100 } else { request.limit },
    })
}

#[tonic::async_trait]
impl RetentionAdmin for RetentionAdminService {
    async fn list_deletion_records(
        &self,
        request: Request<ListDeletionRecordsRequest>,
    ) -> Result<Response<ListDeletionRecordsResponse>, Status> {
        let filter = filter(request.get_ref())?;
        let records = retention::list(&self.pool, &filter)
            .await
            .map_err(ServiceError::from)?;
        Ok(Response::new(ListDeletionRecordsResponse {
            records: records
                .into_iter()
                .map(|record| DeletionRecord {
                    record_id: record.record_id,
                    site_id: record.site_id,
                    kind: record.kind,
                    policy: record.policy,
                    action: record.action,
                    older_than: Some(millis_to_timestamp(record.older_than)),
                    removed: u64::try_from(record.removed).unwrap_or(0),
                    at: Some(millis_to_timestamp(record.at)),
                })
                .collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_kind_or_a_limit_past_the_most_is_refused_naming_the_field() {
        let field = |request: ListDeletionRecordsRequest| match filter(&request) {
            Err(ServiceError::Invalid(violation)) => violation.field,
            other => panic!("{other:?}"),
        };
        let kind = ListDeletionRecordsRequest {
            kind: "faces".into(),
            ..Default::default()
        };
        assert_eq!(field(kind), "kind");
        let limit = ListDeletionRecordsRequest {
            limit: MAX_RECORDS + 1,
            ..Default::default()
        };
        assert_eq!(field(limit), "limit");
        let all = filter(&ListDeletionRecordsRequest::default()).unwrap();
        assert_eq!((all.kind, all.limit, all.site_id), (None, 100, None));
    }
}
