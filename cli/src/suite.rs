//! Several service roles running in one process: `serve all`, the demo and the test
//! harness. Each role still serves gRPC on its own listener and reaches its peers over
//! the network, exactly as in a Kubernetes deployment.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use hallguard_platform::config::Settings;
use hallguard_platform::db::DatabaseTarget;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{ServiceRole, StartError, start};

/// Running services that stop together.
#[derive(Debug)]
pub struct Suite {
    /// Where each role listens (the last one started, for a role started twice).
    pub addresses: HashMap<ServiceRole, SocketAddr>,
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<Result<(), tonic::transport::Error>>>,
}

/// Why the suite did not stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum StopError {
    /// A server failed while serving.
    #[error(transparent)]
    Transport(#[from] tonic::transport::Error),
    /// A server task panicked or was cancelled.
    #[error("a server task ended abnormally: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A server did not drain in time.
    #[error("a server did not stop within {0:?}")]
    Timeout(Duration),
}

impl Default for Suite {
    fn default() -> Self {
        Self::new()
    }
}

impl Suite {
    /// No services yet.
    pub fn new() -> Self {
        Self {
            addresses: HashMap::new(),
            stop: watch::channel(false).0,
            handles: Vec::new(),
        }
    }

    /// Binds every role to `127.0.0.1:0` and points `settings`' peer URLs at them (roles
    /// whose URL is already set keep it). Start them with [`Suite::launch`].
    pub async fn bind_local(settings: &mut Settings) -> std::io::Result<Vec<(ServiceRole, TcpListener)>> {
        Self::bind_from(settings, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds the roles to `base`'s port and the next three (any free port each when it is
    /// 0), in [`ServiceRole::ALL`] order, and points the peer URLs at them.
    pub async fn bind_from(
        settings: &mut Settings,
        base: SocketAddr,
    ) -> std::io::Result<Vec<(ServiceRole, TcpListener)>> {
        let mut listeners = Vec::new();
        for (offset, role) in (0u16..).zip(ServiceRole::ALL) {
            let mut address = base;
            if base.port() != 0 {
                address.set_port(base.port() + offset);
            }
            let listener = TcpListener::bind(address).await?;
            if settings.peers.url(role.name()).is_none() {
                settings
                    .peers
                    .set(role.name(), format!("http://{}", listener.local_addr()?));
            }
            listeners.push((role, listener));
        }
        Ok(listeners)
    }

    /// Starts `role` on `listener` over `target`; it stops with the suite.
    pub async fn launch(
        &mut self,
        role: ServiceRole,
        settings: &Settings,
        target: DatabaseTarget,
        listener: TcpListener,
    ) -> Result<SocketAddr, StartError> {
        let address = listener.local_addr().map_err(|source| StartError::Listener {
            service: role.name(),
            source,
        })?;
        let mut stopped = self.stop.subscribe();
        let shutdown = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        self.handles
            .push(start(role, settings, target, listener, shutdown).await?);
        self.addresses.insert(role, address);
        Ok(address)
    }

    /// Starts every listener's role, each over `target(role)`.
    pub async fn launch_all(
        &mut self,
        settings: &Settings,
        listeners: Vec<(ServiceRole, TcpListener)>,
        target: impl Fn(ServiceRole) -> DatabaseTarget,
    ) -> Result<(), StartError> {
        for (role, listener) in listeners {
            self.launch(role, settings, target(role), listener).await?;
        }
        Ok(())
    }

    /// Asks every service to stop and waits up to `patience` for each to drain.
    pub async fn stop(self, patience: Duration) -> Result<(), StopError> {
        let _ = self.stop.send(true);
        for handle in self.handles {
            tokio::time::timeout(patience, handle)
                .await
                .map_err(|_| StopError::Timeout(patience))???;
        }
        Ok(())
    }
}
