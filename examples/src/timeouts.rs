//! `tokio::time::timeout` around a spawned task: orphaned vs. aborted, and a
//! timeout that completes.
//!
//! **Incident shape.** Fire-and-forget again, hidden behind a timeout:
//! `timeout(limit, tokio::spawn(query))` gives up waiting after `limit`, drops
//! the `JoinHandle`, and the query task keeps running (here: never finishes).
//! The caller saw a clean timeout error; the process kept one more task per
//! timed-out request.
//!
//! **Fix.** Keep the handle outside the timeout and abort it when the timeout
//! fires. When the work completes in time, nothing is left either way: a
//! `timeout` that completes removes its timer entry (benign).

use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;

/// The query did not answer within the limit (or its task failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("query timed out")
    }
}

impl std::error::Error for TimedOut {}

/// A query that finishes after `delay` with an answer (or, for
/// [`Duration::MAX`], never).
pub async fn query(delay: Duration) -> u64 {
    if delay == Duration::MAX {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(delay).await;
    42
}

/// LEAKY: times out waiting on the spawned query and drops its handle; the
/// query task stays alive. `Err(TimedOut)` means it timed out.
pub async fn query_with_timeout_orphaning(
    delay: Duration,
    limit: Duration,
) -> Result<u64, TimedOut> {
    match tokio::time::timeout(limit, tokio::spawn(query(delay))).await {
        Ok(Ok(answer)) => Ok(answer),
        _ => Err(TimedOut),
    }
}

/// FIXED: on timeout, aborts the query task and waits until it is gone.
/// `Err(TimedOut)` means it timed out.
pub async fn query_with_timeout(delay: Duration, limit: Duration) -> Result<u64, TimedOut> {
    let mut task: JoinHandle<u64> = tokio::spawn(query(delay));
    match tokio::time::timeout(limit, &mut task).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(_panicked_or_cancelled)) => Err(TimedOut),
        Err(_elapsed) => {
            task.abort();
            let _ = task.await;
            Err(TimedOut)
        }
    }
}

/// BENIGN: a timeout around an inline future that completes in time.
pub async fn within<F: Future>(limit: Duration, work: F) -> Option<F::Output> {
    tokio::time::timeout(limit, work).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn timeouts_report_the_same_outcome() {
        let forever = Duration::MAX;
        let limit = Duration::from_millis(1);
        assert_eq!(
            query_with_timeout_orphaning(forever, limit).await,
            Err(TimedOut)
        );
        assert_eq!(query_with_timeout(forever, limit).await, Err(TimedOut));
        assert_eq!(
            query_with_timeout(Duration::ZERO, Duration::from_secs(5)).await,
            Ok(42)
        );
        assert_eq!(
            within(Duration::from_secs(5), query(Duration::ZERO)).await,
            Some(42)
        );
    }
}
