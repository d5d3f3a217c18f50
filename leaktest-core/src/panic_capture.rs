//! The panic of a failed test, as the panic itself told it: its message and
//! source location, and the heap's peak before the panic machinery ran.
//!
//! Output tails cannot be trusted for this: with `RUST_BACKTRACE=1` the
//! `panicked at` line sits above a backtrace many times the tail's size, and
//! printing that backtrace allocates tens of MiB that are no part of the
//! test. The hook records what it needs first, then hands over to the hook
//! that was installed before (the default one prints as usual).
//!
//! A panic may also end the process before the test's record is delivered: a
//! panic in a `Drop` during unwinding aborts, a setup value whose `Drop`
//! panics ends `main` with code 101. So the hook also writes the panics of
//! the test's process into the record directory ([`noted_file_name`]); the
//! runner adds them to the report of such a crash ([`read_noted`]). Only a
//! panic costs that write.

use std::cell::RefCell;
use std::fs::File;
use std::path::Path;
use std::sync::Mutex;

/// One panic, as its hook saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CapturedPanic {
    /// The panic's message (`non-string panic payload` for other payloads).
    pub(crate) message: String,
    /// `file:line:column` of the panic, when known.
    pub(crate) location: Option<String>,
    /// The peak of live heap bytes just before the panic was reported.
    pub(crate) peak_heap_bytes: u64,
}

impl CapturedPanic {
    /// `panicked at src/lib.rs:10:5: the message`, as Rust words it.
    pub(crate) fn describe(&self) -> String {
        match &self.location {
            Some(location) => format!("panicked at {location}: {}", self.message),
            None => format!("panicked: {}", self.message),
        }
    }
}

thread_local! {
    /// The last panic of this thread not yet taken by the driver.
    static LAST_PANIC: RefCell<Option<CapturedPanic>> = const { RefCell::new(None) };
}

/// A panic as noted in the record directory, for the runner to report
/// when the process ends without delivering its record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct NotedPanic {
    /// The panic's message, cut to [`NOTED_MESSAGE_BYTES`].
    pub(crate) message: String,
    /// `file:line:column` of the panic, when known.
    pub(crate) location: Option<String>,
}

/// Longest message noted: a report needs its start, not megabytes of it.
const NOTED_MESSAGE_BYTES: usize = 4096;
/// Most panics noted: the first, and the latest ones after it (a panic
/// during unwinding comes with the panic that started the unwinding).
const MOST_NOTED: usize = 3;

/// The name of the file the panics of process `pid` are noted in.
pub(crate) fn noted_file_name(pid: u32) -> String {
    format!("panics-{pid}.json")
}

/// The panics of this process so far (at most [`MOST_NOTED`]).
static NOTED: Mutex<Vec<NotedPanic>> = Mutex::new(Vec::new());

/// Adds `panic` to `noted`, keeping the first and the latest.
fn note(noted: &mut Vec<NotedPanic>, panic: NotedPanic) {
    if noted.len() == MOST_NOTED {
        noted.remove(1);
    }
    noted.push(panic);
}

/// `text` cut to at most `bytes` bytes, at a character boundary.
fn cut(text: &str, bytes: usize) -> &str {
    &text[..text.floor_char_boundary(bytes)]
}

/// Writes the panics noted so far into the record directory `record_dir`.
fn write_noted(record_dir: std::os::fd::RawFd, captured: &CapturedPanic) {
    use std::os::fd::FromRawFd;
    let mut noted = NOTED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    note(
        &mut noted,
        NotedPanic {
            message: cut(&captured.message, NOTED_MESSAGE_BYTES).to_owned(),
            location: captured.location.clone(),
        },
    );
    let Ok(json) = serde_json::to_vec(&*noted) else {
        return;
    };
    // SAFETY: the record directory stays open for the life of the process;
    // ManuallyDrop keeps this copy of the handle from closing it.
    let record_dir = std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(record_dir) });
    let name = noted_file_name(std::process::id());
    let _ = crate::protocol::write_file_atomically(&record_dir, &name, &json);
}

/// The panics process `pid` noted in `record_dir` (none when it noted none,
/// or the file is unreadable).
pub(crate) fn read_noted(record_dir: &Path, pid: u32) -> Vec<NotedPanic> {
    std::fs::read(record_dir.join(noted_file_name(pid)))
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .unwrap_or_default()
}

/// `after it panicked at src/lib.rs:3:5: first; then at src/lib.rs:9:9:
/// second`: the panics noted before a crash, for its report (the first, and
/// the latest after it). `None` for none.
pub(crate) fn describe_noted(noted: &[NotedPanic]) -> Option<String> {
    let (first, later) = noted.split_first()?;
    let told = |panic: &NotedPanic| match &panic.location {
        Some(location) => format!("at {location}: {}", panic.message),
        None => format!("with `{}`", panic.message),
    };
    let mut text = format!("after it panicked {}", told(first));
    for panic in later {
        text.push_str("; then ");
        text.push_str(&told(panic));
    }
    Some(text)
}

/// Installs the capturing hook in front of the current one. Called once, in
/// the test's process, before the test runs; the hook also notes every panic
/// in `record_dir` (which stays open for the life of the process).
pub(crate) fn install(record_dir: &File) {
    use std::os::fd::AsRawFd;
    let record_dir = record_dir.as_raw_fd();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let peak_heap_bytes = crate::alloc::peak_live_bytes();
        let message = crate::driver::panic_message(info.payload());
        let location = info.location().map(|location| {
            format!(
                "{}:{}:{}",
                location.file(),
                location.line(),
                location.column()
            )
        });
        let captured = CapturedPanic {
            message,
            location,
            peak_heap_bytes,
        };
        write_noted(record_dir, &captured);
        let _ = LAST_PANIC.try_with(|last| *last.borrow_mut() = Some(captured));
        previous(info);
    }));
}

/// Takes the last panic captured on this thread: the one a `catch_unwind` on
/// this thread just caught (panics of other threads are theirs).
pub(crate) fn take() -> Option<CapturedPanic> {
    LAST_PANIC
        .try_with(|last| last.borrow_mut().take())
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_follows_rust_s_wording() {
        let captured = CapturedPanic {
            message: "boom".to_owned(),
            location: Some("src/lib.rs:3:5".to_owned()),
            peak_heap_bytes: 0,
        };
        assert_eq!(captured.describe(), "panicked at src/lib.rs:3:5: boom");
        let nowhere = CapturedPanic {
            location: None,
            ..captured
        };
        assert_eq!(nowhere.describe(), "panicked: boom");
    }

    fn noted(message: &str, location: Option<&str>) -> NotedPanic {
        NotedPanic {
            message: message.to_owned(),
            location: location.map(str::to_owned),
        }
    }

    #[test]
    fn the_first_and_the_latest_panics_are_noted() {
        let mut kept = Vec::new();
        for message in ["first", "second", "third", "fourth"] {
            note(&mut kept, noted(message, None));
        }
        let messages: Vec<&str> = kept.iter().map(|panic| panic.message.as_str()).collect();
        assert_eq!(messages, ["first", "third", "fourth"]);
    }

    #[test]
    fn noted_panics_are_told_in_order() {
        assert_eq!(describe_noted(&[]), None);
        let told = describe_noted(&[
            noted("first panic", Some("tests/a.rs:3:5")),
            noted("in drop", Some("tests/a.rs:9:9")),
        ]);
        assert_eq!(
            told.as_deref(),
            Some(
                "after it panicked at tests/a.rs:3:5: first panic; then at tests/a.rs:9:9: in drop"
            )
        );
        assert_eq!(
            describe_noted(&[noted("boom", None)]).as_deref(),
            Some("after it panicked with `boom`")
        );
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("héllo", 3), "hé");
        assert_eq!(cut("abc", 10), "abc");
    }

    #[test]
    fn noted_panics_are_read_back_from_the_record_directory() {
        use std::os::fd::AsRawFd;
        let dir = tempfile::tempdir().unwrap();
        let handle = File::open(dir.path()).unwrap();
        let captured = CapturedPanic {
            message: "x".repeat(NOTED_MESSAGE_BYTES + 10),
            location: Some("tests/a.rs:1:1".to_owned()),
            peak_heap_bytes: 0,
        };
        write_noted(handle.as_raw_fd(), &captured);
        let read = read_noted(dir.path(), std::process::id());
        assert_eq!(read.len(), 1, "{read:?}");
        assert_eq!(read[0].message.len(), NOTED_MESSAGE_BYTES);
        assert!(read_noted(dir.path(), 1).is_empty());
    }
}
