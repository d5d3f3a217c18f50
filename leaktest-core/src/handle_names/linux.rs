//! The edge: reading `/proc` to list and name this process's handles.

use super::describe::{self, SocketInfo, SocketTables};
use super::fd_target::{self, FdTarget};
use super::group::NamedHandle;
use super::net::{self, HostByteOrder, InetTable};
use super::process;
use super::{FileIdentity, HandleListing, OpenFd, Targets};
use crate::model::HandlesUnnamed;
use std::ffi::CStr;
use std::io;
use std::os::fd::RawFd;
use std::ptr::NonNull;

const FD_DIRECTORY: &CStr = c"/proc/self/fd";
const TASK_DIRECTORY: &str = "/proc/self/task";

fn unreadable(path: &str, error: &io::Error) -> HandlesUnnamed {
    HandlesUnnamed::ProcUnreadable {
        path: path.to_owned(),
        error: error.to_string(),
    }
}

/// Lists descriptors (with their link targets when `targets` says so),
/// threads and children. Every descriptor it opens is closed before it
/// returns.
pub(super) fn take_listing(targets: Targets) -> Result<HandleListing, HandlesUnnamed> {
    let fd_path = FD_DIRECTORY.to_string_lossy();
    let fds = {
        let mut directory = Directory::open(FD_DIRECTORY).map_err(|e| unreadable(&fd_path, &e))?;
        let own = directory.fd();
        let names = directory.names().map_err(|e| unreadable(&fd_path, &e))?;
        drop(directory);
        names
            .iter()
            .filter_map(|name| name.parse::<RawFd>().ok())
            .filter(|&fd| fd != own)
            // A descriptor closed since the listing is skipped.
            .filter_map(|fd| {
                let identity = identity_of(fd)?;
                let target = match targets {
                    Targets::Read => Some(
                        std::fs::read_link(format!("{fd_path}/{fd}"))
                            .ok()?
                            .to_string_lossy()
                            .into_owned(),
                    ),
                    Targets::Skip => None,
                };
                Some((fd, OpenFd { identity, target }))
            })
            .collect()
    };
    // A process of one thread has only the calling one: the census's count
    // (one `fstat`) spares listing the directory.
    let threads: std::collections::BTreeSet<u32> = if crate::census::threads() == Some(1) {
        // SAFETY: gettid takes no arguments and cannot fail.
        let calling = unsafe { libc::syscall(libc::SYS_gettid) };
        std::iter::once(u32::try_from(calling).unwrap_or_default()).collect()
    } else {
        std::fs::read_dir(TASK_DIRECTORY)
            .map_err(|e| unreadable(TASK_DIRECTORY, &e))?
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect()
    };
    // A thread that ended since the listing has no children file left;
    // kernels without CONFIG_PROC_CHILDREN have none at all (and the census
    // then does not count children either). A process the kernel says has no
    // child at all has none to list.
    let children = if crate::census::may_have_children() {
        threads
            .iter()
            .filter_map(|tid| {
                std::fs::read_to_string(format!("{TASK_DIRECTORY}/{tid}/children")).ok()
            })
            .flat_map(|text| process::parse_pid_list(&text))
            .collect()
    } else {
        std::collections::BTreeSet::new()
    };
    Ok(HandleListing {
        pid: std::process::id(),
        fds,
        threads,
        children,
    })
}

/// The identity of what descriptor `fd` is open on; `None` once it is closed.
fn identity_of(fd: RawFd) -> Option<FileIdentity> {
    let (device, inode) = crate::protocol::identity(fd).ok()?;
    Some(FileIdentity { device, inode })
}

/// Names descriptors from their link targets, reading the socket tables only
/// when one of them is a socket.
pub(super) fn name_fds(fds: &[(RawFd, &str)]) -> Vec<NamedHandle> {
    let targets: Vec<(RawFd, FdTarget)> = fds
        .iter()
        .map(|&(fd, link)| (fd, FdTarget::parse(link)))
        .collect();
    let any_socket = targets
        .iter()
        .any(|(_, target)| matches!(target, FdTarget::Socket { .. }));
    let sockets = if any_socket {
        socket_tables()
    } else {
        SocketTables::new()
    };
    targets
        .iter()
        .map(|(fd, target)| {
            let pipe_end = match target {
                FdTarget::Pipe { .. } => std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
                    .ok()
                    .and_then(|fdinfo| fd_target::pipe_end_from_fdinfo(&fdinfo)),
                _ => None,
            };
            describe::name_fd(target, &sockets, pipe_end)
        })
        .collect()
}

/// Every socket of this network namespace by inode. A table the kernel does
/// not have (no IPv6, no raw sockets) is skipped.
fn socket_tables() -> SocketTables {
    let read = |name: &str| std::fs::read_to_string(format!("/proc/self/net/{name}")).ok();
    let mut sockets = SocketTables::new();
    for table in InetTable::ALL {
        if let Some(text) = read(table.file_name()) {
            for (inode, socket) in net::parse_inet_table(&text, table, HostByteOrder::NATIVE) {
                sockets.insert(inode, SocketInfo::Inet(socket));
            }
        }
    }
    if let Some(text) = read("unix") {
        for (inode, socket) in net::parse_unix_table(&text) {
            sockets.insert(inode, SocketInfo::Unix(socket));
        }
    }
    if let Some(text) = read("netlink") {
        for (inode, socket) in net::parse_netlink_table(&text) {
            sockets.insert(inode, SocketInfo::Netlink(socket));
        }
    }
    sockets
}

/// Names threads by their `comm`; a thread that ended meanwhile is left out.
pub(super) fn name_threads(tids: &[u32]) -> Vec<NamedHandle> {
    tids.iter()
        .filter_map(|tid| std::fs::read(format!("{TASK_DIRECTORY}/{tid}/comm")).ok())
        .map(|comm| describe::name_thread(&process::thread_name(&comm)))
        .collect()
}

/// Names child processes by pid and command line; one reaped meanwhile is
/// left out.
pub(super) fn name_children(pids: &[u32]) -> Vec<NamedHandle> {
    pids.iter()
        .filter_map(|&pid| {
            let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
            let name_and_state = process::parse_stat_name_and_state(&stat);
            let command_line = std::fs::read(format!("/proc/{pid}/cmdline"))
                .ok()
                .and_then(|cmdline| process::command_line(&cmdline));
            Some(describe::name_child(
                pid,
                command_line.as_deref(),
                name_and_state
                    .as_ref()
                    .map(|(name, state)| (name.as_str(), *state)),
            ))
        })
        .collect()
}

/// A directory stream whose descriptor number is known, so a listing of
/// `/proc/self/fd` can leave out the descriptor it reads through (which
/// `std::fs::read_dir` does not tell). Closed when dropped.
struct Directory(NonNull<libc::DIR>);

impl Directory {
    fn open(path: &CStr) -> io::Result<Directory> {
        // SAFETY: `path` is NUL-terminated; opendir returns a stream or null.
        let stream = unsafe { libc::opendir(path.as_ptr()) };
        NonNull::new(stream)
            .map(Directory)
            .ok_or_else(io::Error::last_os_error)
    }

    fn fd(&self) -> RawFd {
        // SAFETY: the stream is open until drop.
        unsafe { libc::dirfd(self.0.as_ptr()) }
    }

    /// The names of all entries but `.` and `..`.
    fn names(&mut self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        loop {
            // readdir returns null both at the end and on error; only an
            // error sets errno, so it is cleared first.
            // SAFETY: errno is thread-local; writing it has no other effect.
            unsafe { *libc::__errno_location() = 0 };
            // SAFETY: the stream is open until drop.
            let entry = unsafe { libc::readdir(self.0.as_ptr()) };
            if entry.is_null() {
                let error = io::Error::last_os_error();
                return match error.raw_os_error() {
                    Some(0) | None => Ok(names),
                    Some(_) => Err(error),
                };
            }
            // SAFETY: a non-null entry points to a dirent with a
            // NUL-terminated name, valid until the next readdir.
            let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
            let name = name.to_string_lossy();
            if name != "." && name != ".." {
                names.push(name.into_owned());
            }
        }
    }
}

impl Drop for Directory {
    fn drop(&mut self) {
        // SAFETY: the stream was opened by opendir and is closed once.
        unsafe { libc::closedir(self.0.as_ptr()) };
    }
}
