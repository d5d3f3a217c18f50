//! The census tells whether the process has any child with one `waitid` and
//! reads the threads' `children` lists only when it has: children of every
//! thread must count, running, exited and unreaped, or re-parented to another
//! thread when the one that spawned them ended. One test, in a binary of its
//! own: the census counts the whole process.

#[cfg(target_os = "linux")]
#[test]
fn children_of_every_thread_count_until_reaped_with_many_threads_alive() {
    use leaktest_core::census::HandleCounts;
    use std::process::{Child, Command};
    use std::sync::mpsc;

    let before = HandleCounts::now();
    assert_eq!(before.children, Some(0), "no child yet");
    let threads_before = before.threads.expect("threads counted");

    // 63 more threads, as the workers of a multi-thread runtime.
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let stop_rx = std::sync::Arc::new(std::sync::Mutex::new(stop_rx));
    let parked: Vec<_> = (0..63)
        .map(|_| {
            let stop_rx = stop_rx.clone();
            std::thread::spawn(move || {
                let _ = stop_rx.lock().map(|receiver| receiver.recv());
            })
        })
        .collect();
    let many = census_until(|counts| counts.threads == Some(threads_before + 63));
    assert_eq!(many.threads, Some(threads_before + 63));
    assert_eq!(many.children, Some(0), "threads are not children");

    // A child spawned by a thread that then ends: the child stays the
    // process's (re-parented to another of its threads) until reaped.
    let spawner = std::thread::spawn(|| Command::new("sleep").arg("30").spawn().expect("spawn"));
    let mut running: Child = spawner.join().expect("join the spawner");
    let with_running = census_until(|counts| counts.children == Some(1));
    assert_eq!(
        with_running.children,
        Some(1),
        "a running child of an ended thread"
    );

    // A child that exited and is not reaped yet (a zombie) still counts.
    let mut exited = Command::new("true").spawn().expect("spawn true");
    wait_until_exited_unreaped(exited.id());
    assert_eq!(HandleCounts::now().children, Some(2), "running + unreaped");
    assert_eq!(
        HandleCounts::now().children,
        Some(2),
        "counting does not reap it"
    );
    exited.wait().expect("reap true");
    assert_eq!(HandleCounts::now().children, Some(1));

    running.kill().expect("kill sleep");
    running.wait().expect("reap sleep");
    assert_eq!(HandleCounts::now().children, Some(0), "all reaped");

    drop(stop_tx);
    for thread in parked {
        thread.join().expect("join");
    }
}

/// Waits (at most 10 s) until the child `pid` has exited, leaving it unreaped.
#[cfg(target_os = "linux")]
fn wait_until_exited_unreaped(pid: u32) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let mut info = std::mem::MaybeUninit::<libc::siginfo_t>::zeroed();
        // SAFETY: waitid writes one siginfo_t; WNOWAIT leaves the child unreaped.
        let status = unsafe {
            libc::waitid(
                libc::P_PID,
                pid,
                info.as_mut_ptr(),
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        assert_eq!(status, 0, "waitid: {}", std::io::Error::last_os_error());
        // SAFETY: zeroed, then filled in by waitid when the child has exited.
        if unsafe { info.assume_init().si_pid() } == pid as libc::pid_t {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("child {pid} did not exit within 10 s");
}

/// Reads the census until `done` holds, for at most 10 s (a loaded machine
/// can be slow to start a process or a thread), and returns the last reading.
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
