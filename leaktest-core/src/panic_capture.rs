//! The panic of a failed test, as the panic itself told it: its message and
//! source location, and the heap's peak before the panic machinery ran.
//!
//! Output tails cannot be trusted for this: with `RUST_BACKTRACE=1` the
//! `panicked at` line sits above a backtrace many times the tail's size, and
//! printing that backtrace allocates tens of MiB that are no part of the
//! test. The hook records what it needs first, then hands over to the hook
//! that was installed before (the default one prints as usual).

use std::cell::RefCell;

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

/// Installs the capturing hook in front of the current one. Called once, in
/// the test's process, before the test runs.
pub(crate) fn install() {
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
}
