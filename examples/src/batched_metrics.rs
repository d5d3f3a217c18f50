//! Metrics buffered for a flusher thread that sends them once a second.
//!
//! **Incident shape.** A statsd-style client appends every sample to a
//! shared buffer; a flusher thread wakes up once a second, sends the batch
//! and empties the buffer. Between flushes the buffer grows by one sample
//! per call, exactly like a leak, and a fast test body makes thousands of
//! calls before the first flush: only a check that watches the process for
//! longer than the flush period sees the memory come back. The leaky twin is
//! the bug that shipped: the flusher sends the batch but never clears it, so
//! every sample stays, and is sent again every second.
//!
//! **Fix.** The flusher takes the batch out of the buffer (`mem::take`)
//! before sending it.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How often the flusher sends the buffered samples.
pub const FLUSH_PERIOD: Duration = Duration::from_secs(1);

/// One buffered sample.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The metric's name.
    pub name: &'static str,
    /// Its value.
    pub value: f64,
}

type Buffer = Arc<Mutex<Vec<Sample>>>;

/// A metrics client whose samples a flusher thread sends every
/// [`FLUSH_PERIOD`]. Dropping it stops and joins the flusher.
#[derive(Debug)]
pub struct MetricsBatcher {
    buffer: Buffer,
    stop: Option<Sender<()>>,
    flusher: Option<JoinHandle<()>>,
}

impl MetricsBatcher {
    /// FIXED: a flusher that empties the buffer when it sends it, every
    /// [`FLUSH_PERIOD`].
    pub fn start() -> Self {
        Self::start_flushing_every(FLUSH_PERIOD)
    }

    /// FIXED, with a flush every `period`.
    pub fn start_flushing_every(period: Duration) -> Self {
        Self::with_flush(period, |buffer| std::mem::take(&mut *lock(buffer)))
    }

    /// LEAKY: a flusher that sends a copy of the buffer and never clears it.
    pub fn start_never_draining() -> Self {
        Self::with_flush(FLUSH_PERIOD, |buffer| lock(buffer).clone())
    }

    fn with_flush(period: Duration, take_batch: fn(&Buffer) -> Vec<Sample>) -> Self {
        let buffer: Buffer = Arc::default();
        let (stop, stopped) = mpsc::channel::<()>();
        let flushed = Arc::clone(&buffer);
        let flusher = thread::spawn(move || loop {
            match stopped.recv_timeout(period) {
                Err(RecvTimeoutError::Timeout) => send(take_batch(&flushed)),
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
        });
        MetricsBatcher {
            buffer,
            stop: Some(stop),
            flusher: Some(flusher),
        }
    }

    /// Buffers one sample for the next flush.
    pub fn emit(&self, name: &'static str, value: f64) {
        lock(&self.buffer).push(Sample { name, value });
    }

    /// Samples waiting for the next flush.
    pub fn pending(&self) -> usize {
        lock(&self.buffer).len()
    }
}

impl Drop for MetricsBatcher {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(flusher) = self.flusher.take() {
            // A flusher that panicked has nothing left to clean up.
            let _ = flusher.join();
        }
    }
}

fn lock(buffer: &Buffer) -> std::sync::MutexGuard<'_, Vec<Sample>> {
    buffer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Stands for the network write: formats the batch as statsd lines.
fn send(batch: Vec<Sample>) {
    let payload: usize = batch
        .iter()
        .map(|sample| format!("{}:{}|ms\n", sample.name, sample.value).len())
        .sum();
    std::hint::black_box(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_wait_in_the_buffer_until_a_flush() {
        let batcher = MetricsBatcher::start();
        batcher.emit("db.query.ms", 1.5);
        assert_eq!(batcher.pending(), 1);
        let leaky = MetricsBatcher::start_never_draining();
        leaky.emit("db.query.ms", 1.5);
        assert_eq!(leaky.pending(), 1);
    }
}
