//! An interval task that is never stopped.
//!
//! **Incident shape.** A websocket server's constructor started a 60-second
//! cleanup `setInterval` without keeping its handle, so it could never be
//! cleared; every server instance added one more timer that ran for the life
//! of the process. In tokio: `tokio::spawn` a loop over
//! `tokio::time::interval` and drop the `JoinHandle`. Dropping a `JoinHandle`
//! detaches the task, it does not stop it.
//!
//! **Fix.** Keep the handle and abort the task when its owner stops (here in
//! [`Heartbeat::stop`], and in `Drop` as a backstop).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the heartbeat ticks.
pub const HEARTBEAT_PERIOD: Duration = Duration::from_millis(50);

fn spawn_ticker(ticks: Arc<AtomicU64>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(HEARTBEAT_PERIOD);
        loop {
            interval.tick().await;
            ticks.fetch_add(1, Ordering::Relaxed);
        }
    })
}

/// LEAKY: starts a heartbeat for a session and drops its handle. The task
/// ticks forever. Returns the tick counter, the only thing left to observe it.
pub fn start_detached_heartbeat() -> Arc<AtomicU64> {
    let ticks = Arc::new(AtomicU64::new(0));
    let _detached = spawn_ticker(Arc::clone(&ticks));
    ticks
}

/// FIXED: a heartbeat that owns its task and stops it.
#[derive(Debug)]
pub struct Heartbeat {
    ticks: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Heartbeat {
    /// Starts ticking every [`HEARTBEAT_PERIOD`] (must be called in a runtime).
    pub fn start() -> Self {
        let ticks = Arc::new(AtomicU64::new(0));
        let task = spawn_ticker(Arc::clone(&ticks));
        Heartbeat { ticks, task }
    }

    /// Ticks so far.
    pub fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }

    /// Aborts the task and waits until it is gone; returns the ticks seen.
    pub async fn stop(mut self) -> u64 {
        self.task.abort();
        // The task never finishes on its own; the only outcome is "cancelled".
        let _ = (&mut self.task).await;
        self.ticks()
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// LEAKY: one session: start a heartbeat, let it tick once, end the session
/// without stopping it.
pub async fn session_with_detached_heartbeat() -> u64 {
    let ticks = start_detached_heartbeat();
    tokio::task::yield_now().await;
    ticks.load(Ordering::Relaxed)
}

/// FIXED: one session: start a heartbeat, let it tick once, stop it.
pub async fn session_with_heartbeat() -> u64 {
    let heartbeat = Heartbeat::start();
    tokio::task::yield_now().await;
    heartbeat.stop().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On tokio's paused clock, so the number of ticks in three periods does
    /// not depend on the machine's speed.
    #[tokio::test(start_paused = true)]
    async fn a_stopped_heartbeat_stops_ticking_and_a_detached_one_does_not() {
        let heartbeat = Heartbeat::start();
        let ticks = Arc::clone(&heartbeat.ticks);
        let seen = heartbeat.stop().await;
        let detached = start_detached_heartbeat();
        tokio::time::sleep(HEARTBEAT_PERIOD * 3).await;
        assert_eq!(ticks.load(Ordering::Relaxed), seen);
        assert!(detached.load(Ordering::Relaxed) >= 2);
    }
}
