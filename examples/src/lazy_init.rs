//! BENIGN: lazy one-time initialisation.
//!
//! **Why a naive check flags it.** The first call builds a table and keeps it
//! for the life of the process: memory goes up once and never comes down. A
//! check around that first call reports a leak; leaktest's warm-up and its
//! "keeps rising" rule do not.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The table of content types by file extension, built on first use.
fn content_types() -> &'static HashMap<String, String> {
    static TABLE: OnceLock<HashMap<String, String>> = OnceLock::new();
    TABLE.get_or_init(|| {
        [
            ("html", "text/html"),
            ("css", "text/css"),
            ("js", "text/javascript"),
            ("json", "application/json"),
            ("png", "image/png"),
            ("svg", "image/svg+xml"),
            ("wasm", "application/wasm"),
        ]
        .into_iter()
        .map(|(ext, mime)| (ext.to_owned(), mime.to_owned()))
        .collect()
    })
}

/// The content type for a file name, by its extension.
pub fn content_type(file_name: &str) -> &'static str {
    file_name
        .rsplit_once('.')
        .and_then(|(_, ext)| content_types().get(ext))
        .map_or("application/octet-stream", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_by_extension() {
        assert_eq!(content_type("index.html"), "text/html");
        assert_eq!(content_type("blob"), "application/octet-stream");
    }
}
