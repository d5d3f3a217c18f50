//! C strings handed across FFI: whoever receives `malloc`'d memory must `free` it.
//!
//! **Incident shape.** A C API returns a string the caller owns
//! (`char *render(...)`, "the caller must free() the result"), or a Rust
//! wrapper `strdup`s a value to hand it to C. The Rust side copies the text
//! into a `String` and forgets the C copy: a few hundred bytes per call,
//! invisible to Rust's allocator and to any tool that counts only Rust's
//! allocations. Long-running services lose memory through exactly such
//! wrappers around OpenSSL, SQLite or librdkafka objects.
//!
//! **Fix.** Free what C handed over, once the Rust copy is made (or wrap the
//! pointer in an owner whose `Drop` frees it).
//!
//! The "C side" here is glibc: `malloc` and `snprintf` build the record,
//! `strdup` copies the tag, exactly as a C library would.

use std::ffi::{c_char, CStr};

/// Bytes the C side allocates for one rendered record.
pub const RECORD_BYTES: usize = 256;

/// The C side: renders a record into a `malloc`'d buffer of
/// [`RECORD_BYTES`] that the caller must `free`. Null if malloc failed.
fn render_record_in_c(id: u64) -> *mut c_char {
    // SAFETY: a plain C allocation; snprintf writes at most RECORD_BYTES
    // bytes, NUL included, into it.
    unsafe {
        let buffer = libc::malloc(RECORD_BYTES).cast::<c_char>();
        if !buffer.is_null() {
            libc::snprintf(
                buffer,
                RECORD_BYTES,
                c"record %llu: status=ok".as_ptr(),
                id as libc::c_ulonglong,
            );
        }
        buffer
    }
}

/// Copies a C string into a Rust `String`.
///
/// # Safety
/// `text` is null or a valid NUL-terminated string.
unsafe fn to_string(text: *const c_char) -> String {
    if text.is_null() {
        return String::new();
    }
    // SAFETY: the caller's contract.
    unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned()
}

/// LEAKY: copies the rendered record into a `String` and never frees the C
/// buffer: 256 bytes lost per call.
pub fn record_summary_leaking(id: u64) -> String {
    let rendered = render_record_in_c(id);
    // SAFETY: null or a NUL-terminated string from snprintf.
    unsafe { to_string(rendered) }
}

/// FIXED: copies the rendered record, then frees the C buffer.
pub fn record_summary(id: u64) -> String {
    let rendered = render_record_in_c(id);
    // SAFETY: as above; the buffer came from malloc and is freed once.
    unsafe {
        let summary = to_string(rendered);
        libc::free(rendered.cast());
        summary
    }
}

/// LEAKY: `strdup`s the tag for a C call (here `strlen`) and never frees the
/// copy: the tag's length plus one, rounded up by malloc, lost per call.
pub fn tag_length_leaking(tag: &CStr) -> usize {
    // SAFETY: `tag` is NUL-terminated; strlen reads the NUL-terminated copy.
    unsafe {
        let copy = libc::strdup(tag.as_ptr());
        if copy.is_null() {
            return 0;
        }
        libc::strlen(copy)
    }
}

/// FIXED: frees the `strdup`'d copy after the C call.
pub fn tag_length(tag: &CStr) -> usize {
    // SAFETY: as above; the copy came from strdup and is freed once.
    unsafe {
        let copy = libc::strdup(tag.as_ptr());
        if copy.is_null() {
            return 0;
        }
        let length = libc::strlen(copy);
        libc::free(copy.cast());
        length
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_versions_return_the_same_text() {
        assert_eq!(record_summary(7), "record 7: status=ok");
        assert_eq!(record_summary_leaking(7), record_summary(7));
        assert_eq!(tag_length(c"checkout"), 8);
        assert_eq!(tag_length_leaking(c"checkout"), 8);
    }
}
