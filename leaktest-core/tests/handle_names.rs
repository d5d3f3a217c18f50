//! Handles of every kind the census counts are named from `/proc`: opened
//! after a first listing, still open at a second. One test in a binary of its
//! own without libtest's harness, since a listing covers the whole process
//! (exact counts must not see libtest's threads).

fn main() {
    #[cfg(target_os = "linux")]
    {
        names_files_sockets_pipes_anon_inodes_threads_and_children();
        println!("test result: ok. 1 passed; 0 failed (names_files_sockets_pipes_anon_inodes_threads_and_children)");
    }
    #[cfg(not(target_os = "linux"))]
    println!("test result: ok. 0 passed; 0 failed (handles are named on Linux only)");
}

#[cfg(target_os = "linux")]
fn names_files_sockets_pipes_anon_inodes_threads_and_children() {
    use leaktest_core::census::HandleCounts;
    use leaktest_core::handle_names::{name_leaked, HandleRoom};
    use leaktest_core::model::{HandleKind, LeakedHandles, Resource};
    use std::net::{TcpListener, TcpStream, UdpSocket};
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::net::{UnixListener, UnixStream};

    let directory = tempfile::tempdir().expect("a temporary directory");
    let before = HandleRoom::reserve(&HandleCounts::now()).record();
    assert!(before.is_ok(), "{before:?}");

    let file_path = directory.path().join("kept.log");
    let file = std::fs::File::create(&file_path).expect("create a file");
    let listeners: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    let server = TcpListener::bind("127.0.0.1:0").expect("bind a server");
    let server_port = server.local_addr().expect("address").port();
    let client = TcpStream::connect(("127.0.0.1", server_port)).expect("connect");
    let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let socket_path = directory.path().join("ctl.sock");
    let unix_listener = UnixListener::bind(&socket_path).expect("bind unix");
    let unix_pair = UnixStream::pair().expect("a unix pair");
    let pipe = std::io::pipe().expect("a pipe");
    // SAFETY: eventfd returns a new descriptor or -1.
    let eventfd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    assert!(eventfd >= 0);
    // SAFETY: just opened, owned by nothing else.
    let eventfd = unsafe { OwnedFd::from_raw_fd(eventfd) };
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("kept-worker".to_owned())
        .spawn(move || {
            let _ = stopped.recv();
        })
        .expect("spawn a thread");
    let mut child = std::process::Command::new("sleep")
        .arg("30.25")
        .spawn()
        .expect("spawn sleep");

    let named = name_leaked(
        &before,
        &[
            Resource::Fds,
            Resource::Threads,
            Resource::ChildProcesses,
            Resource::TokioTasks,
        ],
    );
    let groups = |resource: Resource| -> (u64, Vec<(u64, HandleKind, String)>) {
        let handles: &LeakedHandles = named
            .iter()
            .find(|handles| handles.resource == resource)
            .unwrap_or_else(|| panic!("{resource} named: {named:?}"));
        assert_eq!(handles.unnamed, None);
        let groups = handles
            .groups
            .iter()
            .map(|group| (group.count, group.kind, group.name.clone()))
            .collect();
        (handles.appeared, groups)
    };
    assert_eq!(named.len(), 3, "tokio tasks are not named: {named:?}");

    let (appeared, fds) = groups(Resource::Fds);
    let expect = |count: u64, kind: HandleKind, name: &str| {
        assert!(
            fds.contains(&(count, kind, name.to_owned())),
            "{count} x {} {name} not in {fds:#?}",
            kind.label()
        );
    };
    let server_side = format!("127.0.0.1:{server_port}");
    expect(1, HandleKind::File, &file_path.display().to_string());
    // Listeners on ephemeral ports are one group, the server's among them.
    expect(4, HandleKind::Tcp, "127.0.0.1:* LISTEN");
    expect(
        1,
        HandleKind::Tcp,
        &format!(
            "127.0.0.1:{} -> {server_side} ESTABLISHED",
            client.local_addr().unwrap().port()
        ),
    );
    expect(
        1,
        HandleKind::Udp,
        &format!("127.0.0.1:{}", udp.local_addr().unwrap().port()),
    );
    expect(
        1,
        HandleKind::Unix,
        &format!("stream {} LISTEN", socket_path.display()),
    );
    expect(2, HandleKind::Unix, "stream CONNECTED");
    expect(1, HandleKind::Pipe, "(read end)");
    expect(1, HandleKind::Pipe, "(write end)");
    expect(1, HandleKind::AnonInode, "eventfd");
    // The child's stdio is inherited: spawning it leaves no descriptor here.
    assert_eq!(
        appeared, 13,
        "every descriptor opened, and nothing else: {fds:#?}"
    );

    let (appeared, threads) = groups(Resource::Threads);
    assert_eq!(appeared, 1, "{threads:?}");
    assert_eq!(
        threads,
        vec![(1, HandleKind::Thread, "\"kept-worker\"".to_owned())]
    );

    let (appeared, children) = groups(Resource::ChildProcesses);
    assert_eq!(appeared, 1, "{children:?}");
    assert_eq!(
        children,
        vec![(
            1,
            HandleKind::ChildProcess,
            format!("pid {}: sleep 30.25", child.id())
        )]
    );

    drop(stop);
    thread.join().expect("join");
    child.kill().expect("kill sleep");
    child.wait().expect("reap sleep");
    drop((
        file,
        listeners,
        server,
        client,
        udp,
        unix_listener,
        unix_pair,
        pipe,
        eventfd,
    ));
    let after_closing = name_leaked(
        &before,
        &[Resource::Fds, Resource::Threads, Resource::ChildProcesses],
    );
    for handles in &after_closing {
        assert_eq!(
            handles.appeared, 0,
            "closed handles are not named: {handles:?}"
        );
    }
}
