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

use std::io::{self, PipeReader, PipeWriter, Read, Write};

/// The self-pipe of an event loop: a write wakes the loop, which reads the
/// wake-ups from the other end when it wakes.
#[derive(Debug)]
pub struct WakeupPipe {
    read_end: PipeReader,
    write_end: PipeWriter,
}

impl WakeupPipe {
    /// A new pipe (closed on exec, as std opens every descriptor).
    pub fn new() -> io::Result<WakeupPipe> {
        let (read_end, write_end) = io::pipe()?;
        Ok(WakeupPipe {
            read_end,
            write_end,
        })
    }

    /// Wakes the loop.
    pub fn wake(&mut self) -> io::Result<()> {
        self.write_end.write_all(&[1])
    }

    /// Consumes `wakeups` wake-ups (blocking until they have been written).
    pub fn consume(&mut self, wakeups: usize) -> io::Result<()> {
        let mut buffer = [0u8; 64];
        let mut left = wakeups;
        while left > 0 {
            let chunk = left.min(buffer.len());
            self.read_end.read_exact(&mut buffer[..chunk])?;
            left -= chunk;
        }
        Ok(())
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

    /// Queues `jobs` wake-ups and runs them; returns the jobs run so far.
    pub fn run(&mut self, jobs: usize) -> io::Result<usize> {
        for _ in 0..jobs {
            self.wakeup.wake()?;
        }
        self.wakeup.consume(jobs)?;
        self.jobs_run += jobs;
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
