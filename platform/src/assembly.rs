//! One way to assemble a service for [`crate::server::run`]: its database opened and
//! migrated, its retention and its outbox worker started, its background tasks and its
//! shutdown hooks collected, and its gRPC surface handed over as [`ServiceParts`].
//! Every service's `build()` is this, plus what is its own.

use std::sync::Arc;

use sqlx::AnyPool;
use sqlx::migrate::Migrator;
use tokio::sync::Notify;
use tonic::service::Routes;

use crate::auth::RpcRoles;
use crate::config::Settings;
use crate::db::{Database, DatabaseError, DatabaseTarget};
use crate::outbox::OutboxWorker;
use crate::peers::PeerDeliver;
use crate::server::ServiceParts;
use crate::tasks::Task;

/// A service being assembled.
pub struct Assembly {
    name: &'static str,
    pool: AnyPool,
    outbox_worker: Option<OutboxWorker<PeerDeliver>>,
    tasks: Vec<Task>,
    on_shutdown: Vec<Box<dyn FnOnce() + Send + 'static>>,
}

impl std::fmt::Debug for Assembly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assembly")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Applies the configured message size limits to a generated gRPC server.
#[macro_export]
macro_rules! sized {
    ($server:expr, $settings:expr) => {
        $server
            .max_decoding_message_size($settings.max_message_bytes)
            .max_encoding_message_size($settings.max_message_bytes)
    };
}

impl Assembly {
    /// Opens the service's database (SQLite file or PostgreSQL schema named `name`) and
    /// runs the platform's and the service's migrations.
    pub async fn open(
        name: &'static str,
        target: &DatabaseTarget,
        migrations: Migrator,
    ) -> Result<Self, DatabaseError> {
        let database = Database::open(target, Some(migrations)).await?;
        Ok(Self {
            name,
            pool: database.pool,
            outbox_worker: None,
            tasks: Vec::new(),
            on_shutdown: Vec::new(),
        })
    }

    /// Deletes what `purges` list past each hall's limits, now and then on the
    /// configured interval (see [`crate::retention`]).
    pub async fn with_retention(
        mut self,
        settings: &Settings,
        purges: &'static [crate::retention::Purge],
    ) -> Result<Self, DatabaseError> {
        let task = crate::retention::start(
            self.name,
            self.pool.clone(),
            settings.halls.clone(),
            purges,
            settings.retention_interval,
        )
        .await?;
        self.tasks.push(task);
        Ok(self)
    }

    /// Keeps `tables`' sealed columns under the current data key (see [`crate::sealing`]).
    pub fn with_sealing(
        mut self,
        settings: &Settings,
        tables: &'static [crate::sealing::SealedColumns],
    ) -> Self {
        self.tasks.push(crate::sealing::reseal_task(
            self.pool.clone(),
            settings.sealer.clone(),
            tables,
            settings.retention_interval,
        ));
        self
    }

    /// Delivers the service's outbox to its peers (lists of presence merged per peer).
    pub fn with_outbox(mut self, settings: &Settings) -> Self {
        let worker = OutboxWorker::new(
            self.pool.clone(),
            PeerDeliver::new(&settings.peers, &settings.service_token, settings.request_timeout),
        )
        .with_batched_kinds(&crate::outbound::batched_kinds());
        self.outbox_worker = Some(worker);
        self
    }

    /// The database.
    pub fn pool(&self) -> AnyPool {
        self.pool.clone()
    }

    /// Wakes the outbox worker when a handler has queued something (a fresh waker when
    /// the service has no outbox).
    pub fn outbox_waker(&self) -> Arc<Notify> {
        self.outbox_worker
            .as_ref()
            .map_or_else(|| Arc::new(Notify::new()), OutboxWorker::waker)
    }

    /// Runs `task` with the server.
    pub fn with_task(mut self, task: Task) -> Self {
        self.tasks.push(task);
        self
    }

    /// Calls `hook` when shutdown begins (to end server streams, say).
    pub fn on_shutdown(mut self, hook: impl FnOnce() + Send + 'static) -> Self {
        self.on_shutdown.push(Box::new(hook));
        self
    }

    /// The parts the server runs: `routes` serving `service_names`, callable by `roles`.
    pub fn parts(self, routes: Routes, service_names: Vec<&'static str>, roles: RpcRoles) -> ServiceParts {
        ServiceParts {
            name: self.name,
            routes,
            service_names,
            roles,
            pool: self.pool,
            outbox_worker: self.outbox_worker,
            tasks: self.tasks,
            on_shutdown: self.on_shutdown,
        }
    }
}
