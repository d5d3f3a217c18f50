//! Names for the handles that leaked: which files, sockets, pipes, threads and
//! child processes appeared during the judged iterations and were still there
//! at the end, grouped and counted (`fds +96: 96 x tcp 127.0.0.1:* LISTEN`).
//!
//! The census counts handles after every iteration without allocating; naming
//! them needs listings that allocate and open `/proc` files, so it is done
//! twice per test, off the measured path:
//!
//! 1. **Baseline**: when the run starts, a [`HandleRoom`] is reserved for
//!    twice the handles open then. After the body of the last warm-up
//!    iteration and before that iteration's sample, the handles are listed
//!    into it ([`HandleRoom::record`], descriptors kept by number and the
//!    identity, device and inode, of what each is open on, from `fstat`: no
//!    link is read, so the baseline costs one cheap system call per
//!    descriptor instead of a `/proc` path lookup): the listing's own memory
//!    is freed and its directory closed before the sample, and what it keeps
//!    was counted from the first sample on, so no series shows it.
//! 2. **After**: once the series is complete (after the settle window and the
//!    last verdict), and only if descriptors, threads or child processes leak,
//!    a [`HandleListing`] is taken and every handle it has that the baseline
//!    had not is named and grouped ([`name_leaked`]). Nothing is sampled after
//!    it.
//!
//! Descriptors are named by the target of their `/proc/self/fd` link: a path;
//! a socket looked up by inode in `/proc/self/net/{tcp,tcp6,udp,udp6,raw,
//! raw6,unix,netlink}` (protocol, local and remote address, state); a pipe
//! and its end (`/proc/self/fdinfo`); an anonymous inode by kind (`eventfd`,
//! `eventpoll`, `timerfd`, ...). Threads by name (`/proc/self/task/<tid>/comm`),
//! child processes by pid and command line (a zombie by its command name).
//! Descriptors of this process's own `/proc` directory are the census's and
//! are not named.
//!
//! tokio tasks are not named: tokio 1.x tells where a task was spawned only
//! through `Builder::on_task_spawn` and `TaskMeta::spawned_at`, or task dumps,
//! all of which need the `tokio_unstable` cfg flag; leaktest does not ask
//! users to build with unstable flags, and does not guess.
//!
//! Naming needs Linux's `/proc`; elsewhere a leaking handle resource says its
//! handles cannot be named ([`HandlesUnnamed::NotLinux`]).
//!
//! The parsers of `/proc` text are pure and unit-tested on captured samples
//! (`fd_target`, `net`, `process`), as are naming (`describe`) and grouping
//! (`group`); only `linux` reads `/proc`.

// Elsewhere than Linux nothing is listed, so the parsers and the naming are
// compiled (and unit-tested) but not called.
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

mod describe;
mod fd_target;
mod group;
#[cfg(target_os = "linux")]
mod linux;
mod net;
mod process;

use crate::census::HandleCounts;
use crate::model::{HandlesUnnamed, LeakedHandles, Resource};
use std::collections::{BTreeMap, BTreeSet};

pub use group::MAX_GROUPS_RECORDED;

/// Room reserved per handle counted when the run starts, and spare room, so
/// that the baseline recorded at the end of the warm-up fits without growing
/// (warm-up may open more: lazy initialisation, pools).
const ROOM_PER_HANDLE: usize = 2;
const SPARE_ROOM: usize = 64;

/// The handles of this process at one moment: each open descriptor with the
/// identity of what it is open on (and, in a listing taken to name them, the
/// target of its `/proc/self/fd` link), the thread ids and the ids of the
/// child processes not yet reaped. Allocates as it lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandleListing {
    /// The process the listing is of (descriptors on its `/proc` directory
    /// are the census's own).
    pid: u32,
    /// Open descriptors, except the listing's own.
    fds: BTreeMap<i32, OpenFd>,
    /// Thread ids.
    threads: BTreeSet<u32>,
    /// Child process ids (zombies included).
    children: BTreeSet<u32>,
}

/// One open descriptor of a [`HandleListing`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct OpenFd {
    /// What it is open on.
    identity: FileIdentity,
    /// The target of its `/proc/self/fd` link, read only for a listing that
    /// names descriptors (see [`Targets`]).
    target: Option<String>,
}

/// What a descriptor is open on: the device and inode `fstat` reports. Two
/// descriptors with the same identity are open on the same file, socket or
/// pipe (every anonymous inode of a kind, an eventfd say, may share one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FileIdentity {
    pub(crate) device: u64,
    pub(crate) inode: u64,
}

/// Whether a listing reads each descriptor's link target: only the listing
/// that names leaked descriptors needs them; the baseline compares
/// identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Targets {
    Read,
    Skip,
}

impl HandleListing {
    /// Lists the handles of this process now, with every descriptor's link
    /// target (for naming). Allocates, and opens (then closes) a `/proc`
    /// directory: never call it between an iteration and its sample.
    pub fn take() -> Result<HandleListing, HandlesUnnamed> {
        Self::take_with(Targets::Read)
    }

    fn take_with(targets: Targets) -> Result<HandleListing, HandlesUnnamed> {
        #[cfg(target_os = "linux")]
        {
            linux::take_listing(targets)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = targets;
            Err(HandlesUnnamed::NotLinux)
        }
    }

    /// Descriptors open now that were not open (or were open on something
    /// else) at the `baseline`, with their link targets; the census's own are
    /// left out.
    fn fds_since<'a>(&'a self, baseline: &HandleBaseline) -> Vec<(i32, &'a str)> {
        let own_proc = format!("/proc/{}/", self.pid);
        self.fds
            .iter()
            .filter(|(&fd, open)| baseline.identity_of(fd) != Some(open.identity))
            .filter_map(|(&fd, open)| Some((fd, open.target.as_deref()?)))
            .filter(|(_, target)| !target.starts_with(&own_proc))
            .collect()
    }

    fn threads_since(&self, baseline: &HandleBaseline) -> Vec<u32> {
        self.threads
            .iter()
            .filter(|tid| baseline.threads.binary_search(tid).is_err())
            .copied()
            .collect()
    }

    fn children_since(&self, baseline: &HandleBaseline) -> Vec<u32> {
        self.children
            .iter()
            .filter(|pid| baseline.children.binary_search(pid).is_err())
            .copied()
            .collect()
    }
}

/// Room for a [`HandleBaseline`], reserved when the run starts so that
/// recording the baseline later leaves no memory behind that was not already
/// counted from the first sample on.
#[derive(Debug, Default)]
pub struct HandleRoom {
    fds: Vec<(i32, FileIdentity)>,
    threads: Vec<u32>,
    children: Vec<u32>,
}

impl HandleRoom {
    /// Room for twice the handles `counts` has, and some.
    pub fn reserve(counts: &HandleCounts) -> HandleRoom {
        let room = |count: Option<i64>| {
            usize::try_from(count.unwrap_or(0))
                .unwrap_or(0)
                .saturating_mul(ROOM_PER_HANDLE)
                .saturating_add(SPARE_ROOM)
        };
        HandleRoom {
            fds: Vec::with_capacity(room(counts.fds)),
            threads: Vec::with_capacity(room(counts.threads)),
            children: Vec::with_capacity(room(counts.children)),
        }
    }

    /// Lists the handles now (descriptors by identity, no link read) and
    /// keeps them in the room. What the listing allocates is freed before
    /// this returns, and the directory it opened is closed; the room grows
    /// only if the process has more handles than it was reserved for.
    pub fn record(self) -> Result<HandleBaseline, HandlesUnnamed> {
        let listing = HandleListing::take_with(Targets::Skip)?;
        Ok(self.fill(&listing))
    }

    fn fill(mut self, listing: &HandleListing) -> HandleBaseline {
        self.fds.clear();
        self.fds
            .extend(listing.fds.iter().map(|(&fd, open)| (fd, open.identity)));
        self.threads.clear();
        self.threads.extend(listing.threads.iter().copied());
        self.children.clear();
        self.children.extend(listing.children.iter().copied());
        // Listed in order already (BTreeMap and BTreeSet): no sorting needed.
        HandleBaseline {
            fds: self.fds,
            threads: self.threads,
            children: self.children,
        }
    }
}

/// The handles open when the judged iterations began: descriptors by number
/// and the identity of what each was open on, thread ids, child ids, each
/// sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleBaseline {
    fds: Vec<(i32, FileIdentity)>,
    threads: Vec<u32>,
    children: Vec<u32>,
}

impl HandleBaseline {
    fn identity_of(&self, fd: i32) -> Option<FileIdentity> {
        self.fds
            .binary_search_by_key(&fd, |&(number, _)| number)
            .ok()
            .map(|index| self.fds[index].1)
    }
}

/// Whether handles of `resource` can be named (descriptors, threads, child
/// processes; not tokio tasks, not heap).
pub fn is_nameable(resource: Resource) -> bool {
    matches!(
        resource,
        Resource::Fds | Resource::Threads | Resource::ChildProcesses
    )
}

/// Names the handles of each nameable resource in `leaking` that appeared
/// since the `baseline` and are still there now. Takes a second listing, and
/// only when there is something to name; call it once the series is complete.
pub fn name_leaked(
    baseline: &Result<HandleBaseline, HandlesUnnamed>,
    leaking: &[Resource],
) -> Vec<LeakedHandles> {
    let leaking: Vec<Resource> = leaking
        .iter()
        .copied()
        .filter(|&resource| is_nameable(resource))
        .collect();
    if leaking.is_empty() {
        return Vec::new();
    }
    let listings = baseline
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|baseline| Ok((baseline, HandleListing::take()?)));
    leaking
        .into_iter()
        .map(|resource| match &listings {
            Ok((baseline, now)) => name_appeared(baseline, now, resource),
            Err(why) => LeakedHandles::unnamed(resource, why.clone()),
        })
        .collect()
}

/// Names and groups the handles of `resource` listed `now` but not in the `baseline`.
fn name_appeared(
    baseline: &HandleBaseline,
    now: &HandleListing,
    resource: Resource,
) -> LeakedHandles {
    #[cfg(target_os = "linux")]
    let named = match resource {
        Resource::Fds => linux::name_fds(&now.fds_since(baseline)),
        Resource::Threads => linux::name_threads(&now.threads_since(baseline)),
        Resource::ChildProcesses => linux::name_children(&now.children_since(baseline)),
        _ => Vec::new(),
    };
    #[cfg(not(target_os = "linux"))]
    let named: Vec<group::NamedHandle> = {
        let _ = (baseline, now);
        Vec::new()
    };
    let grouped = group::group(&named);
    LeakedHandles::named(
        resource,
        grouped.groups,
        grouped.omitted_groups,
        grouped.omitted_handles,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listing whose descriptors are `(number, inode, target)`, all on one
    /// device.
    fn listing(fds: &[(i32, u64, &str)], threads: &[u32], children: &[u32]) -> HandleListing {
        HandleListing {
            pid: 100,
            fds: fds
                .iter()
                .map(|&(fd, inode, target)| {
                    let open = OpenFd {
                        identity: FileIdentity { device: 1, inode },
                        target: Some(target.to_owned()),
                    };
                    (fd, open)
                })
                .collect(),
            threads: threads.iter().copied().collect(),
            children: children.iter().copied().collect(),
        }
    }

    #[test]
    fn only_handles_absent_from_the_baseline_count_as_appeared() {
        let before = listing(
            &[
                (0, 6, "/dev/null"),
                (3, 1, "socket:[1]"),
                (4, 40, "/proc/100/fd"),
            ],
            &[100, 101],
            &[200],
        );
        let baseline = HandleRoom::default().fill(&before);
        let after = listing(
            &[
                (0, 6, "/dev/null"),
                (3, 9, "socket:[9]"),
                (4, 40, "/proc/100/fd"),
                (5, 7, "pipe:[7]"),
                (6, 41, "/proc/100/task"),
                (7, 42, "/proc/1000/status"),
            ],
            &[100, 102],
            &[200, 201],
        );
        assert_eq!(
            after.fds_since(&baseline),
            vec![(3, "socket:[9]"), (5, "pipe:[7]"), (7, "/proc/1000/status")],
            "a number reused for another object is new; the census's /proc/100/ ones are not"
        );
        assert_eq!(after.threads_since(&baseline), vec![102]);
        assert_eq!(after.children_since(&baseline), vec![201]);
    }

    #[test]
    fn the_baseline_fits_in_the_room_reserved_for_it() {
        let counts = HandleCounts {
            fds: Some(3),
            threads: Some(2),
            children: Some(0),
        };
        let room = HandleRoom::reserve(&counts);
        let capacities = (
            room.fds.capacity(),
            room.threads.capacity(),
            room.children.capacity(),
        );
        let now = listing(
            &[
                (0, 6, "/dev/null"),
                (1, 6, "/dev/null"),
                (2, 6, "/dev/null"),
            ],
            &[1, 2],
            &[],
        );
        let baseline = room.fill(&now);
        assert_eq!(
            (
                baseline.fds.capacity(),
                baseline.threads.capacity(),
                baseline.children.capacity()
            ),
            capacities,
            "recording the baseline does not grow its room"
        );
        assert_eq!(
            baseline.identity_of(1),
            Some(FileIdentity {
                device: 1,
                inode: 6
            })
        );
        assert_eq!(baseline.identity_of(9), None);
    }

    #[test]
    fn nothing_is_listed_when_no_nameable_resource_leaks() {
        let before: Result<HandleBaseline, _> = Err(HandlesUnnamed::NotLinux);
        assert!(name_leaked(&before, &[]).is_empty());
        assert!(name_leaked(&before, &[Resource::HeapBytes, Resource::TokioTasks]).is_empty());
    }

    #[test]
    fn a_failed_first_listing_says_why_for_each_leaking_resource() {
        let why = HandlesUnnamed::ProcUnreadable {
            path: "/proc/self/fd".to_owned(),
            error: "permission denied".to_owned(),
        };
        let named = name_leaked(&Err(why.clone()), &[Resource::Fds, Resource::Threads]);
        assert_eq!(
            named,
            vec![
                LeakedHandles::unnamed(Resource::Fds, why.clone()),
                LeakedHandles::unnamed(Resource::Threads, why)
            ]
        );
    }
}
