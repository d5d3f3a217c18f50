//! Names for the handles that leaked: which files, sockets, pipes, threads and
//! child processes appeared during the judged iterations and were still there
//! at the end, grouped and counted (`fds +96: 96 x tcp 127.0.0.1:* LISTEN`).
//!
//! The census counts handles after every iteration without allocating; naming
//! them needs listings that allocate and open `/proc` files, so it is done
//! twice per test, off the measured path:
//!
//! 1. **Before**: a [`HandleListing`] is taken after the body of the last
//!    warm-up iteration and before that iteration's sample, so the memory it
//!    keeps is part of the level the judged iterations are compared with, and
//!    the directory it opened is closed before the sample counts descriptors.
//! 2. **After**: once the series is complete (after the settle window and the
//!    last verdict), and only if descriptors, threads or child processes leak,
//!    a second listing is taken and every handle it has that the first had
//!    not is named and grouped ([`name_leaked`]). Nothing is sampled after it.
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

use crate::model::{HandlesUnnamed, LeakedHandles, Resource};
use std::collections::{BTreeMap, BTreeSet};

pub use group::MAX_GROUPS_RECORDED;

/// The handles of this process at one moment: each open descriptor with the
/// target of its `/proc/self/fd` link, the thread ids and the ids of the
/// child processes not yet reaped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandleListing {
    /// The process the listing is of (descriptors on its `/proc` directory
    /// are the census's own).
    pid: u32,
    /// Open descriptors and their link targets, except the listing's own.
    fds: BTreeMap<i32, String>,
    /// Thread ids.
    threads: BTreeSet<u32>,
    /// Child process ids (zombies included).
    children: BTreeSet<u32>,
}

impl HandleListing {
    /// Lists the handles of this process now. Allocates, and opens (then
    /// closes) a `/proc` directory: never call it between an iteration and
    /// its sample.
    pub fn take() -> Result<HandleListing, HandlesUnnamed> {
        #[cfg(target_os = "linux")]
        {
            linux::take_listing()
        }
        #[cfg(not(target_os = "linux"))]
        {
            Err(HandlesUnnamed::NotLinux)
        }
    }

    /// Descriptors open now that were not open (or pointed elsewhere) in
    /// `before`, with their link targets; the census's own are left out.
    fn fds_since<'a>(&'a self, before: &HandleListing) -> Vec<(i32, &'a str)> {
        let own_proc = format!("/proc/{}/", self.pid);
        self.fds
            .iter()
            .filter(|(fd, target)| before.fds.get(fd) != Some(target))
            .filter(|(_, target)| !target.starts_with(&own_proc))
            .map(|(&fd, target)| (fd, target.as_str()))
            .collect()
    }

    fn threads_since(&self, before: &HandleListing) -> Vec<u32> {
        self.threads.difference(&before.threads).copied().collect()
    }

    fn children_since(&self, before: &HandleListing) -> Vec<u32> {
        self.children
            .difference(&before.children)
            .copied()
            .collect()
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
/// since `before` and are still there now. Takes the second listing itself,
/// and only when there is something to name; call it once the series is
/// complete.
pub fn name_leaked(
    before: &Result<HandleListing, HandlesUnnamed>,
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
    let listings = before
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|before| Ok((before, HandleListing::take()?)));
    leaking
        .into_iter()
        .map(|resource| match &listings {
            Ok((before, after)) => name_appeared(before, after, resource),
            Err(why) => LeakedHandles::unnamed(resource, why.clone()),
        })
        .collect()
}

/// Names and groups the handles of `resource` in `after` but not in `before`.
fn name_appeared(
    before: &HandleListing,
    after: &HandleListing,
    resource: Resource,
) -> LeakedHandles {
    #[cfg(target_os = "linux")]
    let named = match resource {
        Resource::Fds => linux::name_fds(&after.fds_since(before)),
        Resource::Threads => linux::name_threads(&after.threads_since(before)),
        Resource::ChildProcesses => linux::name_children(&after.children_since(before)),
        _ => Vec::new(),
    };
    #[cfg(not(target_os = "linux"))]
    let named: Vec<group::NamedHandle> = {
        let _ = (before, after);
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

    fn listing(fds: &[(i32, &str)], threads: &[u32], children: &[u32]) -> HandleListing {
        HandleListing {
            pid: 100,
            fds: fds
                .iter()
                .map(|&(fd, target)| (fd, target.to_owned()))
                .collect(),
            threads: threads.iter().copied().collect(),
            children: children.iter().copied().collect(),
        }
    }

    #[test]
    fn only_handles_absent_before_count_as_appeared() {
        let before = listing(
            &[(0, "/dev/null"), (3, "socket:[1]"), (4, "/proc/100/fd")],
            &[100, 101],
            &[200],
        );
        let after = listing(
            &[
                (0, "/dev/null"),
                (3, "socket:[9]"),
                (4, "/proc/100/fd"),
                (5, "pipe:[7]"),
                (6, "/proc/100/task"),
                (7, "/proc/1000/status"),
            ],
            &[100, 102],
            &[200, 201],
        );
        assert_eq!(
            after.fds_since(&before),
            vec![(3, "socket:[9]"), (5, "pipe:[7]"), (7, "/proc/1000/status")],
            "a number reused for another object is new; the census's /proc/100/ ones are not"
        );
        assert_eq!(after.threads_since(&before), vec![102]);
        assert_eq!(after.children_since(&before), vec![201]);
    }

    #[test]
    fn nothing_is_listed_when_no_nameable_resource_leaks() {
        let before = Err(HandlesUnnamed::NotLinux);
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
