//! Names, phones and residences sealed at rest: each value is encrypted with
//! ChaCha20-Poly1305 (ring) under the current data key before it is stored, bound to
//! the column it belongs in (a value copied into another column does not open), and
//! stored as `sealed:v1:<key id>:<base64 nonce+ciphertext>`. Data keys come from a
//! secret separate from the ID-hash key; the first listed seals, every listed one
//! opens, so rotating is: put a new key first, keep the old one until [`reseal`] has
//! moved every row to the new key (it runs at start and with each retention round),
//! then drop the old one. Values stored before sealing existed are read as they are and
//! sealed by the first reseal.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

/// What every sealed value starts with.
const PREFIX: &str = "sealed:v1:";
/// Bytes of a data key.
pub const KEY_BYTES: usize = 32;

/// Why data keys or a stored value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The keys spec is malformed (the message never shows a key).
    #[error("data keys: {0}")]
    Keys(String),
    /// A stored value names a key not configured (dropped before the reseal finished?).
    #[error("a stored value is sealed with data key {0:?}, which is not configured")]
    UnknownKey(String),
    /// A stored value does not open: corrupt, or moved from another column.
    #[error("a stored value does not open (corrupt, or not of this column)")]
    Corrupt,
}

impl From<SealError> for sqlx::Error {
    fn from(error: SealError) -> Self {
        crate::db::corrupt(error)
    }
}

/// The data keys: the current one seals, all open.
#[derive(Clone)]
pub struct Sealer {
    current: String,
    keys: Arc<HashMap<String, LessSafeKey>>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Sealer {{ current: {:?}, keys: {} }}",
            self.current,
            self.keys.len()
        )
    }
}

impl Sealer {
    /// Keys as (id, 32 bytes); the first seals.
    pub fn new(keys: Vec<(String, [u8; KEY_BYTES])>) -> Result<Self, SealError> {
        let current = keys
            .first()
            .map(|(id, _)| id.clone())
            .ok_or_else(|| SealError::Keys("none given".into()))?;
        let mut by_id = HashMap::new();
        for (id, bytes) in keys {
            // No `_` or `%`: the reseal finds values under other keys with LIKE.
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(SealError::Keys(format!(
                    "key id {id:?} must be letters, digits or -"
                )));
            }
            let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
                .map_err(|_| SealError::Keys("a key cannot be used".into()))?;
            if by_id.insert(id.clone(), LessSafeKey::new(key)).is_some() {
                return Err(SealError::Keys(format!("key id {id:?} is given twice")));
            }
        }
        Ok(Self {
            current,
            keys: Arc::new(by_id),
        })
    }

    /// Parses `id:base64key` entries (32-byte keys, `openssl rand -base64 32`),
    /// comma-separated, the sealing key first.
    pub fn parse(spec: &str) -> Result<Self, SealError> {
        let mut keys = Vec::new();
        for (index, entry) in spec
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let (id, encoded) = entry
                .split_once(':')
                .ok_or_else(|| SealError::Keys(format!("entry {} is not id:base64key", index + 1)))?;
            let bytes = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| <[u8; KEY_BYTES]>::try_from(bytes).ok())
                .ok_or_else(|| {
                    SealError::Keys(format!(
                        "key {id:?} must be {KEY_BYTES} bytes in base64 (openssl rand -base64 32)"
                    ))
                })?;
            keys.push((id.trim().to_string(), bytes));
        }
        Self::new(keys)
    }

    /// A key derived from `label`, for development and tests only: the same label gives
    /// the same key, so a restart reads what was sealed before it.
    pub fn for_development(label: &str) -> Self {
        let bytes: [u8; KEY_BYTES] = Sha256::digest(format!("hallguard development data key {label}")).into();
        #[allow(clippy::expect_used)]
        Self::new(vec![("dev".into(), bytes)]).expect("a derived key is valid")
    }

    /// These keys with `id` (32 bytes) put first: it seals from now on, the others
    /// still open (a rotation, as `HALLGUARD_DATA_KEYS` with a new first entry does).
    pub fn rotated_to(&self, id: &str, bytes: [u8; KEY_BYTES]) -> Result<Self, SealError> {
        let mut rotated = Self::new(vec![(id.to_string(), bytes)])?;
        let mut keys = (*rotated.keys).clone();
        for (old_id, key) in self.keys.iter() {
            if keys.insert(old_id.clone(), key.clone()).is_some() {
                return Err(SealError::Keys(format!("key id {id:?} is given twice")));
            }
        }
        rotated.keys = Arc::new(keys);
        Ok(rotated)
    }

    /// The id of the key that seals.
    pub fn current_key(&self) -> &str {
        &self.current
    }

    /// `clear` sealed for `column` (say `registrations.phone`); empty stays empty.
    pub fn seal(&self, column: &str, clear: &str) -> String {
        if clear.is_empty() {
            return String::new();
        }
        let mut nonce = [0u8; NONCE_LEN];
        #[allow(clippy::expect_used)]
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system's random source works");
        let mut sealed = clear.as_bytes().to_vec();
        #[allow(clippy::expect_used)]
        self.keys[&self.current]
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(column.as_bytes()),
                &mut sealed,
            )
            .expect("sealing a value under 4 GiB works");
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        format!("{PREFIX}{}:{}", self.current, STANDARD.encode(stored))
    }

    /// The clear value of a stored one (a value stored before sealing is returned as is).
    pub fn open(&self, column: &str, stored: &str) -> Result<String, SealError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let (key_id, encoded) = rest.split_once(':').ok_or(SealError::Corrupt)?;
        let key = self
            .keys
            .get(key_id)
            .ok_or_else(|| SealError::UnknownKey(key_id.to_string()))?;
        let bytes = STANDARD.decode(encoded).map_err(|_| SealError::Corrupt)?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::Corrupt);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Corrupt)?;
        let mut sealed = sealed.to_vec();
        let clear = key
            .open_in_place(nonce, Aad::from(column.as_bytes()), &mut sealed)
            .map_err(|_| SealError::Corrupt)?;
        String::from_utf8(clear.to_vec()).map_err(|_| SealError::Corrupt)
    }

    /// Whether a stored value is sealed with the current key (or empty).
    pub fn is_current(&self, stored: &str) -> bool {
        stored.is_empty()
            || stored
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.split_once(':'))
                .is_some_and(|(key_id, _)| key_id == self.current)
    }
}

/// A table's sealed columns: what [`reseal`] moves to the current key.
#[derive(Debug, Clone, Copy)]
pub struct SealedColumns {
    /// The table.
    pub table: &'static str,
    /// The column (or columns, comma-separated) that identify a row.
    pub key: &'static [&'static str],
    /// The sealed columns.
    pub columns: &'static [&'static str],
}

impl SealedColumns {
    /// The context a column's values are sealed for (`table.column`).
    pub fn context(&self, column: &str) -> String {
        format!("{}.{column}", self.table)
    }
}

/// Rows per reseal transaction.
const RESEAL_BATCH: i64 = 500;

/// Moves every value of `tables` not sealed with the current key (older keys, values
/// stored before sealing) to it, a batch at a time; returns how many rows changed.
pub async fn reseal(pool: &AnyPool, sealer: &Sealer, tables: &[SealedColumns]) -> Result<u64, sqlx::Error> {
    let mut changed = 0;
    let current = format!("{PREFIX}{}:%", sealer.current);
    for table in tables {
        let not_current: Vec<String> = table
            .columns
            .iter()
            .map(|column| format!("({column} <> '' AND {column} NOT LIKE $1)"))
            .collect();
        let select = format!(
            "SELECT {}, {} FROM {} WHERE {} LIMIT {RESEAL_BATCH}",
            table.key.join(", "),
            table.columns.join(", "),
            table.table,
            not_current.join(" OR "),
        );
        let assignments: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| format!("{column} = ${}", i + 1))
            .collect();
        // The row and its old values: a row written meanwhile is left for the next round,
        // never overwritten with what was read before.
        let matches: Vec<String> = table
            .key
            .iter()
            .chain(table.columns)
            .enumerate()
            .map(|(i, column)| format!("{column} = ${}", table.columns.len() + i + 1))
            .collect();
        let update = format!(
            "UPDATE {} SET {} WHERE {}",
            table.table,
            assignments.join(", "),
            matches.join(" AND ")
        );
        loop {
            let rows: Vec<sqlx::any::AnyRow> = sqlx::query(&select).bind(&current).fetch_all(pool).await?;
            if rows.is_empty() {
                break;
            }
            let mut transaction = crate::db::begin_write(pool).await?;
            for row in &rows {
                use sqlx::Row as _;
                let mut query = sqlx::query(&update);
                let stored: Vec<String> = (0..table.columns.len())
                    .map(|i| row.try_get(table.key.len() + i))
                    .collect::<Result<_, _>>()?;
                for (column, value) in table.columns.iter().zip(&stored) {
                    let clear = sealer.open(&table.context(column), value)?;
                    query = query.bind(sealer.seal(&table.context(column), &clear));
                }
                for i in 0..table.key.len() {
                    let key: String = row.try_get(i)?;
                    query = query.bind(key);
                }
                for value in stored {
                    query = query.bind(value);
                }
                query.execute(&mut *transaction).await?;
            }
            transaction.commit().await?;
            changed += rows.len() as u64;
        }
    }
    Ok(changed)
}

/// The task that reseals `tables` at once and then every `every`: after a key rotation
/// the rows move to the new key without a stop; a failed round waits for the next.
pub fn reseal_task(
    pool: AnyPool,
    sealer: Sealer,
    tables: &'static [SealedColumns],
    every: std::time::Duration,
) -> crate::tasks::Task {
    crate::tasks::Task::new("reseal", move |mut stop| async move {
        loop {
            match reseal(&pool, &sealer, tables).await {
                Ok(0) => {}
                Ok(rows) => tracing::info!(
                    rows,
                    key = sealer.current_key(),
                    "values resealed with the current data key"
                ),
                Err(error) => tracing::error!(%error, "resealing failed; the next round tries again"),
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = stop.wait_for(|stop| *stop) => return,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> String {
        STANDARD.encode([byte; KEY_BYTES])
    }

    #[test]
    fn a_sealed_value_opens_only_for_its_column_and_hides_the_clear_text() {
        let sealer = Sealer::parse(&format!("k2:{}", key(2))).unwrap();
        let sealed = sealer.seal("staff.phone", "13800138000");
        assert!(sealed.starts_with("sealed:v1:k2:"), "{sealed}");
        assert!(!sealed.contains("13800138000"));
        assert_ne!(
            sealed,
            sealer.seal("staff.phone", "13800138000"),
            "fresh nonce each time"
        );
        assert_eq!(sealer.open("staff.phone", &sealed).unwrap(), "13800138000");
        assert_eq!(sealer.open("staff.name", &sealed), Err(SealError::Corrupt));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(sealer.open("staff.phone", &tampered), Err(SealError::Corrupt));
        assert_eq!(sealer.seal("staff.phone", ""), "");
        assert_eq!(
            sealer.open("staff.phone", "written before sealing").unwrap(),
            "written before sealing"
        );
    }

    #[test]
    fn after_rotation_old_values_open_new_ones_use_the_new_key_and_a_dropped_key_is_named() {
        let old = Sealer::parse(&format!("k1:{}", key(1))).unwrap();
        let sealed = old.seal("registrations.name", "Zhao Liu");
        let rotated = Sealer::parse(&format!("k2:{}, k1:{}", key(2), key(1))).unwrap();
        assert_eq!(rotated.open("registrations.name", &sealed).unwrap(), "Zhao Liu");
        assert!(!rotated.is_current(&sealed));
        assert!(rotated.is_current(&rotated.seal("registrations.name", "Zhao Liu")));
        let dropped = Sealer::parse(&format!("k2:{}", key(2))).unwrap();
        assert_eq!(
            dropped.open("registrations.name", &sealed),
            Err(SealError::UnknownKey("k1".into()))
        );
    }

    #[test]
    fn bad_key_specs_are_refused_without_showing_the_key() {
        for spec in [
            "",
            "k1",
            "k1:short",
            "k 1:AAAA",
            &format!("k_1:{}", key(1)),
            &format!("k1:{},k1:{}", key(1), key(2)),
        ] {
            let error = Sealer::parse(spec).unwrap_err();
            assert!(!error.to_string().contains(&key(1)), "{error}");
        }
    }
}
