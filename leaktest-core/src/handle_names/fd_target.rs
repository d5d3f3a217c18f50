//! What a file descriptor points to, from the target of its `/proc/self/fd/N`
//! link.
//!
//! The kernel writes one of four shapes there: an absolute path (a file, a
//! directory, a device, a FIFO; ` (deleted)` appended when it was unlinked),
//! `socket:[INODE]`, `pipe:[INODE]`, `anon_inode:[KIND]` (or `anon_inode:KIND`
//! for a few kinds such as `inotify`), and `TYPE:[INODE]` for other kernel
//! objects (namespaces, `pidfd` on recent kernels).

/// The object behind a descriptor, as its `/proc/self/fd` link names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FdTarget {
    /// A path in the file system (files, directories, devices, FIFOs).
    Path(String),
    /// A socket; its protocol and addresses are in `/proc/self/net/*` under this inode.
    Socket {
        /// The socket's inode number.
        inode: u64,
    },
    /// One end of a pipe.
    Pipe {
        /// The pipe's inode number (both ends share it).
        inode: u64,
    },
    /// A file without a path of its own: `eventfd`, `eventpoll`, `timerfd`,
    /// `signalfd`, `inotify`, `io_uring`, ...
    AnonInode {
        /// The kind the kernel names.
        kind: String,
    },
    /// Another kernel object named `TYPE:[ID]` (a namespace, a `pidfd`, ...).
    Other {
        /// The object type before the colon.
        kind: String,
        /// The identifier in brackets.
        id: String,
    },
}

impl FdTarget {
    /// Classifies a link target as read with `readlink`.
    pub fn parse(link: &str) -> FdTarget {
        if link.starts_with('/') {
            return FdTarget::Path(link.to_owned());
        }
        if let Some(kind) = link.strip_prefix("anon_inode:") {
            let kind = bracketed(kind).unwrap_or(kind);
            return FdTarget::AnonInode {
                kind: kind.to_owned(),
            };
        }
        let Some((kind, rest)) = link.split_once(':') else {
            return FdTarget::Path(link.to_owned());
        };
        let Some(id) = bracketed(rest) else {
            return FdTarget::Path(link.to_owned());
        };
        match (kind, id.parse::<u64>()) {
            ("socket", Ok(inode)) => FdTarget::Socket { inode },
            ("pipe", Ok(inode)) => FdTarget::Pipe { inode },
            _ => FdTarget::Other {
                kind: kind.to_owned(),
                id: id.to_owned(),
            },
        }
    }
}

/// The text between `[` and `]` when `text` is exactly `[...]`.
fn bracketed(text: &str) -> Option<&str> {
    text.strip_prefix('[')?.strip_suffix(']')
}

/// Which end of a pipe a descriptor is, from the `flags:` line of its
/// `/proc/self/fdinfo/N` (octal open flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipeEnd {
    /// Opened for reading.
    Read,
    /// Opened for writing.
    Write,
}

/// The pipe end of a descriptor from its fdinfo text; `None` when the flags
/// are missing or say read-write (a FIFO opened `O_RDWR`).
pub fn pipe_end_from_fdinfo(fdinfo: &str) -> Option<PipeEnd> {
    let flags = fdinfo
        .lines()
        .find_map(|line| line.strip_prefix("flags:"))?
        .trim();
    let flags = u32::from_str_radix(flags, 8).ok()?;
    // O_ACCMODE is 3 on every Linux architecture: 0 read, 1 write, 2 both.
    match flags & 3 {
        0 => Some(PipeEnd::Read),
        1 => Some(PipeEnd::Write),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_paths_even_when_deleted() {
        assert_eq!(
            FdTarget::parse("/tmp/.tmpAbC/data.bin"),
            FdTarget::Path("/tmp/.tmpAbC/data.bin".to_owned())
        );
        assert_eq!(
            FdTarget::parse("/tmp/gone (deleted)"),
            FdTarget::Path("/tmp/gone (deleted)".to_owned())
        );
        assert_eq!(
            FdTarget::parse("/memfd:cache (deleted)"),
            FdTarget::Path("/memfd:cache (deleted)".to_owned())
        );
    }

    #[test]
    fn sockets_and_pipes_carry_their_inode() {
        assert_eq!(
            FdTarget::parse("socket:[30815]"),
            FdTarget::Socket { inode: 30815 }
        );
        assert_eq!(
            FdTarget::parse("pipe:[30829]"),
            FdTarget::Pipe { inode: 30829 }
        );
    }

    #[test]
    fn anon_inodes_name_their_kind_with_or_without_brackets() {
        for (link, kind) in [
            ("anon_inode:[eventfd]", "eventfd"),
            ("anon_inode:[eventpoll]", "eventpoll"),
            ("anon_inode:[timerfd]", "timerfd"),
            ("anon_inode:inotify", "inotify"),
            ("anon_inode:[io_uring]", "io_uring"),
        ] {
            assert_eq!(
                FdTarget::parse(link),
                FdTarget::AnonInode {
                    kind: kind.to_owned()
                },
                "{link}"
            );
        }
    }

    #[test]
    fn other_kernel_objects_keep_type_and_id() {
        assert_eq!(
            FdTarget::parse("net:[4026531840]"),
            FdTarget::Other {
                kind: "net".to_owned(),
                id: "4026531840".to_owned()
            }
        );
        assert_eq!(
            FdTarget::parse("pidfd:[1234]"),
            FdTarget::Other {
                kind: "pidfd".to_owned(),
                id: "1234".to_owned()
            }
        );
        assert_eq!(
            FdTarget::parse("socket:[not-a-number]"),
            FdTarget::Other {
                kind: "socket".to_owned(),
                id: "not-a-number".to_owned()
            }
        );
    }

    #[test]
    fn a_relative_oddity_is_kept_as_written() {
        assert_eq!(FdTarget::parse("weird"), FdTarget::Path("weird".to_owned()));
        assert_eq!(FdTarget::parse("x:y"), FdTarget::Path("x:y".to_owned()));
    }

    #[test]
    fn pipe_ends_come_from_the_access_mode() {
        let read = "pos:\t0\nflags:\t0100000\nmnt_id:\t16\nino:\t30829\n";
        let write = "pos:\t0\nflags:\t02000001\nmnt_id:\t16\nino:\t30829\n";
        let both = "pos:\t0\nflags:\t02000002\n";
        assert_eq!(pipe_end_from_fdinfo(read), Some(PipeEnd::Read));
        assert_eq!(pipe_end_from_fdinfo(write), Some(PipeEnd::Write));
        assert_eq!(pipe_end_from_fdinfo(both), None);
        assert_eq!(pipe_end_from_fdinfo("pos:\t0\n"), None);
        assert_eq!(pipe_end_from_fdinfo("flags:\tnope\n"), None);
    }
}
