//! Finding `Leaktest.toml`: the first one in the package's directory or
//! above it, up to the workspace root (the first directory whose
//! `Cargo.toml` has a `[workspace]` table), so that `cargo test`,
//! `cargo nextest run` and `cargo leaktest` all find the same file.

use super::file::FILE_NAME;
use std::path::{Path, PathBuf};

/// The `Leaktest.toml` that applies to the package in `package_dir`, if any.
pub fn discover(package_dir: &Path) -> Option<PathBuf> {
    for dir in package_dir.ancestors() {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if is_workspace_root(dir) {
            return None;
        }
    }
    None
}

/// Whether `dir` holds a `Cargo.toml` with a `[workspace]` table (an
/// unreadable or invalid one is not taken for a workspace root).
fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|manifest| manifest.contains_key("workspace"))
}

/// Where the harness starts looking: the package directory cargo and
/// nextest give tests at run time (`CARGO_MANIFEST_DIR`), else the current
/// directory (which cargo sets to the package directory too).
pub fn package_dir_at_run_time() -> Option<PathBuf> {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn the_nearest_file_up_to_the_workspace_root_is_found() {
        let root = tempfile::tempdir().unwrap();
        let workspace = root.path().join("ws");
        let package = workspace.join("crates/parser");
        write(
            &workspace.join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/*\"]\n",
        );
        write(
            &package.join("Cargo.toml"),
            "[package]\nname = \"parser\"\n",
        );
        assert_eq!(discover(&package), None, "no file");

        // Above the workspace root does not count.
        write(&root.path().join(FILE_NAME), "");
        assert_eq!(discover(&package), None);

        write(&workspace.join(FILE_NAME), "");
        assert_eq!(discover(&package), Some(workspace.join(FILE_NAME)));
        write(&package.join(FILE_NAME), "");
        assert_eq!(discover(&package), Some(package.join(FILE_NAME)));
    }
}
