//! A tiny leak: a few bytes per call.
//!
//! **Incident shape.** Small leaks are the ones one-shot checks miss: a few
//! bytes per request vanish in allocator noise, yet a service handling
//! thousands of requests a second loses gigabytes in a week. In Rust the
//! typical source is `Box::leak` used to get a `&'static str` out of a value
//! built at run time, here a status-code label.
//!
//! **Fix.** Borrow the static strings that exist and return owned text for the
//! rest (`Cow<'static, str>`), so nothing has to live forever.

use std::borrow::Cow;

/// The label of a well-known status code.
fn known_label(code: u16) -> Option<&'static str> {
    match code {
        200 => Some("OK"),
        404 => Some("Not Found"),
        503 => Some("Service Unavailable"),
        _ => None,
    }
}

/// LEAKY: formats the code and leaks the text to return `&'static str`: three
/// bytes (one heap block) lost on every call.
pub fn status_label_leaked(code: u16) -> &'static str {
    let text = code.to_string();
    Box::leak(text.into_boxed_str())
}

/// FIXED: a borrowed label for known codes, an owned one for the rest.
pub fn status_label(code: u16) -> Cow<'static, str> {
    match known_label(code) {
        Some(label) => Cow::Borrowed(label),
        None => Cow::Owned(code.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(status_label_leaked(418), "418");
        assert_eq!(status_label(404), "Not Found");
        assert_eq!(status_label(418), "418");
    }
}
