//! Stopping a long query: a deadline, and a flag the caller raises when it goes away.
//! The engine checks it between units of work (a case of a chain search, a site of a
//! cluster search), so a query nobody waits for stops instead of holding a core and the
//! graph.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// When a query should give up. The default never does.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    deadline: Option<Instant>,
    flag: Option<Arc<AtomicBool>>,
}

/// The query stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the query was stopped: its deadline passed or its caller went away")]
pub struct Cancelled;

impl Cancel {
    /// Gives up once `deadline` has passed.
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Gives up once `flag` is set.
    pub fn with_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.flag = Some(flag);
        self
    }

    /// Whether to give up now.
    pub fn is_cancelled(&self) -> bool {
        self.flag
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
            || self.deadline.is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// `Err(Cancelled)` if it is time to give up.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raised_flag_or_a_past_deadline_cancels() {
        assert!(!Cancel::default().is_cancelled());
        let flag = Arc::new(AtomicBool::new(false));
        let cancel = Cancel::default().with_flag(flag.clone());
        assert_eq!(cancel.check(), Ok(()));
        flag.store(true, Ordering::Relaxed);
        assert_eq!(cancel.check(), Err(Cancelled));
        let past = Cancel::default().with_deadline(Instant::now());
        assert!(past.is_cancelled());
        let later = Cancel::default().with_deadline(Instant::now() + std::time::Duration::from_secs(60));
        assert!(!later.is_cancelled());
    }
}
