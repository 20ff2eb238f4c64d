//! A fresh database per test: a SQLite file in a temporary directory, or, when
//! `HALLGUARD_TEST_DATABASE_URL` is set, a PostgreSQL schema of its own that is dropped
//! again by [`TestDatabase::cleanup`].

use sqlx::{Connection, Executor};

use crate::db::DatabaseTarget;

/// The variable that switches tests to PostgreSQL.
pub const TEST_DATABASE_URL_VAR: &str = "HALLGUARD_TEST_DATABASE_URL";

/// A database location owned by one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// Where the test's services keep their data.
    pub url: String,
    /// The schema prefix (PostgreSQL) so services get `<prefix>_<service>` schemas.
    pub prefix: String,
    postgres: bool,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A fresh, empty place for one test's data.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let prefix = format!("t{}", uuid::Uuid::now_v7().simple());
        match std::env::var(TEST_DATABASE_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => Self {
                url,
                prefix,
                postgres: true,
                _dir: None,
            },
            _ => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().display());
                Self {
                    url,
                    prefix,
                    postgres: false,
                    _dir: Some(dir),
                }
            }
        }
    }

    /// The target for one service's data.
    pub fn target(&self, service: &str) -> DatabaseTarget {
        let namespace = if self.postgres {
            format!("{}_{}", self.prefix, service.replace('-', "_"))
        } else {
            service.to_string()
        };
        DatabaseTarget {
            url: self.url.clone(),
            namespace,
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    /// Drops the test's PostgreSQL schemas (SQLite files go with the temp directory).
    pub async fn cleanup(&self) {
        if !self.postgres {
            return;
        }
        sqlx::any::install_default_drivers();
        let Ok(mut connection) = sqlx::AnyConnection::connect(&self.url).await else {
            return;
        };
        let query = format!(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE '{}\\_%'",
            self.prefix
        );
        let schemas: Vec<String> = sqlx::query_scalar(&query)
            .fetch_all(&mut connection)
            .await
            .unwrap_or_default();
        for schema in schemas {
            let _ignored = connection
                .execute(format!("DROP SCHEMA \"{schema}\" CASCADE").as_str())
                .await;
        }
        let _ignored = connection.close().await;
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

/// A service's migrations up to (not including) `version`: the tables as an earlier
/// release left them, for tests that carry old rows over.
pub fn migrations_before(mut migrator: sqlx::migrate::Migrator, version: i64) -> sqlx::migrate::Migrator {
    migrator.migrations = std::borrow::Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|migration| migration.version < version)
            .cloned()
            .collect(),
    );
    migrator
}
