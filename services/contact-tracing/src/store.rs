//! The presence table: intervals are stored once per source event, and read back in
//! full at start to rebuild the graph. Portable SQL for SQLite and PostgreSQL.

use hallguard_domain::time::now_millis;
use hallguard_tracing_engine::model::{PersonKey, PersonKind, PlaceKey, PlaceKind, Presence};
use sqlx::{AnyPool, FromRow};

/// A presence interval as stored: validated, with its source event id.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// Deduplication key.
    pub source_event_id: String,
    /// The interval.
    pub presence: Presence,
}

fn person_kind_name(kind: PersonKind) -> &'static str {
    match kind {
        PersonKind::Visitor => "visitor",
        PersonKind::Staff => "staff",
    }
}

fn place_kind_name(kind: PlaceKind) -> &'static str {
    match kind {
        PlaceKind::Zone => "zone",
        PlaceKind::EntryQueue => "entry_queue",
        PlaceKind::CanteenSeat => "canteen_seat",
    }
}

/// Why intervals were not stored.
#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A source event id already names another interval (another person, place, start
    /// or queue place); the batch is refused whole.
    #[error("source event id of interval {0} names another stored interval")]
    Conflict(usize),
}

/// Stores the intervals in one transaction; says how many were new (a source
/// event seen before, in this batch or earlier, is skipped when it names the same
/// interval, and refuses the batch when it names another). An end for a stay stored
/// while still open closes it; an open stay arriving after its end changes nothing.
pub async fn insert(pool: &AnyPool, intervals: Vec<Ingested>) -> Result<Stored, InsertError> {
    let mut transaction = pool.begin().await?;
    // Numbers for the batch, taken first: the counter row stays locked until commit, so
    // a later batch's numbers become visible only after these (followers never skip).
    let count = i64::try_from(intervals.len()).unwrap_or(i64::MAX);
    sqlx::query("UPDATE presence_sequence SET last_seq = last_seq + $1 WHERE id = 1")
        .bind(count)
        .execute(&mut *transaction)
        .await?;
    let last: i64 = sqlx::query_scalar("SELECT last_seq FROM presence_sequence WHERE id = 1")
        .fetch_one(&mut *transaction)
        .await?;
    let first = last - count + 1;
    let mut accepted = 0;
    let mut closed = 0;
    let now = now_millis();
    for (index, interval) in intervals.into_iter().enumerate() {
        let presence = &interval.presence;
        let inserted = sqlx::query(
            "INSERT INTO presence (source_event_id, site_id, person_kind, person_id, place_kind, place_id,
                                   start_ms, end_ms, queue_position, ingested_at, seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (source_event_id) DO NOTHING",
        )
        .bind(&interval.source_event_id)
        .bind(&presence.person.site_id)
        .bind(person_kind_name(presence.person.kind))
        .bind(&presence.person.person_id)
        .bind(place_kind_name(presence.place.kind))
        .bind(&presence.place.place_id)
        .bind(presence.start)
        .bind(presence.end)
        .bind(i64::from(presence.queue_position))
        .bind(now)
        .bind(first + i64::try_from(index).unwrap_or(i64::MAX))
        .execute(&mut *transaction)
        .await?
        .rows_affected();
        if inserted == 1 {
            accepted += 1;
            continue;
        }
        // Seen before: the same interval (its end may differ: a stay first sent open and
        // later closed is the same interval), or another one under a used id.
        let stored_end: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT end_ms FROM presence WHERE source_event_id = $1 AND site_id = $2 AND person_kind = $3
                 AND person_id = $4 AND place_kind = $5 AND place_id = $6 AND start_ms = $7
                 AND queue_position = $8",
        )
        .bind(&interval.source_event_id)
        .bind(&presence.person.site_id)
        .bind(person_kind_name(presence.person.kind))
        .bind(&presence.person.person_id)
        .bind(place_kind_name(presence.place.kind))
        .bind(&presence.place.place_id)
        .bind(presence.start)
        .bind(i64::from(presence.queue_position))
        .fetch_optional(&mut *transaction)
        .await?;
        match (stored_end, presence.end) {
            (None, _) => return Err(InsertError::Conflict(index)),
            // Stored while open, now closed: the end goes in under a new number, so every
            // follower reads the row again and closes the stay it holds.
            (Some(None), Some(end)) => {
                sqlx::query(
                    "UPDATE presence SET end_ms = $1, seq = $2 WHERE source_event_id = $3 AND end_ms IS NULL",
                )
                .bind(end)
                .bind(first + i64::try_from(index).unwrap_or(i64::MAX))
                .bind(&interval.source_event_id)
                .execute(&mut *transaction)
                .await?;
                accepted += 1;
                closed += 1;
            }
            // A repeat; or the open stay arriving after its end; or a second end (the
            // first one stands).
            (Some(_), _) => {}
        }
    }
    transaction.commit().await?;
    Ok(Stored {
        accepted,
        closed,
        last_seq: last,
    })
}

/// What a batch stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// Intervals that were new, or closed stays stored while open.
    pub accepted: usize,
    /// Of those, stays stored while open that are closed now.
    pub closed: usize,
    /// The batch's last number: the graph holds the batch once it has followed this far.
    pub last_seq: i64,
}

/// The last number given so far: a rebuild loads the rows up to it, then follows.
pub async fn last_seq(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT last_seq FROM presence_sequence WHERE id = 1")
        .fetch_one(pool)
        .await
}

/// Up to `limit` intervals numbered after `after`, in number order, with the last
/// number read (`after` when none).
pub async fn load_after(pool: &AnyPool, after: i64, limit: i64) -> Result<(Page, i64), sqlx::Error> {
    let rows = sqlx::query(
        "SELECT source_event_id, site_id, person_kind, person_id, place_kind, place_id, start_ms,
                end_ms, queue_position, seq
         FROM presence WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let last = match rows.last() {
        Some(row) => SeqOf::from_row(row)?.seq,
        None => after,
    };
    Ok((read_rows(&rows, None), last))
}

/// Where a page of stored intervals ends: the next page starts after it.
pub type PageEnd = (i64, String);

/// A page of stored intervals.
#[derive(Debug, Default)]
pub struct Page {
    /// The readable rows, each with its source event id, oldest first.
    pub presences: Vec<(String, Presence)>,
    /// Rows that could not be read as an interval (a kind no version wrote, a column
    /// of the wrong type): counted, never a reason to stop.
    pub unreadable: usize,
    /// Where the page ends; `None` once no rows are left.
    pub end: Option<PageEnd>,
}

/// Up to `limit` stored intervals after `after`, oldest first, with where the page ends.
/// Paging keeps a rebuild's memory to one page of rows.
pub async fn load_page(
    pool: &AnyPool,
    after: Option<&PageEnd>,
    limit: i64,
    up_to_seq: i64,
) -> Result<Page, sqlx::Error> {
    let (after_start, after_event) = after.cloned().unwrap_or((i64::MIN, String::new()));
    // Rows numbered after `up_to_seq` are the follower's: each row is read once.
    let rows = sqlx::query(
        "SELECT source_event_id, site_id, person_kind, person_id, place_kind, place_id, start_ms,
                end_ms, queue_position
         FROM presence
         WHERE (start_ms > $1 OR (start_ms = $1 AND source_event_id > $2))
           AND (seq IS NULL OR seq <= $3)
         ORDER BY start_ms, source_event_id
         LIMIT $4",
    )
    .bind(after_start)
    .bind(after_event)
    .bind(up_to_seq)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let end = match rows.last() {
        Some(row) => {
            let key = PageKey::from_row(row)?;
            Some((key.start_ms, key.source_event_id))
        }
        None => None,
    };
    Ok(read_rows(&rows, end))
}

/// A row's number.
#[derive(sqlx::FromRow)]
struct SeqOf {
    seq: i64,
}

/// Where a row falls in the rebuild's order.
#[derive(sqlx::FromRow)]
struct PageKey {
    start_ms: i64,
    source_event_id: String,
}

/// A stored interval's columns.
#[derive(sqlx::FromRow)]
struct PresenceRow {
    source_event_id: String,
    site_id: String,
    person_kind: String,
    person_id: String,
    place_kind: String,
    place_id: String,
    start_ms: i64,
    end_ms: Option<i64>,
    queue_position: i64,
}

/// Rows as intervals; the unreadable ones counted. Rows are decoded one by one (not by
/// `query_as`), so one unreadable row is skipped rather than failing the page.
fn read_rows(rows: &[sqlx::any::AnyRow], end: Option<PageEnd>) -> Page {
    let mut page = Page {
        presences: Vec::with_capacity(rows.len()),
        unreadable: 0,
        end,
    };
    for row in rows {
        match presence_from_row(row) {
            Ok(Some(read)) => page.presences.push(read),
            Ok(None) | Err(_) => {
                page.unreadable += 1;
                let source_event_id = PageKey::from_row(row)
                    .map(|key| key.source_event_id)
                    .unwrap_or_default();
                tracing::error!(%source_event_id, "stored interval unreadable; skipped");
            }
        }
    }
    page
}

/// One stored row as an interval; `None` for a kind this version does not know.
fn presence_from_row(row: &sqlx::any::AnyRow) -> Result<Option<(String, Presence)>, sqlx::Error> {
    let row = PresenceRow::from_row(row)?;
    let person_kind = match row.person_kind.as_str() {
        "staff" => PersonKind::Staff,
        "visitor" => PersonKind::Visitor,
        _ => return Ok(None),
    };
    let place_kind = match row.place_kind.as_str() {
        "zone" => PlaceKind::Zone,
        "entry_queue" => PlaceKind::EntryQueue,
        "canteen_seat" => PlaceKind::CanteenSeat,
        _ => return Ok(None),
    };
    let Ok(queue_position) = u32::try_from(row.queue_position) else {
        return Ok(None);
    };
    let presence = Presence {
        person: PersonKey {
            site_id: row.site_id.clone(),
            kind: person_kind,
            person_id: row.person_id,
        },
        place: PlaceKey {
            site_id: row.site_id,
            kind: place_kind,
            place_id: row.place_id,
        },
        start: row.start_ms,
        end: row.end_ms,
        queue_position,
    };
    Ok(Some((row.source_event_id, presence)))
}

/// Deletes a hall's intervals that ended (or, open, started) before `cutoff`; returns
/// how many.
pub async fn delete_ended_before(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    site_id: &str,
    cutoff: i64,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM presence WHERE site_id = $1 AND COALESCE(end_ms, start_ms) < $2")
            .bind(site_id)
            .bind(cutoff)
            .execute(&mut **transaction)
            .await?
            .rows_affected(),
    )
}
