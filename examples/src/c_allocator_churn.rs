//! BENIGN: C code allocating and freeing on fresh threads.
//!
//! **Why a naive check flags it.** glibc's malloc keeps what C frees close at
//! hand: each thread caches freed blocks (tcache, fastbins), a thread that
//! allocates gets an arena of its own created on demand, large blocks raise
//! the threshold above which malloc maps memory, and the heap's top is
//! trimmed only now and then. Statistics of the allocator (`mallinfo`, RSS)
//! grow and shrink with all of that. The blocks C holds do not: every one is
//! freed before the call returns.

use std::ffi::CStr;

/// Small C strings each worker copies and frees per call.
pub const STRINGS_PER_WORKER: usize = 1000;
/// Workers started per call.
pub const WORKERS: usize = 2;

/// Starts [`WORKERS`] threads; each `strdup`s and frees
/// [`STRINGS_PER_WORKER`] strings of varying length, and `malloc`s and frees
/// one block large enough to be mapped. Returns the bytes copied.
pub fn churn_on_fresh_threads(seed: u64) -> usize {
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            std::thread::spawn(move || {
                let text = c"a string of some length, cut at various points";
                let bytes = text.to_bytes_with_nul();
                let mut copied = 0;
                for index in 0..STRINGS_PER_WORKER {
                    let cut = (index + worker + seed as usize) % (bytes.len() - 1);
                    let piece = &bytes[cut..];
                    let piece = CStr::from_bytes_with_nul(piece).unwrap_or(text);
                    // SAFETY: `piece` is NUL-terminated; the copy is freed once.
                    unsafe {
                        let copy = libc::strdup(piece.as_ptr());
                        copied += libc::strlen(copy);
                        libc::free(copy.cast());
                    }
                }
                // SAFETY: a plain C allocation, touched within its size, freed once.
                unsafe {
                    let mapped = libc::malloc(1 << 20).cast::<u8>();
                    if !mapped.is_null() {
                        mapped.write_volatile(1);
                        libc::free(mapped.cast());
                    }
                }
                copied
            })
        })
        .collect();
    workers
        .into_iter()
        .map(|worker| worker.join().unwrap_or(0))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_something_on_every_worker() {
        assert!(churn_on_fresh_threads(0) > WORKERS * STRINGS_PER_WORKER);
    }
}
