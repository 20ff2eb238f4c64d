//! The OutboxAdmin gRPC service: every server's outbox backlog, for the duty desk and ops.

use hallguard_proto::platform::v1::outbox_admin_server::OutboxAdmin;
use hallguard_proto::platform::v1::{GetOutboxBacklogRequest, GetOutboxBacklogResponse, OutboxBacklogEntry};
use tonic::{Request, Response, Status};

use crate::timestamps::millis_to_timestamp;

/// Answers GetOutboxBacklog from the service's own database.
#[derive(Debug, Clone)]
pub struct OutboxAdminService {
    pool: sqlx::AnyPool,
}

impl OutboxAdminService {
    /// A service over this pool.
    pub fn new(pool: sqlx::AnyPool) -> Self {
        Self { pool }
    }
}

#[tonic::async_trait]
impl OutboxAdmin for OutboxAdminService {
    async fn get_outbox_backlog(
        &self,
        _request: Request<GetOutboxBacklogRequest>,
    ) -> Result<Response<GetOutboxBacklogResponse>, Status> {
        let entries = crate::outbox::backlog(&self.pool)
            .await
            .map_err(|error| crate::status::from_sqlx(&error))?;
        Ok(Response::new(GetOutboxBacklogResponse {
            entries: entries
                .into_iter()
                .map(|entry| OutboxBacklogEntry {
                    destination: entry.destination,
                    kind: entry.kind,
                    pending: entry.pending,
                    retrying: entry.retrying,
                    oldest_created_at: Some(millis_to_timestamp(entry.oldest_created_at)),
                    last_error: entry.last_error.unwrap_or_default(),
                    parked: entry.parked,
                    parked_error: entry.parked_error.unwrap_or_default(),
                })
                .collect(),
        }))
    }
}
