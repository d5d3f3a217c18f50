//! A zlib stream never ended: the C library keeps its buffers.
//!
//! **Incident shape.** A thin wrapper over a C library's raw bindings (here
//! zlib through `libz-sys`) initialises a stream, compresses, returns the
//! output, and never calls `deflateEnd`. zlib's window, hash chains and
//! pending buffer (about 270 KiB at the default level) stay allocated in C
//! after every call. Rust's allocator sees none of it; the process grows.
//!
//! **Fix.** Tie the stream's lifetime to a Rust owner whose `Drop` calls
//! `deflateEnd`, so every path out of the function ends it.
//!
//! zlib allocates through the `zalloc`/`zfree` pair of the stream; here they
//! are C's `calloc` and `free`, which is what zlib uses by default.

use libz_sys as zlib;
use std::ffi::{c_int, c_uint, c_void};

/// What went wrong in zlib.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZlibError {
    /// zlib's return code.
    pub code: c_int,
}

// SAFETY: zlib's allocation callback contract: `items * size` bytes or null.
unsafe extern "C" fn c_calloc(_opaque: *mut c_void, items: c_uint, size: c_uint) -> *mut c_void {
    // SAFETY: a plain C allocation.
    unsafe { libc::calloc(items as usize, size as usize) }
}

// SAFETY: zlib frees only what `c_calloc` returned.
unsafe extern "C" fn c_free(_opaque: *mut c_void, block: *mut c_void) {
    // SAFETY: `block` came from c_calloc.
    unsafe { libc::free(block) }
}

/// A deflate stream whose `Drop` ends it (`deflateEnd`), unless it is leaked.
struct Deflate {
    stream: Box<zlib::z_stream>,
}

impl Deflate {
    /// A stream at zlib's default compression level.
    fn new() -> Result<Deflate, ZlibError> {
        let mut stream = Box::new(zlib::z_stream {
            next_in: std::ptr::null_mut(),
            avail_in: 0,
            total_in: 0,
            next_out: std::ptr::null_mut(),
            avail_out: 0,
            total_out: 0,
            msg: std::ptr::null_mut(),
            state: std::ptr::null_mut(),
            zalloc: c_calloc,
            zfree: c_free,
            opaque: std::ptr::null_mut(),
            data_type: 0,
            adler: 0,
            reserved: 0,
        });
        // SAFETY: a fully initialised stream; zlib checks the version and size.
        let code = unsafe {
            zlib::deflateInit_(
                &mut *stream,
                zlib::Z_DEFAULT_COMPRESSION,
                zlib::zlibVersion(),
                std::mem::size_of::<zlib::z_stream>() as c_int,
            )
        };
        if code != zlib::Z_OK {
            return Err(ZlibError { code });
        }
        Ok(Deflate { stream })
    }

    /// Compresses all of `input` in one call and finishes the stream.
    fn finish(&mut self, input: &[u8]) -> Result<Vec<u8>, ZlibError> {
        // SAFETY: the stream was initialised by deflateInit_.
        let bound = unsafe { zlib::deflateBound(&mut *self.stream, input.len() as zlib::uLong) };
        let mut output = vec![0u8; bound as usize];
        self.stream.next_in = input.as_ptr().cast_mut();
        self.stream.avail_in = input.len() as c_uint;
        self.stream.next_out = output.as_mut_ptr();
        self.stream.avail_out = output.len() as c_uint;
        // SAFETY: next_in/next_out point into live buffers of the given sizes;
        // deflate only reads the input.
        let code = unsafe { zlib::deflate(&mut *self.stream, zlib::Z_FINISH) };
        if code != zlib::Z_STREAM_END {
            return Err(ZlibError { code });
        }
        output.truncate(self.stream.total_out as usize);
        Ok(output)
    }
}

impl Drop for Deflate {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised and is ended once.
        unsafe { zlib::deflateEnd(&mut *self.stream) };
    }
}

/// LEAKY: compresses `input` and forgets to end the stream, as a wrapper
/// without a `Drop` does: zlib's buffers (about 270 KiB) stay in C.
pub fn compress_forgetting_end(input: &[u8]) -> Result<Vec<u8>, ZlibError> {
    let mut deflate = Deflate::new()?;
    let compressed = deflate.finish(input);
    std::mem::forget(deflate);
    compressed
}

/// FIXED: compresses `input`; the stream is ended on every path.
pub fn compress(input: &[u8]) -> Result<Vec<u8>, ZlibError> {
    Deflate::new()?.finish(input)
}

/// Bytes of the C scratch buffer of [`compress_megabytes`]: 8 MiB.
pub const SCRATCH_BYTES: usize = 8 << 20;
/// Bytes of it compressed per call: 1 MiB.
pub const COMPRESSED_INPUT_BYTES: usize = 1 << 20;

/// BENIGN: stages 1 MiB of text in an 8 MiB `calloc`'d C scratch buffer and
/// compresses it: megabytes allocated and freed by C on every call (the
/// scratch buffer, zlib's 270 KiB of state), nothing kept. Returns the
/// compressed size.
pub fn compress_megabytes(seed: u64) -> Result<usize, ZlibError> {
    // SAFETY: a plain C allocation, written within its size and freed below.
    let scratch = unsafe { libc::calloc(SCRATCH_BYTES, 1).cast::<u8>() };
    if scratch.is_null() {
        return Err(ZlibError {
            code: zlib::Z_MEM_ERROR,
        });
    }
    // SAFETY: `scratch` holds SCRATCH_BYTES zeroed bytes.
    let input = unsafe { std::slice::from_raw_parts_mut(scratch, COMPRESSED_INPUT_BYTES) };
    let line = format!("request {seed} served by leaktest\n");
    for chunk in input.chunks_mut(line.len()) {
        chunk.copy_from_slice(&line.as_bytes()[..chunk.len()]);
    }
    let compressed = compress(input).map(|output| output.len());
    // SAFETY: `scratch` came from calloc and is freed once; `input` is not
    // used after this.
    unsafe { libc::free(scratch.cast()) };
    compressed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_versions_compress_the_same() {
        let input = b"hello hello hello hello".repeat(100);
        let compressed = compress(&input).expect("compress");
        assert!(compressed.len() < input.len() / 10);
        assert_eq!(compress_forgetting_end(&input), Ok(compressed));
        assert!(compress_megabytes(3).expect("compress") < COMPRESSED_INPUT_BYTES / 100);
    }
}
