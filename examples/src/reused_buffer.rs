//! BENIGN: a buffer reused across calls with `clear()`.
//!
//! **Why a naive check flags it.** The encoder keeps its output buffer between
//! calls so steady-state encoding allocates nothing. After the first call the
//! buffer's capacity stays allocated, which a before/after check counts as
//! retained; it is the same allocation every time.

use std::fmt::Write as _;

/// Encodes records as log lines into one reused buffer.
#[derive(Debug, Default)]
pub struct LineEncoder {
    line: String,
}

impl LineEncoder {
    /// An encoder with no buffer yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Encodes one record; the returned line is valid until the next call.
    pub fn encode(&mut self, request: u64, status: u16, path: &str) -> &str {
        self.line.clear();
        // Writing to a String cannot fail.
        let _ = write!(
            self.line,
            "request={request} status={status} path={path} bytes={}",
            request * 17 % 4096
        );
        &self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_is_reused() {
        let mut encoder = LineEncoder::new();
        assert_eq!(
            encoder.encode(1, 200, "/"),
            "request=1 status=200 path=/ bytes=17"
        );
        let capacity = encoder.line.capacity();
        encoder.encode(2, 200, "/");
        assert_eq!(encoder.line.capacity(), capacity);
    }
}
