//! Retention: each kind of personal data is kept only as long as its hall's limit
//! (`[retention]` in the hall file, see [`hallguard_domain::retention`]). Every service
//! states, table by table, how its data leaves ([`Coverage`]); the statement purges
//! ([`Purge`]: one kind of record of a hall, `$1`, older than the kind's cutoff, `$2`)
//! run at start and every interval, each kind in one transaction with the
//! [`DeletionRecord`] that says what went. A round that removes nothing records nothing.

use std::future::Future;
use std::time::Duration;

use hallguard_domain::hall::{Hall, Halls};
use hallguard_domain::retention::DataKind;
use hallguard_domain::time::{DAY_MS, now_millis};
use sqlx::{Any, AnyPool, Transaction};

use crate::db::begin_write;
use crate::tasks::Task;

/// One statement deleting one kind of a hall's (`$1`) records older than the kind's
/// cutoff (`$2`) from `table`.
#[derive(Debug, Clone, Copy)]
pub struct Purge {
    /// What the rows are.
    pub kind: DataKind,
    /// The table it deletes from.
    pub table: &'static str,
    /// The statement.
    pub statement: &'static str,
}

/// How a table's rows leave: what the test of every personal-data table checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Deleted once older than the kind's limit.
    Deleted(DataKind),
    /// Its personal fields are removed once older than the kind's limit; the rest stays
    /// as the official record.
    Pseudonymised(DataKind),
    /// Kept, for the reason given (not personal, or current rather than history).
    Kept(&'static str),
}

/// Delivered outbox messages; their payloads name people.
pub const DELIVERED_OUTBOX: Purge = Purge {
    kind: DataKind::DeliveredMessages,
    table: "outbox",
    statement: "DELETE FROM outbox WHERE site_id = $1 AND delivered_at IS NOT NULL AND delivered_at < $2",
};

/// Which request each idempotency key was first answered for.
pub const EXPIRED_KEYS: Purge = Purge {
    kind: DataKind::DeliveredMessages,
    table: "idempotency_keys",
    statement: "DELETE FROM idempotency_keys WHERE site_id = $1 AND created_at < $2",
};

/// The people of access-log entries past the limit (before the entries, which find them).
pub const OLD_ACCESS_PEOPLE: Purge = Purge {
    kind: DataKind::AccessLog,
    table: "access_log_people",
    statement: "DELETE FROM access_log_people
         WHERE entry_id IN (SELECT entry_id FROM access_log WHERE site_id = $1 AND at < $2)",
};

/// Access-log entries past the limit.
pub const OLD_ACCESS: Purge = Purge {
    kind: DataKind::AccessLog,
    table: "access_log",
    statement: "DELETE FROM access_log WHERE site_id = $1 AND at < $2",
};

/// What every service purges of the platform's tables.
pub const PLATFORM_PURGES: [Purge; 4] = [DELIVERED_OUTBOX, EXPIRED_KEYS, OLD_ACCESS_PEOPLE, OLD_ACCESS];

/// The platform's tables, in every service's database.
pub const PLATFORM_TABLES: &[(&str, Coverage)] = &[
    ("outbox", Coverage::Deleted(DataKind::DeliveredMessages)),
    ("idempotency_keys", Coverage::Deleted(DataKind::DeliveredMessages)),
    ("access_log", Coverage::Deleted(DataKind::AccessLog)),
    ("access_log_people", Coverage::Deleted(DataKind::AccessLog)),
    (
        "deletion_records",
        Coverage::Kept("counts and periods of purges; names no one"),
    ),
];

/// The oldest time of `kind` a hall still keeps.
pub fn cutoff(hall: &Hall, kind: DataKind, now: i64) -> i64 {
    now - i64::from(kind.days(&hall.retention)) * DAY_MS
}

/// What a purge did to the rows it touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The rows are gone.
    Deleted,
    /// The rows stay without the personal fields.
    Pseudonymised,
}

impl Action {
    /// The action's name in deletion records.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Deleted => "deleted",
            Action::Pseudonymised => "pseudonymised",
        }
    }
}

/// One purge of one kind at one hall.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeletionRecord {
    /// Its id.
    pub record_id: String,
    /// The hall.
    pub site_id: String,
    /// The kind's name ([`DataKind::as_str`]).
    pub kind: String,
    /// The policy applied, e.g. `retention.presence_days = 28`.
    pub policy: String,
    /// "deleted" or "pseudonymised".
    pub action: String,
    /// The cutoff: what was older went.
    pub older_than: i64,
    /// How many rows (records or people) it removed.
    pub removed: i64,
    /// When.
    pub at: i64,
}

/// What one purge removed: the record it leaves, less its id and time.
#[derive(Debug, Clone, Copy)]
pub struct Removed<'a> {
    /// The hall, whose retention names the policy.
    pub hall: &'a Hall,
    /// What kind of data.
    pub kind: DataKind,
    /// Deleted or pseudonymised.
    pub action: Action,
    /// The cutoff applied.
    pub older_than: i64,
    /// How many rows (or people).
    pub count: u64,
}

/// Writes the record of a purge in the purge's own transaction; nothing when it
/// removed nothing.
pub async fn record(
    transaction: &mut Transaction<'_, Any>,
    removed: &Removed<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    if removed.count == 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO deletion_records (record_id, site_id, kind, policy, action, older_than, removed, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(crate::validate::new_id("del"))
    .bind(&removed.hall.site_id)
    .bind(removed.kind.as_str())
    .bind(removed.kind.policy(&removed.hall.retention))
    .bind(removed.action.as_str())
    .bind(removed.older_than)
    .bind(i64::try_from(removed.count).unwrap_or(i64::MAX))
    .bind(now)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Runs `purges` for every hall; each kind of a hall is one transaction with its record.
/// Returns how many rows went.
pub async fn purge(pool: &AnyPool, halls: &Halls, now: i64, purges: &[Purge]) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    for hall in halls.iter() {
        for kind in DataKind::ALL {
            let statements: Vec<&Purge> = purges.iter().filter(|purge| purge.kind == kind).collect();
            if statements.is_empty() {
                continue;
            }
            let older_than = cutoff(hall, kind, now);
            let mut transaction = begin_write(pool).await?;
            let mut removed = 0;
            for purge in statements {
                removed += sqlx::query(purge.statement)
                    .bind(&hall.site_id)
                    .bind(older_than)
                    .execute(&mut *transaction)
                    .await?
                    .rows_affected();
            }
            let removed_rows = Removed {
                hall,
                kind,
                action: Action::Deleted,
                older_than,
                count: removed,
            };
            record(&mut transaction, &removed_rows, now).await?;
            transaction.commit().await?;
            total += removed;
        }
    }
    Ok(total)
}

/// Which deletion records to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct DeletionFilter {
    /// Only this hall's, when set.
    pub site_id: Option<String>,
    /// Only these halls' (the caller's jurisdiction), when set.
    pub halls: Option<std::collections::BTreeSet<String>>,
    /// Only this kind's, when set.
    pub kind: Option<DataKind>,
    /// Only those at or after this time.
    pub since: i64,
    /// At most this many.
    pub limit: u32,
}

/// The deletion records `filter` asks for, newest first.
pub async fn list(pool: &AnyPool, filter: &DeletionFilter) -> Result<Vec<DeletionRecord>, sqlx::Error> {
    let halls = crate::jurisdiction::sql_condition("site_id", 5, filter.halls.as_ref());
    let statement = format!(
        "SELECT record_id, site_id, kind, policy, action, older_than, removed, at FROM deletion_records
         WHERE ($1 = '' OR site_id = $1) AND ($2 = '' OR kind = $2) AND at >= $3{halls}
         ORDER BY at DESC, record_id DESC LIMIT $4"
    );
    let mut query = sqlx::query_as(&statement)
        .bind(filter.site_id.clone().unwrap_or_default())
        .bind(filter.kind.map_or("", DataKind::as_str))
        .bind(filter.since)
        .bind(i64::from(filter.limit));
    for hall in filter.halls.iter().flatten() {
        query = query.bind(hall.clone());
    }
    query.fetch_all(pool).await
}

/// Purges now, and returns the task that purges every `interval` (an hour by default)
/// for the server to run; a failed round waits for the next. The platform's own tables
/// ([`PLATFORM_PURGES`]) are purged with the service's `purges`.
pub async fn start(
    service: &'static str,
    pool: AnyPool,
    halls: Halls,
    purges: &'static [Purge],
    interval: Duration,
) -> Result<Task, sqlx::Error> {
    start_with(
        service,
        pool,
        halls,
        interval,
        move |pool, halls, now| async move {
            Ok(
                purge(&pool, &halls, now, purges).await?
                    + purge(&pool, &halls, now, &PLATFORM_PURGES).await?,
            )
        },
    )
    .await
}

/// [`start`] with a round of the service's own (`round(pool, halls, now)` returns how
/// many rows it removed).
pub async fn start_with<F, Fut>(
    service: &'static str,
    pool: AnyPool,
    halls: Halls,
    interval: Duration,
    round: F,
) -> Result<Task, sqlx::Error>
where
    F: Fn(AnyPool, Halls, i64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<u64, sqlx::Error>> + Send + 'static,
{
    let purged = round(pool.clone(), halls.clone(), now_millis()).await?;
    if purged > 0 {
        tracing::info!(service, purged, "records past retention removed at start");
    }
    Ok(Task::every("retention", interval, move || {
        let removed = round(pool.clone(), halls.clone(), now_millis());
        async move {
            match removed.await {
                Ok(removed) => tracing::info!(service, removed, "retention applied"),
                Err(error) => tracing::warn!(service, %error, "retention failed; will retry next round"),
            }
        }
    }))
}
