//! Withdrawing an incident opened in error (a mistyped 38.5 °C, a morning check
//! corrected afterwards): it is closed with the reason, its open tasks are done, the
//! holds of its contacts are lifted at the gates and off duty, and the audit log says
//! who withdrew it and why. It stays on record, marked withdrawn.

use hallguard_domain::time::now_millis;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use sqlx::AnyPool;

use crate::contacts;
use crate::model::{ContactPerson, Incident};
use crate::store::audit::{self, Subject};
use crate::store::{self, incidents, tasks};

/// Withdraws an open incident; withdrawing one already withdrawn answers it again.
pub async fn withdraw(pool: &AnyPool, incident_id: &str, reason: &str, by: &str) -> Result<Incident> {
    let incident = incidents::load(pool, incident_id).await?;
    if incident.withdrawn.is_some() {
        return Ok(incident);
    }
    if incident.progress.state() == 7 {
        return Err(ServiceError::precondition(
            "the incident is closed; only an open incident can be withdrawn",
        ));
    }
    let now = now_millis();
    let contacts = store::contacts::list(pool, incident_id).await?;
    let mut transaction = begin_write(pool).await?;
    incidents::mark_withdrawn(&mut transaction, incident_id, reason, now).await?;
    let open_tasks = tasks::close_open(&mut transaction, incident_id, by, now).await?;
    let mut holds_lifted = 0;
    for contact in contacts {
        if let ContactPerson::Known(person) = &contact.person {
            let why = format!("incident {incident_id} withdrawn: {reason}");
            contacts::lift_holds(&mut transaction, &incident, person, &why).await?;
            holds_lifted += 1;
        }
    }
    audit::append(
        &mut transaction,
        Subject::Incident(incident_id),
        by,
        "withdrawn",
        &serde_json::json!({ "reason": reason, "tasks_closed": open_tasks, "holds_lifted": holds_lifted }),
    )
    .await?;
    transaction.commit().await?;
    incidents::load(pool, incident_id).await
}
