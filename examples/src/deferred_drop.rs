//! BENIGN: memory freed on another thread, shortly after.
//!
//! **Why a naive check flags it.** Dropping a large structure can take
//! milliseconds, so latency-sensitive code moves the drop off the hot path:
//! it sends the value to a dropper thread. Right after each call the memory is
//! still live; it is freed a moment later, on a thread the caller never sees.
//! A check taken the instant the call returns counts it as retained; leaktest
//! looks at what is never freed again, so it must not.

use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};

/// A thread that drops whatever it is sent. Dropping it joins the thread.
#[derive(Debug)]
pub struct Dropper {
    inbox: Option<Sender<Vec<u8>>>,
    thread: Option<JoinHandle<u64>>,
}

impl Default for Dropper {
    fn default() -> Self {
        Self::start()
    }
}

impl Dropper {
    /// Starts the dropper thread.
    pub fn start() -> Self {
        let (inbox, values) = mpsc::channel::<Vec<u8>>();
        let thread = thread::spawn(move || {
            let mut dropped = 0;
            for value in values {
                drop(value);
                dropped += 1;
            }
            dropped
        });
        Dropper {
            inbox: Some(inbox),
            thread: Some(thread),
        }
    }

    /// Hands `value` to the dropper thread; returns without waiting.
    pub fn defer_drop(&self, value: Vec<u8>) {
        if let Some(inbox) = &self.inbox {
            // If the thread is gone the value is dropped here instead.
            let _ = inbox.send(value);
        }
    }

    /// Stops the thread; returns how many values it dropped.
    pub fn stop(mut self) -> u64 {
        self.shutdown()
    }

    fn shutdown(&mut self) -> u64 {
        drop(self.inbox.take());
        self.thread
            .take()
            .and_then(|thread| thread.join().ok())
            .unwrap_or(0)
    }
}

impl Drop for Dropper {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Builds a 256 KiB response, "sends" it, and defers its drop.
pub fn serve_and_defer_drop(dropper: &Dropper, request: u64) -> usize {
    let response = vec![(request % 251) as u8; 256 * 1024];
    let sent = response.len();
    dropper.defer_drop(response);
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_dropped_by_the_thread() {
        let dropper = Dropper::start();
        for request in 0..3 {
            assert_eq!(serve_and_defer_drop(&dropper, request), 256 * 1024);
        }
        assert_eq!(dropper.stop(), 3);
    }
}
