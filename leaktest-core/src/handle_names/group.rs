//! Named handles grouped and counted: `96 x tcp 127.0.0.1:* LISTEN`.
//!
//! A handle's name is a list of parts. Fixed parts (an address, a path, a
//! thread name, a state) tell handles apart; varying parts (a port, a process
//! id, an inode number) do not: handles whose fixed parts agree form one
//! group, and a varying part is shown as it is when every handle of the group
//! has the same value there, as `*` otherwise. So listeners on 96 ephemeral
//! ports collapse into `127.0.0.1:* LISTEN`, a single one keeps its port, and
//! 96 files with distinct paths stay 96 groups, unless their paths differ only
//! in their numbers (each run of digits in a path varies): 96 rotated logs
//! collapse into `/var/log/app.log.*`.

use crate::model::{HandleGroup, HandleKind};
use std::collections::BTreeMap;

/// Most groups kept per resource in a record; the rest are counted only.
pub const MAX_GROUPS_RECORDED: usize = 50;

/// One piece of a handle's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// Tells handles apart: handles differing here are never grouped.
    Fixed(String),
    /// Differs between otherwise equal handles: `*` where a group disagrees.
    Varying(String),
}

/// A handle with its kind and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedHandle {
    /// What kind of handle it is.
    pub kind: HandleKind,
    /// Its name, in pieces.
    pub parts: Vec<Part>,
}

impl NamedHandle {
    /// A handle of `kind` with an empty name.
    pub fn new(kind: HandleKind) -> NamedHandle {
        NamedHandle {
            kind,
            parts: Vec::new(),
        }
    }

    /// Appends a part that tells handles apart.
    pub fn fixed(mut self, text: impl Into<String>) -> NamedHandle {
        self.parts.push(Part::Fixed(text.into()));
        self
    }

    /// Appends a part that may differ within a group.
    pub fn varying(mut self, text: impl Into<String>) -> NamedHandle {
        self.parts.push(Part::Varying(text.into()));
        self
    }

    /// The key handles are grouped by: the kind and the fixed parts, with a
    /// placeholder for each varying one.
    fn group_key(&self) -> (HandleKind, Vec<Option<&str>>) {
        let parts = self
            .parts
            .iter()
            .map(|part| match part {
                Part::Fixed(text) => Some(text.as_str()),
                Part::Varying(_) => None,
            })
            .collect();
        (self.kind, parts)
    }
}

/// Groups of handles, largest first, at most [`MAX_GROUPS_RECORDED`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouped {
    /// The groups kept.
    pub groups: Vec<HandleGroup>,
    /// Groups left out.
    pub omitted_groups: u64,
    /// Handles in the groups left out.
    pub omitted_handles: u64,
}

/// Groups `handles` by kind and fixed parts; the largest groups come first,
/// ties in the order of kind and name.
pub fn group(handles: &[NamedHandle]) -> Grouped {
    let mut members: BTreeMap<_, Vec<&NamedHandle>> = BTreeMap::new();
    for handle in handles {
        members.entry(handle.group_key()).or_default().push(handle);
    }
    let mut groups: Vec<HandleGroup> = members
        .into_iter()
        .map(|((kind, _), members)| {
            HandleGroup::new(members.len() as u64, kind, group_name(&members))
        })
        .collect();
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.kind.cmp(&b.kind))
            .then_with(|| a.name.cmp(&b.name))
    });
    let omitted = groups.split_off(groups.len().min(MAX_GROUPS_RECORDED));
    Grouped {
        groups,
        omitted_groups: omitted.len() as u64,
        omitted_handles: omitted.iter().map(|group| group.count).sum(),
    }
}

/// The name of a group: its fixed parts, and each varying part where all
/// members agree, `*` where they do not.
fn group_name(members: &[&NamedHandle]) -> String {
    let Some(first) = members.first() else {
        return String::new();
    };
    first
        .parts
        .iter()
        .enumerate()
        .map(|(index, part)| match part {
            Part::Fixed(text) => text.as_str(),
            Part::Varying(text) => {
                let all_agree = members
                    .iter()
                    .all(|member| member.parts.get(index) == Some(part));
                if all_agree {
                    text.as_str()
                } else {
                    "*"
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener(port: u16) -> NamedHandle {
        NamedHandle::new(HandleKind::Tcp)
            .fixed("127.0.0.1:")
            .varying(port.to_string())
            .fixed(" LISTEN")
    }

    fn names(grouped: &Grouped) -> Vec<(u64, &str, &str)> {
        grouped
            .groups
            .iter()
            .map(|group| (group.count, group.kind.label(), group.name.as_str()))
            .collect()
    }

    #[test]
    fn ephemeral_ports_collapse_into_a_star() {
        let handles: Vec<NamedHandle> = (40000..40096).map(listener).collect();
        let grouped = group(&handles);
        assert_eq!(names(&grouped), vec![(96, "tcp", "127.0.0.1:* LISTEN")]);
        assert_eq!(grouped.omitted_groups, 0);
    }

    #[test]
    fn a_part_every_member_shares_is_shown() {
        let single = group(&[listener(40312)]);
        assert_eq!(names(&single), vec![(1, "tcp", "127.0.0.1:40312 LISTEN")]);
        let clients: Vec<NamedHandle> = (50000..50003)
            .map(|port| {
                NamedHandle::new(HandleKind::Tcp)
                    .fixed("127.0.0.1:")
                    .varying(port.to_string())
                    .fixed(" -> 10.0.0.1:")
                    .varying("5432")
                    .fixed(" ESTABLISHED")
            })
            .collect();
        assert_eq!(
            names(&group(&clients)),
            vec![(3, "tcp", "127.0.0.1:* -> 10.0.0.1:5432 ESTABLISHED")]
        );
    }

    #[test]
    fn distinct_fixed_parts_stay_apart_and_big_groups_come_first() {
        let mut handles = vec![
            NamedHandle::new(HandleKind::File).fixed("/tmp/b"),
            NamedHandle::new(HandleKind::File).fixed("/tmp/a"),
            NamedHandle::new(HandleKind::Thread).fixed("\"watcher\""),
            NamedHandle::new(HandleKind::Thread).fixed("\"watcher\""),
        ];
        handles.push(listener(1));
        handles.push(
            NamedHandle::new(HandleKind::Tcp)
                .fixed("[::1]:")
                .varying("2")
                .fixed(" LISTEN"),
        );
        assert_eq!(
            names(&group(&handles)),
            vec![
                (2, "thread", "\"watcher\""),
                (1, "file", "/tmp/a"),
                (1, "file", "/tmp/b"),
                (1, "tcp", "127.0.0.1:1 LISTEN"),
                (1, "tcp", "[::1]:2 LISTEN"),
            ]
        );
    }

    #[test]
    fn the_same_name_of_another_kind_is_another_group() {
        let handles = [
            NamedHandle::new(HandleKind::Tcp).fixed("x"),
            NamedHandle::new(HandleKind::Udp).fixed("x"),
        ];
        assert_eq!(group(&handles).groups.len(), 2);
    }

    #[test]
    fn groups_beyond_the_cap_are_counted_not_kept() {
        let mut handles: Vec<NamedHandle> = (0..MAX_GROUPS_RECORDED + 3)
            .map(|index| NamedHandle::new(HandleKind::File).fixed(format!("/tmp/{index:03}")))
            .collect();
        handles.push(NamedHandle::new(HandleKind::File).fixed("/tmp/000"));
        let grouped = group(&handles);
        assert_eq!(grouped.groups.len(), MAX_GROUPS_RECORDED);
        assert_eq!(grouped.groups[0].name, "/tmp/000", "the largest first");
        assert_eq!(grouped.groups[0].count, 2);
        assert_eq!(grouped.omitted_groups, 3);
        assert_eq!(grouped.omitted_handles, 3);
    }

    #[test]
    fn nothing_to_group_gives_nothing() {
        assert_eq!(
            group(&[]),
            Grouped {
                groups: Vec::new(),
                omitted_groups: 0,
                omitted_handles: 0
            }
        );
    }
}
