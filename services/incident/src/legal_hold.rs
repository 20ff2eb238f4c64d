//! Legal holds: an admin keeps an incident whole, past every retention limit, until the
//! hold is released. Placing and releasing are audited with their reason.

use hallguard_domain::time::now_millis;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use serde_json::json;
use sqlx::AnyPool;

use crate::model::Incident;
use crate::store::audit::{self, Subject};
use crate::store::{incidents, retention};

/// Places a hold on an incident that has none.
pub async fn place(pool: &AnyPool, incident_id: &str, reason: &str, by: &str) -> Result<Incident> {
    let incident = incidents::load(pool, incident_id).await?;
    if let Some(hold) = &incident.keeping.legal_hold {
        return Err(ServiceError::precondition(format!(
            "incident {incident_id} is already under a legal hold placed by {}",
            hold.placed_by
        )));
    }
    let mut transaction = begin_write(pool).await?;
    retention::set_legal_hold(&mut transaction, incident_id, Some((reason, by, now_millis()))).await?;
    audit::append(
        &mut transaction,
        Subject::Incident(incident_id),
        by,
        "legal hold placed",
        &json!({ "reason": reason }),
    )
    .await?;
    transaction.commit().await?;
    incidents::load(pool, incident_id).await
}

/// Releases an incident's hold; retention resumes at its next round.
pub async fn release(pool: &AnyPool, incident_id: &str, reason: &str, by: &str) -> Result<Incident> {
    let incident = incidents::load(pool, incident_id).await?;
    if incident.keeping.legal_hold.is_none() {
        return Err(ServiceError::precondition(format!(
            "incident {incident_id} is not under a legal hold"
        )));
    }
    let mut transaction = begin_write(pool).await?;
    retention::set_legal_hold(&mut transaction, incident_id, None).await?;
    audit::append(
        &mut transaction,
        Subject::Incident(incident_id),
        by,
        "legal hold released",
        &json!({ "reason": reason }),
    )
    .await?;
    transaction.commit().await?;
    incidents::load(pool, incident_id).await
}
