//! BENIGN: a buffer that grows by amortised doubling up to a fixed size, then
//! is reused.
//!
//! **Why a naive check flags it.** A frame accumulator starts empty and
//! `Vec` doubles its capacity as 32-byte chunks arrive: 32, 64, ... 4096
//! bytes. The heap grows in steps, the last one long after start-up (at the
//! 65th chunk, past the middle of a 100-iteration run). A detector that only
//! compares the end of a run with its middle sees that late step as growth. It
//! is not: once the buffer holds a full frame it is flushed with `clear()`,
//! which keeps the capacity, and it never grows again. leaktest extends the
//! run to tell the two apart.

/// The largest frame the accumulator buffers before flushing.
pub const FRAME_BYTES: usize = 4096;

/// Bytes appended per call.
pub const CHUNK_BYTES: usize = 32;

/// Collects chunks into frames of [`FRAME_BYTES`].
#[derive(Debug, Default)]
pub struct FrameAccumulator {
    buffer: Vec<u8>,
    frames_flushed: u64,
    checksum: u64,
}

impl FrameAccumulator {
    /// An accumulator with no buffer allocated yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one chunk; flushes (and reuses) the buffer once a frame is full.
    pub fn push_chunk(&mut self, seq: u64) {
        let chunk = [(seq % 251) as u8; CHUNK_BYTES];
        self.buffer.extend_from_slice(&chunk);
        if self.buffer.len() >= FRAME_BYTES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let frame_sum: u64 = self.buffer.iter().map(|&b| u64::from(b)).sum();
        self.checksum = self.checksum.wrapping_add(frame_sum);
        self.frames_flushed += 1;
        self.buffer.clear();
    }

    /// Frames flushed so far.
    pub fn frames_flushed(&self) -> u64 {
        self.frames_flushed
    }

    /// The buffer's capacity, which stops at [`FRAME_BYTES`].
    pub fn capacity(&self) -> usize {
        self.buffer.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_stops_at_one_frame() {
        let mut frames = FrameAccumulator::new();
        for seq in 0..1000 {
            frames.push_chunk(seq);
        }
        assert_eq!(frames.capacity(), FRAME_BYTES);
        assert_eq!(
            frames.frames_flushed(),
            1000 / (FRAME_BYTES / CHUNK_BYTES) as u64
        );
    }
}
