//! BENIGN: tasks that are spawned and all awaited, and work moved to
//! `spawn_blocking`.
//!
//! **Why a naive check flags it.** Fan-out spawns tasks whose memory is still
//! live (or freed on another worker) when the caller resumes, and the first
//! `spawn_blocking` call starts a blocking-pool thread that tokio keeps alive
//! for reuse. Neither multiplies: every task is awaited, and the idle blocking
//! thread is reused by the next call.

use tokio::task::JoinSet;

/// Tasks spawned per fan-out.
pub const FAN_OUT: u64 = 8;

/// Spawns [`FAN_OUT`] tasks that each sum a slice of `0..n` and awaits them
/// all; returns the total (`None` if a task panicked).
pub async fn fan_out_sum(n: u64) -> Option<u64> {
    let mut tasks = JoinSet::new();
    let chunk = n.div_ceil(FAN_OUT).max(1);
    for part in 0..FAN_OUT {
        let start = (part * chunk).min(n);
        let end = ((part + 1) * chunk).min(n);
        tasks.spawn(async move {
            tokio::task::yield_now().await;
            (start..end).sum::<u64>()
        });
    }
    let mut total = 0;
    while let Some(partial) = tasks.join_next().await {
        total += partial.ok()?;
    }
    Some(total)
}

/// Hashes a 64 KiB buffer on tokio's blocking pool and awaits the result
/// (`None` if the blocking task panicked).
pub async fn checksum_on_blocking_pool(seed: u64) -> Option<u64> {
    let buffer = vec![(seed % 251) as u8; 64 * 1024];
    tokio::task::spawn_blocking(move || {
        buffer
            .iter()
            .fold(0u64, |hash, &b| hash.rotate_left(5) ^ u64::from(b))
    })
    .await
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fan_out_sums_everything() {
        assert_eq!(fan_out_sum(100).await, Some(4950));
        assert_eq!(fan_out_sum(3).await, Some(3));
        assert!(checksum_on_blocking_pool(1).await.is_some());
    }
}
