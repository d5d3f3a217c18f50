//! The census of a process with a single thread reads the main thread's
//! `children` list, a file it opens the first time children exist and then
//! keeps open. A libtest binary always has a second thread, so this one has
//! its own `main` (`harness = false`) and checks everything on the only
//! thread: a child counts while it runs and while it is unreaped, the kept
//! file is not counted as the program's, and the census copes with the
//! program closing it, and a forked child counts itself.

#[cfg(target_os = "linux")]
fn main() {
    use leaktest_core::census::HandleCounts;
    use std::process::Command;

    let before = HandleCounts::now();
    assert_eq!(before.threads, Some(1), "this check needs a single thread");
    assert_eq!(before.children, Some(0));

    let mut sleeping = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    let with_child = HandleCounts::now();
    assert_eq!(with_child.children, Some(1), "a running child");
    assert_eq!(with_child.threads, Some(1));
    assert_eq!(
        HandleCounts::now().fds,
        before.fds,
        "the children file the census opened is not the program's"
    );

    // Close the census's children file under it: counts stay exact.
    let pid = std::process::id();
    let children_file = format!("/proc/{pid}/task/{pid}/children");
    let kept: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .expect("list fds")
        .flatten()
        .filter(|entry| {
            std::fs::read_link(entry.path())
                .is_ok_and(|target| target.to_string_lossy() == children_file)
        })
        .filter_map(|entry| entry.file_name().to_string_lossy().parse().ok())
        .collect();
    assert_eq!(kept.len(), 1, "the census keeps the children file open");
    // SAFETY: closes the census's descriptor, which it copes with (what this checks).
    unsafe { libc::close(kept[0]) };
    assert_eq!(HandleCounts::now().children, Some(1));
    assert_eq!(HandleCounts::now().fds, before.fds);

    sleeping.kill().expect("kill sleep");
    // Killed but not reaped yet: still a child.
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(HandleCounts::now().children, Some(1), "an unreaped child");
    sleeping.wait().expect("reap sleep");
    assert_eq!(HandleCounts::now().children, Some(0));
    assert_eq!(HandleCounts::now().fds, before.fds);

    counts_its_own_process_after_a_fork(before);
    println!("census_single_thread: ok");
}

/// A forked child that takes a census must count itself, not its parent,
/// whose `/proc` the descriptors kept by the parent's census refer to: the
/// child opens files of its own and must see them, and no child process
/// (the parent has one: this child).
#[cfg(target_os = "linux")]
fn counts_its_own_process_after_a_fork(before: leaktest_core::census::HandleCounts) {
    use leaktest_core::census::HandleCounts;

    // SAFETY: the process has a single thread, so the child may run any code.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        let own_files: Vec<std::fs::File> = (0..3)
            .map(|_| std::fs::File::open("/proc/self/stat").expect("open"))
            .collect();
        let counts = HandleCounts::now();
        let ok = counts.fds == before.fds.map(|fds| fds + own_files.len() as i64)
            && counts.threads == Some(1)
            && counts.children == Some(0);
        if !ok {
            eprintln!("census in the forked child: {counts:?}, parent before: {before:?}");
        }
        // SAFETY: ends the forked child at once, without the parent's exit handlers.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the forked child's census counted the wrong process (status {status})"
    );
    assert_eq!(
        HandleCounts::now(),
        before,
        "the parent's census after the fork"
    );
}

#[cfg(not(target_os = "linux"))]
fn main() {}
