//! BENIGN: a background flusher whose buffer size changes all the time.
//!
//! **Why a naive check flags it.** A metrics flusher thread, started on first
//! use, rebuilds its report every few hundred microseconds; the report's size
//! depends on what was recorded. Sampled after each request, the heap moves up
//! and down by the report's size, and a sampler in step with the flusher can
//! see a slow climb that is only aliasing. leaktest measures how far the heap
//! moves while no request runs (its settle window) and does not call movement
//! of that size a leak.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Counts a request; the first call starts the flusher thread.
pub fn record_request() {
    static FLUSHER: OnceLock<()> = OnceLock::new();
    FLUSHER.get_or_init(|| {
        std::thread::spawn(flush_forever);
    });
    REQUESTS.fetch_add(1, Ordering::Relaxed);
}

/// Rebuilds the report over and over; its size cycles with the flush count.
fn flush_forever() {
    let mut flushes = 0usize;
    loop {
        flushes += 1;
        let report = render_report(flushes % 7);
        std::thread::sleep(Duration::from_micros(300));
        drop(report);
    }
}

/// A report of `sections` sections of 64 bytes each.
fn render_report(sections: usize) -> String {
    let requests = REQUESTS.load(Ordering::Relaxed);
    let mut report = String::with_capacity(sections * 64 + 1);
    for section in 0..sections {
        let line = format!("section {section}: {requests} requests");
        report.push_str(&line[..line.len().min(63)]);
        report.push('\n');
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_has_one_line_per_section() {
        assert_eq!(render_report(3).lines().count(), 3);
        assert!(render_report(0).is_empty());
    }
}
