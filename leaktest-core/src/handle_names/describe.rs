//! Names for single handles, from what `/proc` said about them: the pure
//! step between reading `/proc` and grouping.

use super::fd_target::{FdTarget, PipeEnd};
use super::group::NamedHandle;
use super::net::{InetSocket, InetTable, NetlinkSocket, UnixSocket};
use crate::model::HandleKind;
use std::collections::HashMap;
use std::net::SocketAddr;

/// What the socket tables of `/proc/self/net` say about a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketInfo {
    /// TCP, UDP or raw, over IPv4 or IPv6.
    Inet(InetSocket),
    /// A unix domain socket.
    Unix(UnixSocket),
    /// A netlink socket.
    Netlink(NetlinkSocket),
}

/// Sockets by inode, from every table read.
pub type SocketTables = HashMap<u64, SocketInfo>;

/// The name of a descriptor pointing to `target`. `sockets` is consulted for
/// sockets, `pipe_end` for pipes.
pub fn name_fd(
    target: &FdTarget,
    sockets: &SocketTables,
    pipe_end: Option<PipeEnd>,
) -> NamedHandle {
    match target {
        FdTarget::Path(path) => name_path(path),
        FdTarget::Pipe { .. } => {
            let end = match pipe_end {
                Some(PipeEnd::Read) => "(read end)",
                Some(PipeEnd::Write) => "(write end)",
                None => "(read and write)",
            };
            NamedHandle::new(HandleKind::Pipe).fixed(end)
        }
        FdTarget::AnonInode { kind } => {
            NamedHandle::new(HandleKind::AnonInode).fixed(kind.as_str())
        }
        FdTarget::Socket { inode } => match sockets.get(inode) {
            Some(SocketInfo::Inet(socket)) => name_inet_socket(socket),
            Some(SocketInfo::Unix(socket)) => name_unix_socket(socket),
            Some(SocketInfo::Netlink(socket)) => {
                NamedHandle::new(HandleKind::Netlink).fixed(socket.protocol_name())
            }
            None => NamedHandle::new(HandleKind::Socket)
                .fixed("(not listed in /proc/self/net tcp, udp, raw, unix or netlink)"),
        },
        FdTarget::Other { kind, id } => NamedHandle::new(HandleKind::KernelObject)
            .fixed(format!("{kind}:["))
            .varying(id.as_str())
            .fixed("]"),
    }
}

/// A file by its path, each run of digits in it a varying part: rotated
/// logs, numbered lock files and per-job spools differ only there, and
/// group as `/var/log/app.log.*` (a single file keeps its number).
fn name_path(path: &str) -> NamedHandle {
    let mut handle = NamedHandle::new(HandleKind::File);
    let mut rest = path;
    while !rest.is_empty() {
        let digits = rest.starts_with(|c: char| c.is_ascii_digit());
        let end = rest
            .find(|c: char| c.is_ascii_digit() != digits)
            .unwrap_or(rest.len());
        let (run, after) = rest.split_at(end);
        handle = if digits {
            handle.varying(run)
        } else {
            handle.fixed(run)
        };
        rest = after;
    }
    handle
}

/// `127.0.0.1:40312 LISTEN`, `127.0.0.1:* -> 127.0.0.1:8080 ESTABLISHED`,
/// `[::1]:*`: ports vary, addresses and states do not.
fn name_inet_socket(socket: &InetSocket) -> NamedHandle {
    let kind = match socket.table {
        InetTable::Tcp => HandleKind::Tcp,
        InetTable::Tcp6 => HandleKind::Tcp6,
        InetTable::Udp => HandleKind::Udp,
        InetTable::Udp6 => HandleKind::Udp6,
        InetTable::Raw => HandleKind::Raw,
        InetTable::Raw6 => HandleKind::Raw6,
    };
    let mut handle = with_address(NamedHandle::new(kind), socket.local);
    if socket.is_connected() {
        handle = with_address(handle.fixed(" -> "), socket.remote);
    }
    if let Some(state) = socket.tcp_state() {
        handle = handle.fixed(format!(" {state}"));
    }
    handle
}

fn with_address(handle: NamedHandle, address: SocketAddr) -> NamedHandle {
    let ip = match address {
        SocketAddr::V4(v4) => v4.ip().to_string(),
        SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
    };
    handle
        .fixed(format!("{ip}:"))
        .varying(address.port().to_string())
}

/// `stream /run/app.sock LISTEN`, `stream CONNECTED`, `dgram @name UNCONNECTED`.
fn name_unix_socket(socket: &UnixSocket) -> NamedHandle {
    let mut name = socket.socket_type.label();
    if let Some(path) = &socket.path {
        name.push(' ');
        name.push_str(path);
    }
    name.push(' ');
    name.push_str(socket.state);
    NamedHandle::new(HandleKind::Unix).fixed(name)
}

/// `"watcher"`: a thread by its name, quoted (names may hold spaces).
pub fn name_thread(name: &str) -> NamedHandle {
    NamedHandle::new(HandleKind::Thread).fixed(format!("{name:?}"))
}

/// `pid *: sleep 60`, or `pid 4242: [sleep] exited, not reaped` for a zombie
/// (which has no command line left, only its command name).
pub fn name_child(pid: u32, command_line: Option<&str>, stat: Option<(&str, char)>) -> NamedHandle {
    let handle = NamedHandle::new(HandleKind::ChildProcess)
        .fixed("pid ")
        .varying(pid.to_string());
    match (command_line, stat) {
        (_, Some((name, 'Z'))) => handle.fixed(format!(": [{name}] exited, not reaped")),
        (Some(command_line), _) => handle.fixed(format!(": {command_line}")),
        (None, Some((name, _))) => handle.fixed(format!(": [{name}]")),
        (None, None) => handle.fixed(": (command line unreadable)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handle_names::group::group;
    use crate::handle_names::net::UnixType;

    fn rendered(handle: &NamedHandle) -> String {
        let grouped = group(std::slice::from_ref(handle));
        let only = &grouped.groups[0];
        format!("{} {}", only.kind.label(), only.name)
    }

    fn tables(entries: Vec<(u64, SocketInfo)>) -> SocketTables {
        entries.into_iter().collect()
    }

    fn inet(table: InetTable, local: &str, remote: &str, state: u8) -> SocketInfo {
        SocketInfo::Inet(InetSocket {
            table,
            local: local.parse().expect("local"),
            remote: remote.parse().expect("remote"),
            state,
        })
    }

    #[test]
    fn files_pipes_and_anon_inodes() {
        let none = SocketTables::new();
        let file = FdTarget::Path("/var/log/app.log".to_owned());
        assert_eq!(
            rendered(&name_fd(&file, &none, None)),
            "file /var/log/app.log"
        );
        let numbered = FdTarget::Path("/run/jobs/job-17.lock".to_owned());
        assert_eq!(
            rendered(&name_fd(&numbered, &none, None)),
            "file /run/jobs/job-17.lock"
        );
        let pipe = FdTarget::Pipe { inode: 7 };
        assert_eq!(
            rendered(&name_fd(&pipe, &none, Some(PipeEnd::Read))),
            "pipe (read end)"
        );
        assert_eq!(
            rendered(&name_fd(&pipe, &none, Some(PipeEnd::Write))),
            "pipe (write end)"
        );
        let eventfd = FdTarget::AnonInode {
            kind: "eventfd".to_owned(),
        };
        assert_eq!(
            rendered(&name_fd(&eventfd, &none, None)),
            "anon_inode eventfd"
        );
        let namespace = FdTarget::Other {
            kind: "net".to_owned(),
            id: "4026531840".to_owned(),
        };
        assert_eq!(
            rendered(&name_fd(&namespace, &none, None)),
            "kernel object net:[4026531840]"
        );
    }

    #[test]
    fn files_differing_only_in_their_numbers_group_together() {
        let none = SocketTables::new();
        let mut handles: Vec<NamedHandle> = (1..=3)
            .map(|n| FdTarget::Path(format!("/var/log/app.log.{n}")))
            .chain([
                FdTarget::Path("/var/log/app2.log".to_owned()),
                FdTarget::Path("/var/log/other.log".to_owned()),
            ])
            .map(|target| name_fd(&target, &none, None))
            .collect();
        handles.push(name_fd(
            &FdTarget::Path("/run/jobs/job-17.lock".to_owned()),
            &none,
            None,
        ));
        let grouped = super::super::group::group(&handles);
        let names: Vec<(u64, &str)> = grouped
            .groups
            .iter()
            .map(|group| (group.count, group.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                (3, "/var/log/app.log.*"),
                (1, "/run/jobs/job-17.lock"),
                (1, "/var/log/app2.log"),
                (1, "/var/log/other.log"),
            ]
        );
    }

    #[test]
    fn inet_sockets_by_protocol_addresses_and_state() {
        let sockets = tables(vec![
            (
                1,
                inet(InetTable::Tcp, "127.0.0.1:40312", "0.0.0.0:0", 0x0A),
            ),
            (
                2,
                inet(InetTable::Tcp, "127.0.0.1:50000", "127.0.0.1:8080", 0x01),
            ),
            (3, inet(InetTable::Udp, "0.0.0.0:5353", "0.0.0.0:0", 0x07)),
            (4, inet(InetTable::Tcp6, "[::1]:9000", "[::]:0", 0x0A)),
            (
                5,
                inet(InetTable::Udp6, "[::]:5000", "[2001:db8::1]:53", 0x01),
            ),
        ]);
        let name = |inode| rendered(&name_fd(&FdTarget::Socket { inode }, &sockets, None));
        assert_eq!(name(1), "tcp 127.0.0.1:40312 LISTEN");
        assert_eq!(name(2), "tcp 127.0.0.1:50000 -> 127.0.0.1:8080 ESTABLISHED");
        assert_eq!(
            name(3),
            "udp 0.0.0.0:5353",
            "UDP has no state worth showing"
        );
        assert_eq!(name(4), "tcp6 [::1]:9000 LISTEN");
        assert_eq!(name(5), "udp6 [::]:5000 -> [2001:db8::1]:53");
        assert_eq!(
            name(99),
            "socket (not listed in /proc/self/net tcp, udp, raw, unix or netlink)"
        );
    }

    #[test]
    fn unix_and_netlink_sockets() {
        let sockets = tables(vec![
            (
                1,
                SocketInfo::Unix(UnixSocket {
                    socket_type: UnixType::Stream,
                    state: "LISTEN",
                    path: Some("/run/app.sock".to_owned()),
                }),
            ),
            (
                2,
                SocketInfo::Unix(UnixSocket {
                    socket_type: UnixType::Stream,
                    state: "CONNECTED",
                    path: None,
                }),
            ),
            (3, SocketInfo::Netlink(NetlinkSocket { protocol: 0 })),
        ]);
        let name = |inode| rendered(&name_fd(&FdTarget::Socket { inode }, &sockets, None));
        assert_eq!(name(1), "unix stream /run/app.sock LISTEN");
        assert_eq!(name(2), "unix stream CONNECTED");
        assert_eq!(name(3), "netlink route");
    }

    #[test]
    fn threads_by_quoted_name() {
        assert_eq!(rendered(&name_thread("watcher")), "thread \"watcher\"");
        assert_eq!(rendered(&name_thread("a \"b\"")), "thread \"a \\\"b\\\"\"");
    }

    #[test]
    fn children_by_pid_and_command_line_zombies_by_name() {
        assert_eq!(
            rendered(&name_child(4242, Some("sleep 60"), Some(("sleep", 'S')))),
            "child pid 4242: sleep 60"
        );
        assert_eq!(
            rendered(&name_child(4242, None, Some(("true", 'Z')))),
            "child pid 4242: [true] exited, not reaped"
        );
        assert_eq!(
            rendered(&name_child(4242, None, Some(("kworker", 'S')))),
            "child pid 4242: [kworker]"
        );
        let many: Vec<NamedHandle> = (100..120)
            .map(|pid| name_child(pid, Some("sleep 60"), Some(("sleep", 'S'))))
            .collect();
        let grouped = group(&many);
        assert_eq!(grouped.groups.len(), 1);
        assert_eq!(grouped.groups[0].count, 20);
        assert_eq!(grouped.groups[0].name, "pid *: sleep 60");
    }
}
