//! Transfer progress: bytes done out of a total, reported to a callback as they move.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Where a transfer reports its progress: a callback called with `(bytes done, total)`.
///
/// The bytes done only grow (a retried part is not counted twice) and end at the total when
/// the transfer succeeds. The callback runs on the transfer's tasks: keep it quick.
#[derive(Clone)]
pub struct Progress {
    callback: Arc<dyn Fn(u64, u64) + Send + Sync>,
}

impl Progress {
    /// Reports to `callback(done, total)`.
    pub fn new(callback: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        Progress {
            callback: Arc::new(callback),
        }
    }

    /// Reports into a watch channel whose receiver always holds the latest `(done, total)`.
    pub fn channel() -> (Self, tokio::sync::watch::Receiver<(u64, u64)>) {
        let (tx, rx) = tokio::sync::watch::channel((0, 0));
        (
            Progress::new(move |done, total| {
                let _ = tx.send((done, total));
            }),
            rx,
        )
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// The running count of one transfer.
pub(crate) struct Tracker {
    done: Mutex<u64>,
    total: u64,
    report: Option<Progress>,
}

impl Tracker {
    pub(crate) fn new(total: u64, report: Option<Progress>) -> Arc<Self> {
        let tracker = Arc::new(Tracker {
            done: Mutex::new(0),
            total,
            report,
        });
        tracker.add(0);
        tracker
    }

    /// Counts `n` more bytes. The report is made under the lock so that concurrent parts
    /// never report out of order.
    fn add(&self, n: u64) {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        *done = done.saturating_add(n).min(self.total);
        if let Some(p) = &self.report {
            (p.callback)(*done, self.total);
        }
    }

    /// A counter for one part (or range) of the transfer.
    pub(crate) fn unit(self: &Arc<Self>) -> Unit {
        Unit {
            tracker: self.clone(),
            counted: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// One part's progress: counts up to the furthest offset any attempt reached, so a retry
/// re-sending the first bytes adds nothing.
#[derive(Clone)]
pub(crate) struct Unit {
    tracker: Arc<Tracker>,
    counted: Arc<AtomicU64>,
}

impl Unit {
    /// The attempt has reached `offset` bytes into the part.
    pub(crate) fn reached(&self, offset: u64) {
        let before = self.counted.fetch_max(offset, Ordering::SeqCst);
        if offset > before {
            self.tracker.add(offset - before);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retried_bytes_are_not_counted_twice() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let tracker = Tracker::new(
            10,
            Some(Progress::new(move |d, t| s.lock().unwrap().push((d, t)))),
        );
        let a = tracker.unit();
        let b = tracker.unit();
        a.reached(3);
        a.reached(1); // a retry starting over
        a.reached(4);
        b.reached(6);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen, [(0, 10), (3, 10), (4, 10), (10, 10)]);
    }
}
