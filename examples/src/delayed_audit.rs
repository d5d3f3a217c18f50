//! BENIGN: fire-and-forget tasks that finish a moment later.
//!
//! **Why a naive check flags it.** A request handler hands its audit record to
//! a spawned task that waits for a short batching delay before writing it. When
//! the handler returns, the task and its record are still alive, so every
//! request seems to leave one task and a few blocks behind. They all finish
//! within the delay: leaktest's settle window waits for counters that are still
//! above where the run started, and sees them come back down.

use std::time::Duration;

/// How long an audit record waits before it is written.
pub const BATCHING_DELAY: Duration = Duration::from_millis(50);

/// Handles a request and spawns the write of its audit record, without
/// waiting for it; returns the response length.
pub fn handle_with_deferred_audit(request: &str) -> usize {
    let record = format!("audit: handled {request}");
    tokio::spawn(async move {
        tokio::time::sleep(BATCHING_DELAY).await;
        std::hint::black_box(record);
    });
    request.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On tokio's paused clock: the audit is still pending when the response
    /// is ready, and written once the batching delay has passed, whatever the
    /// machine's speed.
    #[tokio::test(start_paused = true)]
    async fn the_response_does_not_wait_for_the_audit() {
        let metrics = tokio::runtime::Handle::current().metrics();
        assert_eq!(handle_with_deferred_audit("GET /"), 5);
        assert_eq!(metrics.num_alive_tasks(), 1, "the audit is pending");
        tokio::time::sleep(BATCHING_DELAY * 2).await;
        assert_eq!(metrics.num_alive_tasks(), 0, "the audit is written");
    }
}
