//! The handle census: open file descriptors, threads and child processes.
//!
//! On Linux the counts come from `/proc/self`, read so that a census costs a
//! few system calls and allocates nothing, since it runs after every
//! iteration:
//!
//! - **File descriptors**: the size that `fstat` reports for the
//!   `/proc/self/fd` directory is the number of open descriptors (Linux 6.2
//!   and later). Older kernels report 0 there; the directory is then listed
//!   with `getdents64` into a buffer on the stack.
//! - **Threads**: the link count of `/proc/self/task` is two plus the number
//!   of threads. It is checked once against the entries of that directory;
//!   where they disagree, `num_threads` of `/proc/self/stat` is read every
//!   time instead.
//! - **Child processes**: first one `waitid` that waits for any child of any
//!   thread without waiting or reaping (`WNOHANG | WNOWAIT`); it fails with
//!   `ECHILD` when the process has no child at all, the common case, which is
//!   then one system call whatever the number of threads. Otherwise the
//!   `children` list of every thread is read: with one thread only the main
//!   thread's list; with more, `/proc/self/task` is listed and each thread's
//!   list read.
//!
//! The two directories, and the main thread's `children` file once a
//! single-threaded process had children, are kept open (close-on-exec)
//! between censuses, and those descriptors are subtracted from the count.
//! Each is checked with `fstat` before use: one the program closed, or whose
//! number now belongs to another file, is abandoned (never closed: the
//! number is the program's now) and reopened; after a `fork` (which a
//! `pthread_atfork` handler notes, so a census makes no `getpid` call) all are
//! reopened. A census is then three system calls (two `fstat`s and the
//! `waitid`). Elsewhere each count is `None` ("not measured") rather than a
//! wrong number.
//!
//! ```
//! let counts = leaktest_core::census::HandleCounts::now();
//! if cfg!(target_os = "linux") {
//!     assert!(counts.threads.unwrap_or(0) >= 1);
//! }
//! ```

/// One reading of the handle census. `None` means the platform cannot measure it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HandleCounts {
    /// Open file descriptors of the process.
    pub fds: Option<i64>,
    /// Threads of the process.
    pub threads: Option<i64>,
    /// Child processes not yet reaped.
    pub children: Option<i64>,
}

impl HandleCounts {
    /// Reads all three counts now.
    pub fn now() -> HandleCounts {
        #[cfg(target_os = "linux")]
        {
            linux::with_proc_self(linux::ProcSelf::counts).unwrap_or_default()
        }
        #[cfg(not(target_os = "linux"))]
        {
            HandleCounts::default()
        }
    }
}

/// Why the census is not measured on this platform, or `None` where it is.
pub fn unmeasured_reason() -> Option<&'static str> {
    if cfg!(target_os = "linux") {
        None
    } else {
        Some("handle census needs Linux /proc; not measured on this platform")
    }
}

/// Open file descriptors of this process (not counting the census's own).
#[cfg(target_os = "linux")]
pub fn open_fds() -> Option<i64> {
    linux::with_proc_self(linux::ProcSelf::open_fds)
}

/// Open file descriptors of this process.
#[cfg(not(target_os = "linux"))]
pub fn open_fds() -> Option<i64> {
    None
}

/// Threads of this process.
#[cfg(target_os = "linux")]
pub fn threads() -> Option<i64> {
    linux::with_proc_self(linux::ProcSelf::threads)
}

/// Threads of this process.
#[cfg(not(target_os = "linux"))]
pub fn threads() -> Option<i64> {
    None
}

/// The number on the `Threads:` line of a `/proc/<pid>/status` text.
pub fn parse_threads_line(status: &str) -> Option<i64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|value| value.trim().parse().ok())
}

/// `num_threads`, the 20th field of a `/proc/<pid>/stat` line. The second
/// field, the command name, is in parentheses and may itself hold spaces and
/// parentheses, so fields are counted from the last `)`.
pub fn parse_stat_threads(stat: &[u8]) -> Option<i64> {
    let after_name = stat.iter().rposition(|&byte| byte == b')')? + 1;
    // Fields 3 onwards follow the name; num_threads is the 18th of them.
    let field = stat[after_name..]
        .split(|&byte| byte == b' ')
        .filter(|field| !field.is_empty())
        .nth(17)?;
    std::str::from_utf8(field).ok()?.trim().parse().ok()
}

/// Child processes of this process that have not been reaped (zombies included).
#[cfg(target_os = "linux")]
pub fn child_processes() -> Option<i64> {
    linux::with_proc_self(|proc_self| proc_self.child_processes(proc_self.threads()))
}

/// Child processes of this process that have not been reaped.
#[cfg(not(target_os = "linux"))]
pub fn child_processes() -> Option<i64> {
    None
}

/// Whether this process may have a child process (running or not yet
/// reaped): false only when the kernel says it has none, with one system
/// call. Lets a listing skip reading every thread's `children` file.
#[cfg(target_os = "linux")]
pub(crate) fn may_have_children() -> bool {
    linux::has_children() != Some(false)
}

/// Counts the whitespace-separated words of a text read in pieces, carrying
/// whether the previous piece ended inside a word.
#[derive(Debug, Default)]
struct WordCount {
    words: i64,
    inside_word: bool,
}

impl WordCount {
    fn feed(&mut self, piece: &[u8]) {
        for &byte in piece {
            let is_space = byte.is_ascii_whitespace();
            if !is_space && !self.inside_word {
                self.words += 1;
            }
            self.inside_word = !is_space;
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::{parse_stat_threads, HandleCounts, WordCount};
    use std::cell::Cell;
    use std::ffi::CStr;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::sync::{Mutex, OnceLock, PoisonError};

    /// Bytes read per system call: a page, on the stack.
    const BUFFER_BYTES: usize = 4096;
    /// Attempts to see the link count of `/proc/self/task` agree with
    /// `/proc/self/stat` while threads may be starting or ending.
    const NLINK_CHECKS: usize = 3;

    /// A file of `/proc/self` kept open, with the identity it had when opened.
    struct Kept {
        fd: OwnedFd,
        dev: libc::dev_t,
        ino: libc::ino_t,
    }

    impl Kept {
        fn open(path: &CStr, directory: bool) -> Option<Kept> {
            open_at(libc::AT_FDCWD, path, directory).and_then(Kept::from_fd)
        }

        fn from_fd(fd: OwnedFd) -> Option<Kept> {
            let stat = fstat(fd.as_raw_fd())?;
            Some(Kept {
                fd,
                dev: stat.st_dev,
                ino: stat.st_ino,
            })
        }

        /// `fstat` of the kept file, `None` if its number no longer refers to it.
        fn stat(&self) -> Option<libc::stat> {
            fstat(self.fd.as_raw_fd())
                .filter(|stat| stat.st_dev == self.dev && stat.st_ino == self.ino)
        }

        fn raw(&self) -> RawFd {
            self.fd.as_raw_fd()
        }

        /// Gives the descriptor up: closes it if it is still ours, otherwise
        /// forgets it, since the program now owns that number.
        fn release(self) {
            if self.stat().is_none() {
                std::mem::forget(self.fd);
            }
        }
    }

    fn open_at(directory_fd: RawFd, path: &CStr, directory: bool) -> Option<OwnedFd> {
        let flags =
            libc::O_RDONLY | libc::O_CLOEXEC | if directory { libc::O_DIRECTORY } else { 0 };
        // SAFETY: `path` is NUL-terminated; the result is a new descriptor or -1.
        let fd = unsafe { libc::openat(directory_fd, path.as_ptr(), flags) };
        // SAFETY: a non-negative result is a descriptor this call opened and nobody else owns.
        (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
    }

    fn fstat(fd: RawFd) -> Option<libc::stat> {
        let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: fstat writes a whole `stat` on success.
        let status = unsafe { libc::fstat(fd, stat.as_mut_ptr()) };
        // SAFETY: initialised by the successful call.
        (status == 0).then(|| unsafe { stat.assume_init() })
    }

    /// Reads a whole `/proc` file from its start, feeding each piece to `each`.
    /// `/proc` regenerates the text on every read from offset 0.
    fn read_from_start(fd: RawFd, mut each: impl FnMut(&[u8])) -> Option<()> {
        let mut buffer = [0u8; BUFFER_BYTES];
        let mut offset = 0i64;
        loop {
            // SAFETY: reads at most `buffer.len()` bytes into the buffer.
            let read = unsafe {
                libc::pread(
                    fd,
                    buffer.as_mut_ptr().cast(),
                    buffer.len(),
                    offset as libc::off_t,
                )
            };
            match read {
                0 => return Some(()),
                read if read > 0 => {
                    each(&buffer[..read as usize]);
                    offset += read as i64;
                }
                _ => return None,
            }
        }
    }

    /// Calls `each` with the name of every entry of a directory except `.`
    /// and `..`, reading it from its start with `getdents64`.
    fn list_directory(fd: RawFd, mut each: impl FnMut(&[u8])) -> Option<()> {
        // SAFETY: rewinding a directory descriptor we hold.
        if unsafe { libc::lseek(fd, 0, libc::SEEK_SET) } < 0 {
            return None;
        }
        let mut buffer = [0u8; BUFFER_BYTES];
        loop {
            // SAFETY: getdents64 writes at most `buffer.len()` bytes of records.
            let read = unsafe {
                libc::syscall(libc::SYS_getdents64, fd, buffer.as_mut_ptr(), buffer.len())
            };
            if read == 0 {
                return Some(());
            }
            if read < 0 {
                return None;
            }
            let records = &buffer[..read as usize];
            let mut at = 0;
            // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name.
            while at + 19 < records.len() {
                let record_len = u16::from_ne_bytes([records[at + 16], records[at + 17]]) as usize;
                if record_len == 0 || at + record_len > records.len() {
                    return None;
                }
                let name_field = &records[at + 19..at + record_len];
                let name_len = name_field
                    .iter()
                    .position(|&byte| byte == 0)
                    .unwrap_or(name_field.len());
                let name = &name_field[..name_len];
                if name != b"." && name != b".." {
                    each(name);
                }
                at += record_len;
            }
        }
    }

    /// The census's view of `/proc/self`.
    pub(super) struct ProcSelf {
        pid: libc::pid_t,
        /// [`process_identity`] when this view was opened.
        process_identity: u64,
        fd_directory: Kept,
        task_directory: Kept,
        /// The main thread's `children` file, opened the first time a census
        /// of a single-threaded process finds children (most never do), and
        /// given up when the program closed it or reused its number.
        main_children: Cell<Option<Kept>>,
        /// Whether the link count of `/proc/self/task` counts the threads here.
        threads_from_link_count: bool,
    }

    impl ProcSelf {
        fn open(pid: libc::pid_t, process_identity: u64) -> Option<ProcSelf> {
            let fd_directory = Kept::open(c"/proc/self/fd", true)?;
            let task_directory = Kept::open(c"/proc/self/task", true)?;
            let mut proc_self = ProcSelf {
                pid,
                process_identity,
                fd_directory,
                task_directory,
                main_children: Cell::new(None),
                threads_from_link_count: false,
            };
            proc_self.threads_from_link_count = (0..NLINK_CHECKS).any(|_| {
                let from_links = proc_self.threads_from_links();
                from_links.is_some() && from_links == proc_self.threads_from_listing()
            });
            Some(proc_self)
        }

        /// Threads as entries of `/proc/self/task`, listed through the kept
        /// descriptor (no file to open, unlike `/proc/self/stat`).
        fn threads_from_listing(&self) -> Option<i64> {
            let mut threads = 0i64;
            list_directory(self.task_directory.raw(), |_| threads += 1)?;
            Some(threads)
        }

        /// Checks both kept directories still refer to what was opened (the
        /// `children` file is checked on every use).
        fn is_intact(&self) -> bool {
            self.fd_directory.stat().is_some() && self.task_directory.stat().is_some()
        }

        fn release(self) {
            self.fd_directory.release();
            self.task_directory.release();
            if let Some(kept) = self.main_children.into_inner() {
                kept.release();
            }
        }

        /// Runs `read` on the kept `children` file of the main thread if it
        /// is open and still ours; gives it up otherwise.
        fn with_main_children<T>(&self, read: impl FnOnce(&Kept) -> T) -> Option<T> {
            let kept = self.main_children.take()?;
            if kept.stat().is_none() {
                kept.release();
                return None;
            }
            let result = read(&kept);
            self.main_children.set(Some(kept));
            Some(result)
        }

        /// Opens the main thread's `children` file unless it is open.
        fn open_main_children(&self) {
            if let Some(kept) = self.main_children.take() {
                self.main_children.set(Some(kept));
                return;
            }
            let opened = PathBuffer::new()
                .children_of(self.pid)
                .and_then(|relative| open_at(self.task_directory.raw(), relative, false))
                .and_then(Kept::from_fd);
            self.main_children.set(opened);
        }

        /// The census's own descriptors among the open ones.
        fn kept_descriptors(&self) -> i64 {
            2 + i64::from(self.with_main_children(|_| ()).is_some())
        }

        /// All three counts. `None` in `fds` or `threads` can also mean a kept
        /// descriptor was closed by the program: [`with_proc_self`] then
        /// reopens and asks again.
        pub(super) fn counts(&self) -> Option<HandleCounts> {
            let threads = self.threads();
            let counts = HandleCounts {
                fds: self.open_fds(),
                threads,
                children: self.child_processes(threads),
            };
            (counts.fds.is_some() && counts.threads.is_some()).then_some(counts)
        }

        pub(super) fn open_fds(&self) -> Option<i64> {
            let size = self.fd_directory.stat()?.st_size;
            let open = if size > 0 {
                size
            } else {
                let mut entries = 0i64;
                list_directory(self.fd_directory.raw(), |_| entries += 1)?;
                entries
            };
            Some(open - self.kept_descriptors())
        }

        fn threads_from_links(&self) -> Option<i64> {
            let links = self.task_directory.stat()?.st_nlink as i64;
            (links > 2).then_some(links - 2)
        }

        pub(super) fn threads(&self) -> Option<i64> {
            if self.threads_from_link_count {
                self.threads_from_links()
            } else {
                threads_from_stat()
            }
        }

        /// Unreaped children of all `threads` threads.
        pub(super) fn child_processes(&self, threads: Option<i64>) -> Option<i64> {
            if has_children() == Some(false) {
                return Some(0);
            }
            if threads == Some(1) {
                self.open_main_children();
                let read = self.with_main_children(|kept| {
                    let mut count = WordCount::default();
                    read_from_start(kept.raw(), |piece| count.feed(piece)).map(|()| count.words)
                });
                if let Some(Some(children)) = read {
                    return Some(children);
                }
            }
            let mut children = 0i64;
            let mut readable = false;
            let mut path = PathBuffer::new();
            list_directory(self.task_directory.raw(), |name| {
                let Some(relative) = path.children_of_name(name) else {
                    return;
                };
                let Some(file) = open_at(self.task_directory.raw(), relative, false) else {
                    // The thread ended since the listing.
                    return;
                };
                let mut count = WordCount::default();
                if read_from_start(file.as_raw_fd(), |piece| count.feed(piece)).is_some() {
                    readable = true;
                    children += count.words;
                }
            })?;
            readable.then_some(children)
        }
    }

    /// Whether any thread of the process has a child, running, stopped or
    /// exited and not yet reaped: a `waitid` for any child (`__WALL`: whatever
    /// signal it reports its end with) that returns at once (`WNOHANG`) and
    /// leaves an exited child unreaped (`WNOWAIT`). Children of every thread
    /// of the process count, since the flags do not include `__WNOTHREAD`.
    /// `None` when the kernel refuses the call (before Linux 4.7 `waitid`
    /// took no `__WALL`).
    pub(super) fn has_children() -> Option<bool> {
        let mut info = std::mem::MaybeUninit::<libc::siginfo_t>::zeroed();
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT | libc::__WALL;
        // SAFETY: waitid writes at most one siginfo_t into `info`.
        let status = unsafe { libc::waitid(libc::P_ALL, 0, info.as_mut_ptr(), flags) };
        if status == 0 {
            return Some(true);
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::ECHILD) => Some(false),
            _ => None,
        }
    }

    fn threads_from_stat() -> Option<i64> {
        let file = open_at(libc::AT_FDCWD, c"/proc/self/stat", false)?;
        let mut text = [0u8; BUFFER_BYTES];
        let mut length = 0;
        read_from_start(file.as_raw_fd(), |piece| {
            let room = text.len() - length;
            let taken = piece.len().min(room);
            text[length..length + taken].copy_from_slice(&piece[..taken]);
            length += taken;
        })?;
        parse_stat_threads(&text[..length])
    }

    /// Builds `<tid>/children` paths, relative to `/proc/self/task`, without allocating.
    struct PathBuffer {
        bytes: [u8; 64],
    }

    impl PathBuffer {
        fn new() -> PathBuffer {
            PathBuffer { bytes: [0; 64] }
        }

        fn children_of(&mut self, tid: libc::pid_t) -> Option<&CStr> {
            let mut digits = [0u8; 20];
            let mut at = digits.len();
            let mut rest = u64::try_from(tid).ok()?;
            loop {
                at -= 1;
                digits[at] = b'0' + (rest % 10) as u8;
                rest /= 10;
                if rest == 0 {
                    break;
                }
            }
            let name = digits;
            self.children_of_name(&name[at..])
        }

        fn children_of_name(&mut self, name: &[u8]) -> Option<&CStr> {
            const SUFFIX: &[u8] = b"/children\0";
            if name.is_empty() || !name.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let total = name.len() + SUFFIX.len();
            if total > self.bytes.len() {
                return None;
            }
            self.bytes[..name.len()].copy_from_slice(name);
            self.bytes[name.len()..total].copy_from_slice(SUFFIX);
            CStr::from_bytes_with_nul(&self.bytes[..total]).ok()
        }
    }

    static PROC_SELF: Mutex<Option<ProcSelf>> = Mutex::new(None);

    /// Forks this process's line has gone through: bumped in the child of
    /// every `fork` by a `pthread_atfork` handler registered with the first
    /// census, so that the census of a forked child reopens `/proc/self` (the
    /// kept descriptors would read the parent's) without a `getpid` on every
    /// census. A child made with a raw `clone` system call that then counts is
    /// not seen; where the handler could not be registered, `getpid` is
    /// compared every time instead.
    static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
    static FORK_HANDLER: OnceLock<bool> = OnceLock::new();

    extern "C" fn note_fork_in_child() {
        FORK_GENERATION.fetch_add(1, Relaxed);
    }

    /// What tells this process apart from a forked child of it: the fork
    /// generation, or where no fork handler is registered, the process id.
    fn process_identity() -> u64 {
        let handler_registered = *FORK_HANDLER.get_or_init(|| {
            // SAFETY: registers a handler that only increments an atomic,
            // which is async-signal-safe as a fork child handler must be.
            unsafe { libc::pthread_atfork(None, None, Some(note_fork_in_child)) == 0 }
        });
        if handler_registered {
            FORK_GENERATION.load(Relaxed)
        } else {
            // SAFETY: getpid has no preconditions. Shifted clear of any
            // generation count.
            (unsafe { libc::getpid() } as u64) << 32 | 1 << 63
        }
    }

    /// Runs `read` on the kept view of `/proc/self`, opening it first if
    /// needed. Each read checks the descriptors it uses; when one fails and a
    /// descriptor turns out closed or reused by the program (or the process
    /// forked), the view is reopened and `read` runs once more. `None` when
    /// `/proc` cannot be read.
    pub(super) fn with_proc_self<T>(read: impl Fn(&ProcSelf) -> Option<T>) -> Option<T> {
        let mut kept = PROC_SELF.lock().unwrap_or_else(PoisonError::into_inner);
        let identity = process_identity();
        if let Some(proc_self) = kept
            .as_ref()
            .filter(|proc_self| proc_self.process_identity == identity)
        {
            let result = read(proc_self);
            if result.is_some() || proc_self.is_intact() {
                return result;
            }
        }
        if let Some(stale) = kept.take() {
            stale.release();
        }
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        *kept = ProcSelf::open(pid, identity);
        kept.as_ref().and_then(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_threads_line() {
        let status = "Name:\tx\nUmask:\t0022\nThreads:\t7\nSigQ:\t0/1\n";
        assert_eq!(parse_threads_line(status), Some(7));
        assert_eq!(parse_threads_line("Name: x\n"), None);
    }

    #[test]
    fn parses_num_threads_of_a_stat_line_whose_name_has_spaces_and_parentheses() {
        let stat =
            b"4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 5 0 812 9 1\n";
        assert_eq!(parse_stat_threads(stat), Some(5));
        assert_eq!(parse_stat_threads(b"4242 (x) S 1"), None);
        assert_eq!(parse_stat_threads(b"no parenthesis"), None);
    }

    #[test]
    fn counts_words_split_across_pieces() {
        let mut count = WordCount::default();
        count.feed(b"123 45");
        count.feed(b"6 789 ");
        count.feed(b"");
        count.feed(b" 1");
        assert_eq!(count.words, 4);
    }
}
