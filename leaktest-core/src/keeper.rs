//! The supervisor of a test's process (Linux).
//!
//! The process a runner starts for one test does not run the test itself: it
//! forks the process that does, and stays behind as its keeper. The keeper is
//! a child subreaper (`PR_SET_CHILD_SUBREAPER`), so every process the test
//! starts ends up as the keeper's child once its own parent is gone, daemons
//! that double-fork and call `setsid` included. It runs none of the test's
//! code, so nothing the test does to its own signal handlers reaches it.
//!
//! - When the test's process ends, the keeper kills every process still left
//!   (reported as leaked: they outlived their test), reaps them, and writes
//!   [`SupervisorReport`] into the record directory; when the test exited
//!   with code 0 and left nothing, it renames the test's record to its own
//!   record name instead (see [`finish`]).
//! - When the runner asks it to stop (SIGTERM: timeout, Ctrl-C) or dies (its
//!   parent-death signal, [`RUNNER_DIED`], a signal of its own: the runner's
//!   thread that started the keeper may die a moment before the runner is
//!   gone), the keeper kills the test's process and everything it started the
//!   same way; when the runner died it also removes the record directory
//!   (and an attribution run's profile directory), which nobody will read.
//! - The test's process dies with SIGKILL when the keeper dies, whatever it
//!   does with its own signals.

use crate::model::{LeakedProcess, SCHEMA_VERSION};
use crate::process::{self, ExitStatus};
use crate::protocol::{self, SupervisorReport};
use std::fs::File;

/// Exit code of a keeper (or a test's process) whose parent was gone before
/// the test started.
pub(crate) const EXIT_PARENT_GONE: i32 = 5;
/// Exit code of a keeper that could not write its report.
pub(crate) const EXIT_REPORT_UNWRITABLE: i32 = 4;
/// The keeper's parent-death signal: the runner died. Not the stop request
/// (SIGTERM), so the keeper can tell whether anybody will read its report.
const RUNNER_DIED: i32 = libc::SIGUSR1;
/// Most leaked processes listed in a report (all of them are killed).
const MOST_LISTED: usize = 100;
/// Rounds of killing after which processes still appearing are left to the
/// process-group kill: only a fork bomb outpaces this many.
const MOST_KILL_ROUNDS: usize = 1000;

/// Forks the test's process and supervises it. Returns only in the test's
/// process; the keeper exits once the test and what it started are gone.
///
/// `parent` is the runner's process id: a keeper whose parent already died
/// (while this process started) removes the directories and exits at once. `profile_dir`, an attribution run's profile directory, is
/// removed with the record directory when the runner dies. Without a fork
/// (this process runs several threads already, which a fork would not copy)
/// this process runs the test itself, dying with SIGKILL when the runner
/// dies, and the runner's process-group kill is all that cleans up after it.
pub(crate) fn fork_test_process(
    record_dir: &File,
    profile_dir: Option<&File>,
    parent: Option<u32>,
) {
    let directories = RunDirectories {
        record: record_dir,
        profile: profile_dir,
    };
    if !process::is_single_threaded() {
        die_with_parent(libc::SIGKILL, parent, &directories);
        return;
    }
    // SAFETY: prctl and sigprocmask take plain values and write only into the
    // signal sets we pass; fork is called while this process runs one thread.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
        let mut watched: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut watched);
        for signal in [
            libc::SIGCHLD,
            libc::SIGTERM,
            libc::SIGINT,
            libc::SIGHUP,
            RUNNER_DIED,
        ] {
            libc::sigaddset(&mut watched, signal);
        }
        let mut previous: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &watched, &mut previous);
        die_with_parent(RUNNER_DIED, parent, &directories);
        let keeper = libc::getpid();
        match libc::fork() {
            -1 => {
                // No fork: run the test here, as without a keeper.
                libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut());
                libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 0);
                die_with_parent(libc::SIGKILL, parent, &directories);
            }
            0 => {
                libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut());
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() != keeper {
                    libc::_exit(EXIT_PARENT_GONE);
                }
                // Its own group, so the keeper can take down the test's
                // group without taking itself along.
                libc::setpgid(0, 0);
            }
            test => {
                libc::setpgid(test, test);
                let (report, runner_died) = supervise(test as u32, &watched);
                finish(&directories, &report, runner_died, parent);
            }
        }
    }
}

/// The directories a runner handed down to one test's process: the record
/// directory, and an attribution run's profile directory.
struct RunDirectories<'a> {
    record: &'a File,
    profile: Option<&'a File>,
}

impl RunDirectories<'_> {
    /// Removes both: nobody will read them.
    fn remove(&self) {
        for dir in std::iter::once(self.record).chain(self.profile) {
            let _ = remove_directory(dir);
        }
    }
}

/// Sets this process's parent-death signal, then, if the parent is already
/// gone (it died while this process started, before the signal was armed),
/// removes the run's directories, which nobody else will, and exits.
fn die_with_parent(signal: i32, parent: Option<u32>, directories: &RunDirectories) {
    // SAFETY: prctl takes plain values.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signal) };
    if parent_gone(parent) {
        directories.remove();
        // SAFETY: _exit has no preconditions.
        unsafe { libc::_exit(EXIT_PARENT_GONE) };
    }
}

/// Whether the runner `parent` is no longer this process's parent.
fn parent_gone(parent: Option<u32>) -> bool {
    // SAFETY: getppid has no preconditions.
    parent.is_some_and(|parent| unsafe { libc::getppid() } as u32 != parent)
}

/// Waits for the test's process to end, for a stop request or for the
/// runner's death, then kills what is left and reaps it all. Returns the
/// report, and whether the runner died.
fn supervise(test: u32, watched: &libc::sigset_t) -> (SupervisorReport, bool) {
    let (stopped, runner_died) = loop {
        if reap_until_test_exits(test) {
            break (false, false);
        }
        // SAFETY: sigwaitinfo reads the set and writes the siginfo we pass.
        let signal = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::sigwaitinfo(watched, &mut info)
        };
        match signal {
            RUNNER_DIED => break (true, true),
            libc::SIGTERM | libc::SIGINT | libc::SIGHUP => break (true, false),
            _ => {}
        }
    };
    if stopped {
        process::signal_process(test, libc::SIGKILL);
        process::exited_unreaped(test, true);
    }
    // The test's process is a zombie until reaped below: its id, which is
    // also its group's id, cannot be reused meanwhile.
    let leaked_processes = kill_what_is_left(test);
    process::signal_group(test, libc::SIGKILL);
    let exit = reap(test);
    let report = SupervisorReport {
        schema_version: SCHEMA_VERSION,
        test_pid: test,
        exit,
        leaked_processes,
    };
    (report, runner_died)
}

/// Reaps children other than the test's process that have exited (orphans
/// that ended during the test). True once the test's process has exited; it
/// is left unreaped.
fn reap_until_test_exits(test: u32) -> bool {
    loop {
        // SAFETY: waitid writes only into the siginfo_t we pass.
        let (result, exited) = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let result = libc::waitid(
                libc::P_ALL,
                0,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            );
            (result, info.si_pid())
        };
        if result != 0 || exited == 0 {
            return false;
        }
        if exited as u32 == test {
            return true;
        }
        reap(exited as u32);
    }
}

/// Kills every child of this keeper but the test's process, generation by
/// generation (the children of a killed process become the keeper's), and
/// lists those that were still running: they outlived their test.
fn kill_what_is_left(test: u32) -> Vec<LeakedProcess> {
    let mut leaked = Vec::new();
    for _ in 0..MOST_KILL_ROUNDS {
        // The keeper runs one thread: its `children` list is all of them.
        let children: Vec<_> = process::own_children(true)
            .into_iter()
            .filter(|child| child.pid != test)
            .collect();
        if children.is_empty() {
            break;
        }
        for child in &children {
            // Ended already, or dying of a SIGKILL the test sent: not left running.
            let running = !child.has_ended && !process::is_being_killed(child.pid);
            if running && leaked.len() < MOST_LISTED {
                leaked.push(LeakedProcess::new(
                    child.pid,
                    process::command_line(child.pid),
                ));
            }
            process::signal_process(child.pid, libc::SIGKILL);
        }
        for child in &children {
            reap(child.pid);
        }
    }
    leaked
}

/// Reaps child `pid` and returns how it ended.
fn reap(pid: u32) -> ExitStatus {
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes only into `status`.
        let result = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::__WALL) };
        if result >= 0 {
            break;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return ExitStatus::default();
        }
    }
    if libc::WIFSIGNALED(status) {
        ExitStatus {
            code: None,
            signal: Some(libc::WTERMSIG(status)),
        }
    } else {
        ExitStatus {
            code: Some(libc::WEXITSTATUS(status)),
            signal: None,
        }
    }
}

/// Writes the report and exits; when the runner died (or is gone), removes
/// the record directory and the profile directory instead (nobody will read
/// them).
///
/// When the test's process exited with code 0 and left nothing running (the
/// common case), the report would say only that: the keeper then hands the
/// test's record over under its own name instead, `record-<keeper pid>.json`
/// (a rename within the directory), and writes no report. The runner, seeing
/// no report, reads the record of the process it started, exited with code
/// 0, exactly as where no keeper runs. A file created costs more than the
/// rename (an inode allocated: 0.1 ms and more on a busy ext4), and this is
/// paid by every test.
fn finish(
    directories: &RunDirectories,
    report: &SupervisorReport,
    runner_died: bool,
    parent: Option<u32>,
) -> ! {
    let record_dir = directories.record;
    if runner_died || parent_gone(parent) {
        directories.remove();
        exit(EXIT_PARENT_GONE);
    }
    if report.exit.success()
        && report.leaked_processes.is_empty()
        && hand_over_record(record_dir, report.test_pid).is_ok()
    {
        exit(0);
    }
    let written = serde_json::to_vec(report)
        .map_err(std::io::Error::other)
        .and_then(|json| {
            protocol::write_file_atomically(record_dir, protocol::SUPERVISOR_REPORT_FILE, &json)
        });
    match written {
        Ok(()) => exit(0),
        Err(error) => {
            eprintln!("{}{error}", protocol::SUPERVISOR_REPORT_UNWRITABLE_NOTE);
            exit(EXIT_REPORT_UNWRITABLE);
        }
    }
}

/// Ends the keeper with `code` at once. The keeper ran none of the test's
/// code and printed nothing to stdout (its few messages go unbuffered to
/// stderr): the exit handlers and buffers it inherited from before the fork
/// are the test's process's to run and flush, not a second time here. It
/// also spares the keeper std's and the C library's cleanup.
fn exit(code: i32) -> ! {
    // SAFETY: _exit ends the process without running anything more.
    unsafe { libc::_exit(code) }
}

/// Renames the record of process `test` to this process's record name: the
/// keeper vouches for it. Fails when the test delivered no record.
fn hand_over_record(record_dir: &File, test: u32) -> std::io::Result<()> {
    use std::ffi::CString;
    let from = CString::new(protocol::record_file_name(test)).map_err(std::io::Error::other)?;
    let to = CString::new(protocol::record_file_name(std::process::id()))
        .map_err(std::io::Error::other)?;
    protocol::rename_in(record_dir, &from, &to)
}

/// Removes the directory `dir` is open on.
fn remove_directory(dir: &File) -> std::io::Result<()> {
    std::fs::remove_dir_all(protocol::directory_path(dir)?)
}
