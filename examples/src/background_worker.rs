//! A leak on a background thread: the worker keeps every job it processed.
//!
//! **Incident shape.** The leak is not on the thread that runs the test or
//! serves the request: a worker receives jobs over a channel and appends each
//! one to its own history "for debugging". Per-thread or per-call measurements
//! on the caller's side see nothing; only the process-wide heap grows.
//!
//! **Fix.** The worker keeps what it needs (a count, a checksum) and drops the
//! payload as soon as the job is done.

use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};

/// What the worker reports when it stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerSummary {
    /// Jobs processed.
    pub jobs: u64,
    /// Sum of all payload bytes, wrapping.
    pub checksum: u64,
    /// Payloads still held by the worker when it stopped.
    pub retained_payloads: usize,
}

fn checksum(payload: &[u8]) -> u64 {
    payload.iter().map(|&b| u64::from(b)).sum()
}

/// A worker thread fed over a channel. Dropping it stops and joins the thread.
#[derive(Debug)]
pub struct Worker {
    jobs: Option<Sender<Vec<u8>>>,
    thread: Option<JoinHandle<WorkerSummary>>,
}

impl Worker {
    /// LEAKY: starts a worker that appends every payload to its history.
    pub fn start_keeping_history() -> Self {
        Self::spawn(true)
    }

    /// FIXED: starts a worker that drops each payload when the job is done.
    pub fn start() -> Self {
        Self::spawn(false)
    }

    fn spawn(keep_history: bool) -> Self {
        let (jobs, inbox) = mpsc::channel::<Vec<u8>>();
        let thread = thread::spawn(move || {
            let mut summary = WorkerSummary::default();
            let mut history: Vec<Vec<u8>> = Vec::new();
            for payload in inbox {
                summary.jobs += 1;
                summary.checksum = summary.checksum.wrapping_add(checksum(&payload));
                if keep_history {
                    history.push(payload);
                }
            }
            summary.retained_payloads = history.len();
            summary
        });
        Worker {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    /// Hands a 1 KiB payload to the worker without waiting for it.
    pub fn submit(&self, job: u64) {
        let payload = vec![(job % 251) as u8; 1024];
        if let Some(jobs) = &self.jobs {
            // The worker outlives every sender; a failed send means it panicked,
            // and `stop` reports that.
            let _ = jobs.send(payload);
        }
    }

    /// Stops the worker and returns its summary (`None` if it panicked).
    pub fn stop(mut self) -> Option<WorkerSummary> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Option<WorkerSummary> {
        drop(self.jobs.take());
        self.thread.take().and_then(|thread| thread.join().ok())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_leaky_worker_retains_payloads() {
        let leaky = Worker::start_keeping_history();
        let fixed = Worker::start();
        for job in 0..5 {
            leaky.submit(job);
            fixed.submit(job);
        }
        let leaky = leaky.stop().expect("leaky worker ran");
        let fixed = fixed.stop().expect("fixed worker ran");
        assert_eq!(leaky.retained_payloads, 5);
        assert_eq!(fixed.retained_payloads, 0);
        assert_eq!(leaky.checksum, fixed.checksum);
    }
}
