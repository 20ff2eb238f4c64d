//! Background work a service does beside answering calls: retention rounds, announcing
//! overdue tasks, refreshing contact lists, following the presence table. A service
//! hands its tasks to the server ([`crate::server::ServiceParts::tasks`]), which starts
//! them once it serves and stops them all when it stops: nothing runs on after its
//! server, and nothing is started by hand.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Says when to stop: `true` once the server is stopping.
pub type Stop = watch::Receiver<bool>;

type Run = Box<dyn FnOnce(Stop) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// One piece of background work.
pub struct Task {
    name: &'static str,
    run: Run,
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task").field("name", &self.name).finish()
    }
}

impl Task {
    /// A task that runs until `stop` says so (it must watch it).
    pub fn new<F, Fut>(name: &'static str, run: F) -> Self
    where
        F: FnOnce(Stop) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self {
            name,
            run: Box::new(move |stop| Box::pin(run(stop))),
        }
    }

    /// A task that runs `round` every `every` (the first after one period), a round at a
    /// time: a stop waits for the round under way, never interrupts it.
    pub fn every<F, Fut>(name: &'static str, every: Duration, mut round: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self::new(name, move |mut stop| async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                let stopping = tokio::select! {
                    _ = ticks.tick() => false,
                    _ = stop.wait_for(|stop| *stop) => true,
                };
                if stopping {
                    return;
                }
                round().await;
            }
        })
    }

    /// Its name, for logs.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Starts it.
    pub fn spawn(self, stop: Stop) -> JoinHandle<()> {
        tokio::spawn((self.run)(stop))
    }
}

/// Waits for started tasks to finish after their stop, at most `patience` in all;
/// those still running then are left to the runtime and logged.
pub async fn join(handles: Vec<(&'static str, JoinHandle<()>)>, patience: Duration) {
    let deadline = tokio::time::Instant::now() + patience;
    for (name, handle) in handles {
        match tokio::time::timeout_at(deadline, handle).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(task = name, %error, "background task ended badly"),
            Err(_) => tracing::warn!(task = name, "background task still running at shutdown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_repeated_task_runs_each_period_and_stops_when_told() {
        let rounds = Arc::new(AtomicUsize::new(0));
        let counted = rounds.clone();
        let task = Task::every("count", Duration::from_millis(10), move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        let (stop, stopped) = watch::channel(false);
        let handle = task.spawn(stopped);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(rounds.load(Ordering::SeqCst) >= 2);
        stop.send(true).unwrap();
        join(vec![("count", handle)], Duration::from_secs(5)).await;
        let stopped_at = rounds.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), stopped_at);
    }
}
