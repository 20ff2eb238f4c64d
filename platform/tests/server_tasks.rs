//! The server owns its background tasks: it starts them once it serves and, when it
//! stops, stops them and waits for them before it returns.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Platform, options};
use hallguard_platform::auth::TokenBook;
use hallguard_platform::tasks::Task;

#[tokio::test]
async fn background_tasks_run_while_serving_and_end_before_the_server_returns() {
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
    let platform = Platform::start_with_tasks(options(TokenBook::default()), vec![task]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rounds.load(Ordering::SeqCst) >= 2, "the task runs while serving");
    assert_eq!(ended.load(Ordering::SeqCst), 0);
    platform.stop().await;
    // Stopped and waited for: it ended before run returned, and runs no more.
    assert_eq!(ended.load(Ordering::SeqCst), 1);
    let after = rounds.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rounds.load(Ordering::SeqCst), after);
}
