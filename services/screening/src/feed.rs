//! The duty-desk feed: refusals, suspected cases and community reports as they happen,
//! to every watcher of the hall. Events are published after their transaction commits;
//! a watcher that falls behind skips what it missed (the records stay queryable).

use hallguard_proto::screening::v1::DutyDeskEvent;
use tokio::sync::{broadcast, watch};

/// Events waiting per slow watcher before it starts to skip.
const CAPACITY: usize = 1024;

/// The publisher side.
#[derive(Debug, Clone)]
pub struct Feed {
    sender: broadcast::Sender<(String, DutyDeskEvent)>,
    closed: watch::Sender<bool>,
}

impl Default for Feed {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
            closed: watch::channel(false).0,
        }
    }
}

impl Feed {
    /// Publishes an event of a hall (nobody watching is fine).
    pub fn publish(&self, site_id: &str, event: DutyDeskEvent) {
        let _ = self.sender.send((site_id.to_string(), event));
    }

    /// A new watcher, and whether the feed is closed (it closes at shutdown).
    pub fn subscribe(
        &self,
    ) -> (
        broadcast::Receiver<(String, DutyDeskEvent)>,
        watch::Receiver<bool>,
    ) {
        (self.sender.subscribe(), self.closed.subscribe())
    }

    /// Ends every watcher's stream, so shutdown does not wait for them.
    pub fn close(&self) {
        let _ = self.closed.send(true);
    }
}
