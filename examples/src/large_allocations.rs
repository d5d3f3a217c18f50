//! BENIGN: megabytes allocated and freed on every call.
//!
//! **Why a naive check flags it.** Peak memory is large and allocators may
//! keep freed pages mapped, so RSS-based checks see a big number. The live
//! heap, though, returns to where it was after every call.

/// Bytes allocated per call: 8 MiB.
pub const SCRATCH_BYTES: usize = 8 << 20;

/// Fills an 8 MiB scratch buffer, sums a sample of it, and frees it.
pub fn checksum_scratch(seed: u64) -> u64 {
    let mut scratch = vec![0u8; SCRATCH_BYTES];
    let fill = (seed % 251) as u8 + 1;
    for page in scratch.chunks_mut(4096) {
        page[0] = fill;
    }
    scratch.iter().step_by(4096).map(|&b| u64::from(b)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touches_every_page() {
        assert_eq!(checksum_scratch(0), (SCRATCH_BYTES / 4096) as u64);
    }
}
