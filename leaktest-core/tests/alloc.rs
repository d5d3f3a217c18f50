//! The counting allocator installed as this binary's global allocator. The
//! counters are process-wide, so everything runs in one test, in sequence, in
//! a binary without libtest's harness (`harness = false`): libtest's own
//! threads allocate lazily at unpredictable moments while a test runs, which
//! would show up in these exact readings. Here only this code allocates.

use leaktest_core::alloc::{peak_live_bytes, reset_peak, PEAK_GRANULARITY_BYTES};
use leaktest_core::{CountingAlloc, HeapStats};
use std::hint::black_box;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

fn live_delta(before: HeapStats) -> (i64, i64) {
    let now = HeapStats::now();
    (
        now.live_bytes - before.live_bytes,
        now.live_blocks - before.live_blocks,
    )
}

fn main() {
    counts_every_thread_and_nets_cross_thread_frees_to_zero();
    println!("test result: ok. 1 passed; 0 failed (counts_every_thread_and_nets_cross_thread_frees_to_zero)");
}

fn counts_every_thread_and_nets_cross_thread_frees_to_zero() {
    assert!(leaktest_core::alloc::is_installed());

    // One block kept is counted with its exact size.
    let before = HeapStats::now();
    let kept = black_box(vec![0u8; 1000]);
    assert_eq!(live_delta(before), (1000, 1));
    drop(kept);
    assert_eq!(live_delta(before), (0, 0));

    // Realloc: the block count stays, bytes follow the new size.
    let before = HeapStats::now();
    let mut grown: Vec<u8> = Vec::with_capacity(16);
    grown.reserve_exact(4096);
    black_box(&grown);
    assert_eq!(live_delta(before), (4096, 1));
    grown.shrink_to(100);
    assert_eq!(live_delta(before).1, 1);
    assert!(live_delta(before).0 >= 100 && live_delta(before).0 < 4096);
    drop(grown);
    assert_eq!(live_delta(before), (0, 0));

    // Allocated on other threads, freed here: nets to zero.
    let before = HeapStats::now();
    let (sender, receiver) = std::sync::mpsc::channel::<Vec<u8>>();
    let producers: Vec<_> = (0..4)
        .map(|_| {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    sender.send(vec![1u8; 256]).expect("send");
                }
            })
        })
        .collect();
    drop(sender);
    for producer in producers {
        producer.join().expect("join");
    }
    let received: Vec<Vec<u8>> = receiver.iter().collect();
    assert_eq!(received.len(), 400);
    drop(received);
    drop(receiver);
    let (bytes, blocks) = live_delta(before);
    assert_eq!(
        (bytes, blocks),
        (0, 0),
        "cross-thread frees must net to zero"
    );

    // Allocated here, freed on another thread: nets to zero too.
    let before = HeapStats::now();
    let payload = vec![7u8; 8192];
    std::thread::spawn(move || drop(payload))
        .join()
        .expect("join");
    assert_eq!(live_delta(before), (0, 0));

    // More threads than slots, one after another and at once: still exact.
    let before = HeapStats::now();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(300));
    let threads: Vec<_> = (0..300)
        .map(|i| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let block = vec![0u8; 64 + i];
                barrier.wait();
                block
            })
        })
        .collect();
    let blocks: Vec<Vec<u8>> = threads
        .into_iter()
        .map(|t| t.join().expect("join"))
        .collect();
    let expected: i64 = (0..300).map(|i| 64 + i as i64).sum();
    let (bytes, _) = live_delta(before);
    assert!(bytes >= expected, "{bytes} < {expected}");
    drop(blocks);
    drop(barrier);
    assert_eq!(live_delta(before), (0, 0));

    // Peak: within the flush granularity of the true peak.
    reset_peak();
    let base = HeapStats::now().live_bytes;
    let big = black_box(vec![0u8; 4 << 20]);
    drop(big);
    let peak = peak_live_bytes() as i64;
    assert!(
        peak >= base + (4 << 20) - PEAK_GRANULARITY_BYTES,
        "peak {peak}, base {base}"
    );
    assert!(
        peak <= base + (4 << 20) + PEAK_GRANULARITY_BYTES,
        "peak {peak}, base {base}"
    );

    // A thread's net that reaches the granularity is published: the big block
    // above and its free left nothing unpublished, so a block of exactly the
    // granularity shows in the peak in full.
    reset_peak();
    let base = HeapStats::now().live_bytes;
    let block = black_box(vec![0u8; PEAK_GRANULARITY_BYTES as usize]);
    drop(block);
    let peak = peak_live_bytes() as i64;
    assert!(
        peak >= base + PEAK_GRANULARITY_BYTES,
        "peak {peak}, base {base}"
    );
}
