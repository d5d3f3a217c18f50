//! The census keeps a few `/proc/self` descriptors open between readings. A
//! program that closes them (or reuses their numbers) or spawns children from
//! other threads must still be counted exactly. One test, in a binary of its
//! own: the census counts the whole process.

use leaktest_core::{CountingAlloc, HeapStats};

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc::system();

#[cfg(target_os = "linux")]
#[test]
fn survives_its_descriptors_being_closed_and_counts_children_of_every_thread() {
    use leaktest_core::census::HandleCounts;
    use std::os::fd::AsRawFd;

    let before = HandleCounts::now();
    // A census allocates nothing, so it leaves no trace in the heap series.
    // (Retried: the test harness's own thread may allocate meanwhile.)
    let allocation_free = (0..5).any(|_| {
        let heap_before = HeapStats::now().total_allocations;
        std::hint::black_box(HandleCounts::now());
        HeapStats::now().total_allocations == heap_before
    });
    assert!(allocation_free, "the census allocated");
    assert!(before.fds.is_some() && before.threads.is_some() && before.children.is_some());

    // Close every descriptor the census holds, then take their numbers for
    // files of our own: the census must notice, leave them alone and reopen.
    let pid = std::process::id();
    let kept: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .expect("list fds")
        .flatten()
        .filter_map(|entry| {
            let target = std::fs::read_link(entry.path()).ok()?;
            let target = target.to_string_lossy().into_owned();
            let ours = target == format!("/proc/{pid}/fd")
                || target == format!("/proc/{pid}/task")
                || target == format!("/proc/{pid}/task/{pid}/children");
            ours.then(|| entry.file_name().to_string_lossy().parse().ok())?
        })
        .collect();
    assert!(
        !kept.is_empty(),
        "the census keeps its /proc/self descriptors open"
    );
    for &fd in &kept {
        // SAFETY: closes descriptors of the census, which copes (what this tests).
        unsafe { libc::close(fd) };
    }
    let squatters: Vec<std::fs::File> = kept
        .iter()
        .map(|_| std::fs::File::open("/proc/self/stat").expect("open"))
        .collect();
    assert!(squatters
        .iter()
        .any(|file| kept.contains(&file.as_raw_fd())));
    let with_squatters = HandleCounts::now();
    assert_eq!(
        with_squatters.fds.unwrap() - before.fds.unwrap(),
        squatters.len() as i64,
        "the program's own files count, the census's do not"
    );
    drop(squatters);
    assert_eq!(HandleCounts::now().fds, before.fds);

    // A child spawned by another thread, while several threads run.
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let spawner = std::thread::spawn(move || {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("spawn sleep");
        let _ = stop_rx.recv();
        child.kill().expect("kill");
        child.wait().expect("wait");
    });
    let during = census_until(|counts| counts.children != before.children);
    assert_eq!(during.threads.unwrap() - before.threads.unwrap(), 1);
    assert_eq!(during.children.unwrap() - before.children.unwrap(), 1);
    drop(stop_tx);
    spawner.join().expect("join");
    // A joined thread leaves /proc/self/task a moment after join returns.
    let after = census_until(|counts| *counts == before);
    assert_eq!(after, before);
}

/// Reads the census until `done` holds, for at most 10 s (a loaded machine
/// can be slow to start a process or retire a thread), and returns the last reading.
#[cfg(target_os = "linux")]
fn census_until(
    done: impl Fn(&leaktest_core::census::HandleCounts) -> bool,
) -> leaktest_core::census::HandleCounts {
    use leaktest_core::census::HandleCounts;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut counts = HandleCounts::now();
    while !done(&counts) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
        counts = HandleCounts::now();
    }
    counts
}
