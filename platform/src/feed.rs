//! A live feed for a duty desk: events of a hall as they happen, to every watcher of that
//! hall. Events are published after their transaction commits; a watcher that falls
//! behind skips what it missed (the records stay queryable). The feed closes at
//! shutdown so open streams do not hold the graceful shutdown.

use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::{BroadcastStream, WatchStream};
use tokio_stream::{Stream, StreamExt};

/// Events waiting per slow watcher before it starts to skip.
const CAPACITY: usize = 1024;

/// The publisher side, for events of type `T`.
#[derive(Debug, Clone)]
pub struct Feed<T> {
    sender: broadcast::Sender<(String, T)>,
    closed: watch::Sender<bool>,
}

impl<T: Clone + Send + 'static> Default for Feed<T> {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
            closed: watch::channel(false).0,
        }
    }
}

impl<T: Clone + Send + 'static> Feed<T> {
    /// Publishes an event of a hall (nobody watching is fine).
    pub fn publish(&self, site_id: &str, event: T) {
        let _ = self.sender.send((site_id.to_string(), event));
    }

    /// The events of one hall from now on, until the feed closes.
    pub fn watch(&self, site_id: String) -> impl Stream<Item = T> + Send + 'static {
        let events = BroadcastStream::new(self.sender.subscribe()).filter_map(move |item| match item {
            Ok((site, event)) if site == site_id => Some(Some(event)),
            Ok(_) => None,
            Err(skipped) => {
                tracing::warn!(%skipped, "duty-desk watcher fell behind");
                None
            }
        });
        let closing = WatchStream::new(self.closed.subscribe()).filter_map(|closed| closed.then_some(None));
        events
            .merge(closing)
            .take_while(Option::is_some)
            .filter_map(|event| event)
    }

    /// Ends every watcher's stream.
    pub fn close(&self) {
        let _ = self.closed.send(true);
    }
}
