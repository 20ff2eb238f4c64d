//! The server owns its background tasks: it starts them once it serves and, when it
//! stops, stops them and waits for them before it returns.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hallguard_platform::auth::{RpcRoles, TokenBook};
use hallguard_platform::connections::ConnectionLimits;
use hallguard_platform::db::Database;
use hallguard_platform::server::{self, ServerOptions, ServiceParts};
use hallguard_platform::tasks::Task;
use hallguard_platform::testing::TestDatabase;

#[tokio::test]
async fn background_tasks_run_while_serving_and_end_before_the_server_returns() {
    let test = TestDatabase::new();
    let database = Database::open(&test.target("tasks"), None).await.unwrap();
    let (rounds, ended) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (counted, finished) = (rounds.clone(), ended.clone());
    let task = Task::new("counter", move |mut stop| async move {
        while !*stop.borrow() {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = stop.changed() => {}
            }
        }
        finished.fetch_add(1, Ordering::SeqCst);
    });
    let parts = ServiceParts {
        name: "tasks",
        routes: tonic::service::Routes::default(),
        service_names: Vec::new(),
        roles: RpcRoles::default(),
        pool: database.pool.clone(),
        outbox_worker: None,
        tasks: vec![task],
        on_shutdown: Vec::new(),
    };
    let options = ServerOptions {
        tokens: TokenBook::default(),
        token_reload: None,
        signin: None,
        request_timeout: Duration::from_secs(5),
        limits: ConnectionLimits::default(),
        drain: Duration::ZERO,
        tls: None,
        service_certificates: false,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::run(
        listener,
        async move {
            let _ = stopped.await;
        },
        parts,
        options,
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rounds.load(Ordering::SeqCst) >= 2, "the task runs while serving");
    assert_eq!(ended.load(Ordering::SeqCst), 0);
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
    // Stopped and waited for: it ended before run returned, and runs no more.
    assert_eq!(ended.load(Ordering::SeqCst), 1);
    let after = rounds.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rounds.load(Ordering::SeqCst), after);
    test.cleanup().await;
}
