//! The database pool: SQLite (the embedded default, one file per service under ./data)
//! or PostgreSQL (one schema per service). Queries are written once in portable SQL with
//! `$N` placeholders, epoch-millisecond times and TEXT ids, and run on both backends.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

/// What can go wrong opening the database.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// The URL names a backend we do not support.
    #[error("unsupported database url scheme (use sqlite:// or postgres://)")]
    UnsupportedScheme,
    /// The database refused or failed.
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The data directory could not be created.
    #[error("cannot create data directory: {0}")]
    DataDir(#[from] std::io::Error),
    /// The database did not answer while the service waited for it.
    #[error("database not reachable within {0} s: {1}")]
    Unreachable(u64, String),
}

/// Which backend a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A connection pool plus the backend it talks to.
#[derive(Debug, Clone)]
pub struct Database {
    /// The pool.
    pub pool: AnyPool,
    /// The backend.
    pub backend: Backend,
}

/// Where a service's data lives.
#[derive(Debug, Clone)]
pub struct DatabaseTarget {
    /// `sqlite://` or `postgres://` URL. For SQLite a directory URL is allowed:
    /// `sqlite://data` puts each service in `data/<service>.db`.
    pub url: String,
    /// PostgreSQL schema or SQLite file name; usually the service name.
    pub namespace: String,
}

impl Database {
    /// Opens the pool and runs the platform's and then the service's migrations
    /// (`sqlx::migrate!` of the service crate; versions 100 and up, as the platform uses 1-99).
    pub async fn open(
        target: &DatabaseTarget,
        service_migrations: Option<Migrator>,
    ) -> Result<Self, DatabaseError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = resolve(target)?;
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let pool_options = AnyPoolOptions::new().max_connections(match backend {
            // SQLite allows one writer; a small pool avoids lock contention.
            Backend::Sqlite => 4,
            Backend::Postgres => 10,
        });
        let pool = match backend {
            Backend::Sqlite => {
                pool_options
                    .after_connect(|connection, _| {
                        Box::pin(async move {
                            connection
                                .execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                let schema = quote_identifier(&target.namespace);
                let mut connection = first_connection(&options).await?;
                create_schema(&mut connection, &schema).await?;
                connection.close().await?;
                pool_options
                    .after_connect(move |connection, _| {
                        let statement = format!("SET search_path TO {schema}");
                        Box::pin(async move {
                            connection.execute(statement.as_str()).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
        };
        // The platform's tables (the outbox) and the service's share one migrations table;
        // each migrator skips the other's versions.
        let mut platform: Migrator = sqlx::migrate!("./migrations");
        platform.set_ignore_missing(true);
        platform.run(&pool).await?;
        if let Some(mut service) = service_migrations {
            service.set_ignore_missing(true);
            service.run(&pool).await?;
        }
        Ok(Self { pool, backend })
    }
}

/// How long a starting service waits for its database before giving up (a pod that
/// gives up is restarted; one that waits silently looks hung).
const FIRST_CONNECTION_PATIENCE: Duration = Duration::from_secs(120);

/// The first connection, retried with a log line every few seconds while the database
/// is not reachable yet (it often starts beside the services).
async fn first_connection(options: &AnyConnectOptions) -> Result<sqlx::AnyConnection, DatabaseError> {
    let started = std::time::Instant::now();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let outcome =
            tokio::time::timeout(Duration::from_secs(5), sqlx::AnyConnection::connect_with(options)).await;
        let error = match outcome {
            Ok(Ok(connection)) => return Ok(connection),
            Ok(Err(error)) => error.to_string(),
            Err(_) => "no answer within 5 s".to_string(),
        };
        if started.elapsed() >= FIRST_CONNECTION_PATIENCE {
            return Err(DatabaseError::Unreachable(
                FIRST_CONNECTION_PATIENCE.as_secs(),
                error,
            ));
        }
        tracing::warn!(attempt, %error, "database not reachable yet; retrying");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Creates the service's schema. Replicas starting together race on it: PostgreSQL's
/// `IF NOT EXISTS` still fails one of two simultaneous creators on the catalogue's
/// unique index, so a failure is retried once the other has committed.
async fn create_schema(connection: &mut sqlx::AnyConnection, schema: &str) -> Result<(), DatabaseError> {
    let statement = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
    let mut attempt = 0;
    loop {
        attempt += 1;
        match connection.execute(statement.as_str()).await {
            Ok(_) => return Ok(()),
            Err(error) if attempt < 5 => {
                tracing::info!(%error, attempt, "schema creation raced another replica; retrying");
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

fn resolve(target: &DatabaseTarget) -> Result<(Backend, String), DatabaseError> {
    let url = target.url.trim();
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let path = rest.split('?').next().unwrap_or_default();
        let file = if path.ends_with(".db") || path == ":memory:" {
            std::path::PathBuf::from(path)
        } else {
            std::path::Path::new(if path.is_empty() { "data" } else { path })
                .join(format!("{}.db", target.namespace))
        };
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        return Ok((Backend::Sqlite, format!("sqlite://{}?mode=rwc", file.display())));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_string()));
    }
    Err(DatabaseError::UnsupportedScheme)
}

/// Schema names come from our own service names and test ids; quoting keeps them inert.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', ""))
}

/// Whether an error is a unique-constraint violation (a duplicate key).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later fails
/// with "database is locked" when another writer commits in between, which no busy
/// timeout can wait out. PostgreSQL begins normally.
pub async fn begin_write(pool: &sqlx::AnyPool) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    if pool.connect_options().database_url.scheme() == "sqlite" {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        pool.begin().await
    }
}

/// A stored value that does not decode: the database holds something this version
/// never writes. Stores answer it instead of a default.
pub fn corrupt(error: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}

/// Rows decoded into domain values (`TryFrom` each row type); the first row that does not
/// decode is the error.
pub fn decode_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, sqlx::Error>
where
    T: TryFrom<R, Error = sqlx::Error>,
{
    rows.into_iter().map(T::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_directory_url_gives_one_file_per_service() {
        let target = DatabaseTarget {
            url: "sqlite://data".into(),
            namespace: "screening".into(),
        };
        let (backend, url) = resolve(&target).unwrap();
        assert_eq!(backend, Backend::Sqlite);
        assert_eq!(url, "sqlite://data/screening.db?mode=rwc");
    }

    #[test]
    fn unknown_scheme_is_refused() {
        let target = DatabaseTarget {
            url: "mysql://x".into(),
            namespace: "s".into(),
        };
        assert!(matches!(resolve(&target), Err(DatabaseError::UnsupportedScheme)));
    }

    /// Replicas starting together all get their schema (PostgreSQL only: SQLite has none).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn replicas_starting_together_all_open_their_schema() {
        let test = crate::testing::TestDatabase::new();
        if !test.is_postgres() {
            return;
        }
        let target = test.target("race");
        let opened = futures_util::future::join_all((0..12).map(|_| Database::open(&target, None))).await;
        for outcome in opened {
            assert!(outcome.is_ok(), "{outcome:?}");
        }
        test.cleanup().await;
    }
}
