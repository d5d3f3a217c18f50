//! Wake-up pipes of per-request event loops that are never closed.
//!
//! **Incident shape.** A service created a fresh event loop for every
//! request (to run one batch of async calls) and relied on the loop being
//! closed "when it is collected". Each loop owns a self-pipe: a pipe whose
//! write end other threads use to wake the loop's `poll`. The loops were kept
//! alive by a registry of running loops that nobody pruned, so two
//! descriptors leaked per request, and the service failed with "too many
//! open files" after a day.
//!
//! **Fix.** Close the loop when the request ends: here, drop it (its pipe
//! closes with it) instead of parking it in the registry.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

/// The self-pipe of an event loop: a write wakes the loop, which drains the
/// read end when it wakes.
#[derive(Debug)]
pub struct WakeupPipe {
    read_end: File,
    write_end: File,
}

impl WakeupPipe {
    /// A new non-blocking pipe, closed on exec.
    pub fn new() -> io::Result<WakeupPipe> {
        let mut ends = [0; 2];
        // SAFETY: pipe2 writes two descriptors into `ends` on success.
        let status = unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) };
        if status != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just opened by pipe2 and are owned by nothing else.
        let (read_end, write_end) =
            unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
        Ok(WakeupPipe {
            read_end: File::from(read_end),
            write_end: File::from(write_end),
        })
    }

    /// Wakes the loop.
    pub fn wake(&self) -> io::Result<()> {
        (&self.write_end).write_all(&[1])
    }

    /// Consumes pending wake-ups; returns how many there were.
    pub fn drain(&self) -> io::Result<usize> {
        let mut buffer = [0u8; 64];
        let mut woken = 0;
        loop {
            match (&self.read_end).read(&mut buffer) {
                Ok(0) => return Ok(woken),
                Ok(read) => woken += read,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(woken),
                Err(error) => return Err(error),
            }
        }
    }
}

/// A minimal event loop for one request: it is woken once per job and counts
/// the jobs it ran.
#[derive(Debug)]
pub struct RequestLoop {
    wakeup: WakeupPipe,
    jobs_run: usize,
}

impl RequestLoop {
    /// A loop with its own wake-up pipe.
    pub fn new() -> io::Result<RequestLoop> {
        Ok(RequestLoop {
            wakeup: WakeupPipe::new()?,
            jobs_run: 0,
        })
    }

    /// Queues `jobs` wake-ups and runs them.
    pub fn run(&mut self, jobs: usize) -> io::Result<usize> {
        for _ in 0..jobs {
            self.wakeup.wake()?;
        }
        self.jobs_run += self.wakeup.drain()?;
        Ok(self.jobs_run)
    }
}

/// LEAKY: every request's loop is kept in a registry of running loops that is
/// never pruned.
#[derive(Debug, Default)]
pub struct LoopRegistry {
    loops: Vec<RequestLoop>,
}

impl LoopRegistry {
    /// No loops yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles one request on a new loop, and registers the loop.
    pub fn handle_request(&mut self, jobs: usize) -> io::Result<usize> {
        let mut request_loop = RequestLoop::new()?;
        let ran = request_loop.run(jobs)?;
        self.loops.push(request_loop);
        Ok(ran)
    }

    /// Loops registered (and still holding their pipes).
    pub fn open_loops(&self) -> usize {
        self.loops.len()
    }
}

/// FIXED: the request's loop is dropped, closing both ends of its pipe.
pub fn handle_request(jobs: usize) -> io::Result<usize> {
    RequestLoop::new()?.run(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_runs_every_job_it_was_woken_for() -> io::Result<()> {
        assert_eq!(handle_request(3)?, 3);
        let mut registry = LoopRegistry::new();
        assert_eq!(registry.handle_request(2)?, 2);
        assert_eq!(registry.open_loops(), 1);
        Ok(())
    }
}
