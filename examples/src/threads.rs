//! A thread left running, blocked on a channel whose sender is kept.
//!
//! **Incident shape.** A config watcher started a background loop on every
//! reload and kept the old loop's handle "for shutdown", which never came: one
//! more idle loop per reload, each holding its stack and whatever it captured.
//! In Rust the loop is a thread blocked on `rx.recv()`; it ends only when every
//! sender is dropped, and a sender parked in a `Vec` keeps it blocked forever.
//!
//! **Fix.** On reload, drop the previous watcher's sender so its `recv()`
//! returns `Err`, then join the thread. At most one watcher runs.

use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};

/// The name of every watcher thread.
pub const WATCHER_THREAD_NAME: &str = "config-watcher";

/// A change the watcher is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigChange {
    /// The key that changed.
    pub key: String,
}

/// Spawns a watcher thread that applies changes until its channel closes, and
/// returns the sender with the thread's handle (which yields changes applied).
fn spawn_watcher() -> (Sender<ConfigChange>, JoinHandle<usize>) {
    let (changes, inbox) = mpsc::channel::<ConfigChange>();
    let watch = move || {
        let mut applied = 0;
        while let Ok(change) = inbox.recv() {
            if !change.key.is_empty() {
                applied += 1;
            }
        }
        applied
    };
    // Named, as threads should be: the name shows in debuggers, `top -H`, and
    // in leaktest's report of the threads that leaked.
    let handle = thread::Builder::new()
        .name(WATCHER_THREAD_NAME.to_owned())
        .spawn(watch)
        .expect("the system could not start a thread");
    (changes, handle)
}

/// LEAKY: every reload starts a new watcher; the old ones' senders are kept
/// "for shutdown" and their threads are never told to stop.
#[derive(Debug, Default)]
pub struct AccumulatingWatchers {
    senders: Vec<Sender<ConfigChange>>,
}

impl AccumulatingWatchers {
    /// No watcher yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a watcher for the new configuration and sends it one change.
    pub fn reload(&mut self, key: &str) {
        let (changes, _detached) = spawn_watcher();
        // A send fails only if the watcher is gone, which it never is here.
        let _ = changes.send(ConfigChange {
            key: key.to_owned(),
        });
        self.senders.push(changes);
    }

    /// Watchers started and still running.
    pub fn running(&self) -> usize {
        self.senders.len()
    }
}

/// FIXED: one watcher at a time; a reload stops and joins the previous one.
#[derive(Debug, Default)]
pub struct Watcher {
    current: Option<(Sender<ConfigChange>, JoinHandle<usize>)>,
}

impl Watcher {
    /// No watcher yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the current watcher (if any), starts a new one, sends it one
    /// change. Returns how many changes the stopped watcher had applied.
    pub fn reload(&mut self, key: &str) -> usize {
        let applied = self.stop();
        let (changes, handle) = spawn_watcher();
        let _ = changes.send(ConfigChange {
            key: key.to_owned(),
        });
        self.current = Some((changes, handle));
        applied
    }

    /// Stops the current watcher and joins it; returns the changes it applied.
    pub fn stop(&mut self) -> usize {
        match self.current.take() {
            Some((changes, handle)) => {
                drop(changes);
                handle.join().unwrap_or(0)
            }
            None => 0,
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reload_stops_the_previous_watcher() {
        let mut watcher = Watcher::new();
        assert_eq!(watcher.reload("a"), 0);
        assert_eq!(watcher.reload("b"), 1);
        assert_eq!(watcher.stop(), 1);
    }

    #[test]
    fn accumulating_watchers_keep_running() {
        let mut watchers = AccumulatingWatchers::new();
        watchers.reload("a");
        watchers.reload("b");
        assert_eq!(watchers.running(), 2);
    }
}
