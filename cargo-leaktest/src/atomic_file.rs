//! Files other programs read (baselines, the JUnit report) are written
//! whole or not at all: to a temporary file in the same directory, then
//! renamed over the old one, so a reader never sees half a file.

use std::io::Write;
use std::path::Path;

/// Writes `contents` to `path` through a temporary file in the same
/// directory and a rename, creating the directory; `path` is always either
/// the old file or the new one.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(directory)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".leaktest-").suffix(".tmp");
    // A temporary file is private (0600); the file it becomes is read by
    // others (CI artifacts, a web server), like any file the umask allows.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut file = builder.tempfile_in(directory)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_replaced_whole_and_no_temporary_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep").join("report.xml");
        write_atomically(&path, b"old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.xml"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_gets_the_permissions_of_an_ordinary_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |name: &str| {
            let metadata = std::fs::metadata(dir.path().join(name)).unwrap();
            metadata.permissions().mode() & 0o777
        };
        write_atomically(&dir.path().join("index.html"), b"<p>report</p>").unwrap();
        // What the umask makes of a file created the ordinary way, not the
        // temporary file's private 0600.
        std::fs::write(dir.path().join("ordinary.html"), b"<p>report</p>").unwrap();
        assert_eq!(mode("index.html"), mode("ordinary.html"));
    }
}
