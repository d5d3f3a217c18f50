//! Where a test's function is, as CI tools want it: a path relative to the
//! repository root, with forward slashes, and a line.
//!
//! A test's location is `file!():line!()` of its function. For a workspace
//! member `file!()` is relative to the workspace root (rustc is given paths
//! relative to it), so the file is `workspace_root/file`; `join` keeps an
//! absolute `file!()` as it is. The repository root is `$GITHUB_WORKSPACE`
//! on GitHub Actions, else the nearest directory above the workspace holding
//! `.git`, else the workspace root: a workspace in a subdirectory of the
//! repository still gets paths GitHub can link.

use std::path::{Component, Path, PathBuf};

/// A test function's place in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    /// Relative to the repository root, `/`-separated (absolute when the
    /// file lies outside the repository).
    pub file: String,
    /// 1-based line of the function.
    pub line: u32,
}

/// Turns test locations into repository paths.
#[derive(Debug, Clone)]
pub struct SourcePaths {
    workspace_root: PathBuf,
    repository_root: PathBuf,
}

impl SourcePaths {
    /// Paths for the workspace at `workspace_root`, relative to the
    /// repository root found from `github_workspace` (`$GITHUB_WORKSPACE`)
    /// or the nearest `.git` above.
    pub fn new(workspace_root: &Path, github_workspace: Option<&Path>) -> SourcePaths {
        let workspace_root = canonical(workspace_root);
        let repository_root = github_workspace
            .map(canonical)
            .filter(|root| workspace_root.starts_with(root))
            .or_else(|| {
                workspace_root
                    .ancestors()
                    .find(|dir| dir.join(".git").exists())
                    .map(Path::to_owned)
            })
            .unwrap_or_else(|| workspace_root.clone());
        SourcePaths {
            workspace_root,
            repository_root,
        }
    }

    /// Paths for this process's environment (`GITHUB_WORKSPACE`).
    pub fn from_env(workspace_root: &Path) -> SourcePaths {
        let github_workspace = std::env::var_os("GITHUB_WORKSPACE")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from);
        SourcePaths::new(workspace_root, github_workspace.as_deref())
    }

    /// The repository location of `location` (`tests/leaks.rs:12`); `None`
    /// when it has no line.
    pub fn locate(&self, location: &str) -> Option<SourceLocation> {
        let (file, line) = location.rsplit_once(':')?;
        let line: u32 = line.parse().ok()?;
        let absolute = normalize(&self.workspace_root.join(file));
        let relative = absolute
            .strip_prefix(&self.repository_root)
            .unwrap_or(&absolute);
        let file = if relative.is_absolute() {
            relative.to_string_lossy().into_owned()
        } else {
            let parts: Vec<_> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy())
                .collect();
            parts.join("/")
        };
        Some(SourceLocation { file, line })
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| normalize(path))
}

/// Drops `.` and resolves `..` textually (source paths need not exist here).
fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_files_are_relative_to_the_repository() {
        let repo = tempfile::tempdir().unwrap();
        let workspace = repo.path().join("rust");
        std::fs::create_dir_all(repo.path().join(".git")).unwrap();
        std::fs::create_dir_all(&workspace).unwrap();
        let paths = SourcePaths::new(&workspace, None);
        assert_eq!(
            paths.locate("parser/tests/leaks.rs:12"),
            Some(SourceLocation {
                file: "rust/parser/tests/leaks.rs".to_owned(),
                line: 12
            })
        );
        assert_eq!(paths.locate("no line"), None);
    }

    #[test]
    fn github_workspace_is_the_root_when_it_holds_the_workspace() {
        let repo = tempfile::tempdir().unwrap();
        let workspace = repo.path().join("a").join("b");
        std::fs::create_dir_all(&workspace).unwrap();
        let paths = SourcePaths::new(&workspace, Some(repo.path()));
        assert_eq!(
            paths.locate("./tests/leaks.rs:3").unwrap().file,
            "a/b/tests/leaks.rs"
        );
        // A GITHUB_WORKSPACE elsewhere is ignored.
        let elsewhere = tempfile::tempdir().unwrap();
        let paths = SourcePaths::new(&workspace, Some(elsewhere.path()));
        assert_eq!(
            paths.locate("tests/leaks.rs:3").unwrap().file,
            "tests/leaks.rs"
        );
    }

    #[test]
    fn files_outside_the_repository_stay_absolute() {
        let repo = tempfile::tempdir().unwrap();
        let paths = SourcePaths::new(repo.path(), Some(repo.path()));
        let location = paths.locate("/elsewhere/src/lib.rs:7").unwrap();
        assert_eq!(location.file, "/elsewhere/src/lib.rs");
        assert_eq!(location.line, 7);
    }
}
