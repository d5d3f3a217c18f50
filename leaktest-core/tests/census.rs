//! The census counts handles of the whole process, so it is tested in its own
//! binary with a single test: nothing else runs beside it.

#[cfg(target_os = "linux")]
#[test]
fn counts_an_opened_file_a_spawned_thread_and_a_child_process() {
    use leaktest_core::census::HandleCounts;
    let before = HandleCounts::now();
    let file = std::fs::File::open("/proc/self/status").expect("open");
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let _ = stop_rx.recv();
    });
    let mut child = std::process::Command::new("sleep")
        .arg("5")
        .spawn()
        .expect("spawn sleep");
    let during = HandleCounts::now();
    assert_eq!(during.fds.unwrap() - before.fds.unwrap(), 1, "one more fd");
    assert_eq!(
        during.threads.unwrap() - before.threads.unwrap(),
        1,
        "one more thread"
    );
    assert_eq!(
        during.children.unwrap() - before.children.unwrap(),
        1,
        "one more child"
    );
    drop(file);
    drop(stop_tx);
    thread.join().expect("join");
    child.kill().expect("kill");
    child.wait().expect("wait");
    let after = HandleCounts::now();
    assert_eq!(after.fds, before.fds);
    assert_eq!(after.children, before.children);
}
