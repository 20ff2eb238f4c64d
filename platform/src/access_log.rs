//! The access log: who read whose personal data. A handler that answers with people
//! takes a [`Reader`] from its request (the caller the auth layer found, the RPC, the
//! purpose in the `hallguard-purpose` header) and records the people its answer shows
//! before answering; a read that cannot be logged is not answered. Entries are
//! append-only; admins list them by person, by caller or by hall
//! ([`crate::access_admin`]), and retention deletes them past the hall's
//! `retention.access_log_days`.

use std::collections::BTreeSet;

use hallguard_domain::time::now_millis;
use hallguard_proto::common::v1 as common;
use sqlx::AnyPool;

use crate::db::begin_write;

/// The request header that carries a stated purpose.
pub const PURPOSE_HEADER: &str = "hallguard-purpose";

/// Longest purpose kept, in characters.
pub const MAX_PURPOSE_CHARS: usize = 200;

/// The RPC a request calls (`/package.Service/Method`), put in its extensions by the
/// auth layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rpc(pub String);

/// Who reads, through which RPC, for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    /// The token's name or the signed-in subject ("" on a server without auth).
    pub caller: String,
    /// The caller's role.
    pub role: String,
    /// The RPC.
    pub rpc: String,
    /// The stated purpose, if any.
    pub purpose: String,
}

impl Reader {
    /// The reader of a request, taken before the request is consumed.
    pub fn of<T>(request: &tonic::Request<T>) -> Self {
        let caller = crate::auth::caller(request);
        let purpose = request
            .metadata()
            .get(PURPOSE_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .trim()
            .chars()
            .take(MAX_PURPOSE_CHARS)
            .collect();
        Self {
            caller: caller.map(|caller| caller.name.clone()).unwrap_or_default(),
            role: caller.map(|caller| caller.role.to_string()).unwrap_or_default(),
            rpc: request
                .extensions()
                .get::<Rpc>()
                .map(|rpc| rpc.0.clone())
                .unwrap_or_default(),
            purpose,
        }
    }
}

/// How a person is named in the log: `site/kind/id`.
pub fn person_key(person: &common::PersonRef) -> String {
    let kind = match common::PersonKind::try_from(person.kind) {
        Ok(common::PersonKind::Visitor) => "visitor",
        Ok(common::PersonKind::Staff) => "staff",
        _ => "unknown",
    };
    format!("{}/{kind}/{}", person.site_id, person.person_id)
}

/// A staff member's key.
pub fn staff_key(site_id: &str, staff_id: &str) -> String {
    format!("{site_id}/staff/{staff_id}")
}

/// A no-code registrant's key (their registration id stands for them).
pub fn registrant_key(site_id: &str, registration_id: &str) -> String {
    format!("{site_id}/visitor/{registration_id}")
}

/// Records one read of `site_id`'s data that showed `people` (keys; duplicates are
/// kept once).
pub async fn record(
    pool: &AnyPool,
    reader: &Reader,
    site_id: &str,
    people: Vec<String>,
) -> Result<(), sqlx::Error> {
    let mut people = people;
    people.sort_unstable();
    people.dedup();
    let entry_id = crate::validate::new_id("acc");
    let mut transaction = begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO access_log (entry_id, site_id, at, caller, role, rpc, purpose, people)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&entry_id)
    .bind(site_id)
    .bind(now_millis())
    .bind(&reader.caller)
    .bind(&reader.role)
    .bind(&reader.rpc)
    .bind(&reader.purpose)
    .bind(i64::try_from(people.len()).unwrap_or(i64::MAX))
    .execute(&mut *transaction)
    .await?;
    // A few hundred rows at most per read: contact lists and staff rosters.
    for chunk in people.chunks(200) {
        let placeholders: Vec<String> = (0..chunk.len())
            .map(|index| format!("($1, ${})", index + 2))
            .collect();
        let statement = format!(
            "INSERT INTO access_log_people (entry_id, person) VALUES {}",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&statement).bind(&entry_id);
        for person in chunk {
            query = query.bind(person);
        }
        query.execute(&mut *transaction).await?;
    }
    transaction.commit().await
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessEntry {
    /// Its id.
    pub entry_id: String,
    /// The hall.
    pub site_id: String,
    /// When, epoch ms.
    pub at: i64,
    /// Who.
    pub caller: String,
    /// Their role.
    pub role: String,
    /// The RPC.
    pub rpc: String,
    /// The stated purpose.
    pub purpose: String,
    /// How many people the answer showed.
    pub people: i64,
}

/// Which entries to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct AccessFilter {
    /// Only reads that showed this person (a key).
    pub person: Option<String>,
    /// Only this caller's.
    pub caller: Option<String>,
    /// Only this hall's.
    pub site_id: Option<String>,
    /// Only these halls' (the caller's jurisdiction), when set.
    pub halls: Option<BTreeSet<String>>,
    /// At or after.
    pub since: i64,
    /// At most.
    pub limit: u32,
}

/// The entries `filter` asks for, newest first.
pub async fn list(pool: &AnyPool, filter: &AccessFilter) -> Result<Vec<AccessEntry>, sqlx::Error> {
    let halls = crate::jurisdiction::sql_condition("site_id", 6, filter.halls.as_ref());
    let statement = format!(
        "SELECT entry_id, site_id, at, caller, role, rpc, purpose, people FROM access_log a
         WHERE ($1 = '' OR EXISTS (SELECT 1 FROM access_log_people p WHERE p.entry_id = a.entry_id AND p.person = $1))
           AND ($2 = '' OR caller = $2) AND ($3 = '' OR site_id = $3) AND at >= $4{halls}
         ORDER BY at DESC, entry_id DESC LIMIT $5"
    );
    let mut query = sqlx::query_as(&statement)
        .bind(filter.person.clone().unwrap_or_default())
        .bind(filter.caller.clone().unwrap_or_default())
        .bind(filter.site_id.clone().unwrap_or_default())
        .bind(filter.since)
        .bind(i64::from(filter.limit));
    for hall in filter.halls.iter().flatten() {
        query = query.bind(hall.clone());
    }
    query.fetch_all(pool).await
}
