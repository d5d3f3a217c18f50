//! Hook processes that are started and never waited for.
//!
//! **Incident shape.** A job runner started a user-configured hook command
//! (`on_done = "notify-send ..."`) after every job, fire-and-forget, so that a
//! slow hook could not hold the runner up. Nobody waited for the hooks: each
//! one, once finished, stayed a zombie in the process table (its exit status
//! unread) until the runner hit the per-user process limit and could start
//! nothing, not even the next job. In Rust, dropping a `std::process::Child`
//! neither waits for nor kills the process.
//!
//! **Fix.** Wait for the hook (or keep its `Child` and reap it with
//! `try_wait` later, on a thread or in the runner's loop).

use std::io;
use std::process::{Child, Command, ExitStatus, Stdio};

/// Starts the hook: `sh -c SCRIPT` with no input or output.
fn start_hook(script: &str) -> io::Result<Child> {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

/// LEAKY: starts the hook and forgets it; the finished process is never reaped.
pub fn run_hook_detached(script: &str) -> io::Result<u32> {
    let hook = start_hook(script)?;
    Ok(hook.id())
}

/// FIXED: starts the hook and waits for it, which reaps it.
pub fn run_hook(script: &str) -> io::Result<ExitStatus> {
    start_hook(script)?.wait()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_run_with_or_without_waiting() -> io::Result<()> {
        assert!(run_hook("exit 0")?.success());
        assert!(!run_hook("exit 3")?.success());
        assert!(run_hook_detached(":")? > 0);
        Ok(())
    }
}
