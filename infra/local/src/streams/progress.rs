//! Activity of the stream pollers, so a caller can wait until they are idle.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Activity of every poller of one stream: a count of polls that moved a position, and when
/// each consumer last started a poll that found nothing new.
#[derive(Debug)]
pub struct Progress {
    state: Mutex<State>,
    wake: Notify,
}

#[derive(Debug)]
struct State {
    activity: u64,
    idle_poll_started: HashMap<&'static str, Option<Instant>>,
}

impl Progress {
    /// Creates the tracker for the consumers named `consumers`.
    pub fn new(consumers: &[&'static str]) -> Self {
        let idle_poll_started = consumers.iter().map(|name| (*name, None)).collect();
        Self { state: Mutex::new(State { activity: 0, idle_poll_started }), wake: Notify::new() }
    }

    /// Counts a poll that delivered, skipped or dead-lettered records, or failed a batch.
    pub(super) fn record_activity(&self) {
        self.state.lock().expect("progress lock").activity += 1;
    }

    /// Notes that `consumer` started a poll at `started` and it found no new record.
    pub(super) fn record_idle(&self, consumer: &'static str, started: Instant) {
        let mut state = self.state.lock().expect("progress lock");
        state.idle_poll_started.insert(consumer, Some(started));
    }

    /// Returns a future that completes at the next [`Progress::wake`].
    pub(super) fn woken(&self) -> tokio::sync::futures::Notified<'_> {
        self.wake.notified()
    }

    /// Makes every idle poller poll now instead of at the end of its idle wait.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// Waits until every consumer has delivered every record written before the call,
    /// including records that the consumers wrote themselves while it waited.
    ///
    /// A round starts at time `t` and ends when every consumer has started an empty poll
    /// after `t`. A record written before `t` was then delivered, and if no poll moved a
    /// position during the round, no consumer wrote a record the others have not seen.
    /// Otherwise another round follows. Fails after `timeout`.
    pub async fn settle(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let round_start = Instant::now();
            let activity_before = self.state.lock().expect("progress lock").activity;
            for check in 0u64.. {
                // A poller that was mid-poll at a wake missed it, so wake them again every
                // 50 ms rather than leave it to finish its idle wait.
                if check % 5 == 0 {
                    self.wake();
                }
                if self.all_idle_since(round_start) {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(format!("the stream pollers did not become idle within {timeout:?}"));
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if self.state.lock().expect("progress lock").activity == activity_before {
                return Ok(());
            }
        }
    }

    fn all_idle_since(&self, since: Instant) -> bool {
        let state = self.state.lock().expect("progress lock");
        state.idle_poll_started.values().all(|started| started.is_some_and(|started| started >= since))
    }
}
