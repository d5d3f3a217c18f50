//! BENIGN: a thread pool started on first use.
//!
//! **Why a naive check flags it.** The first call starts the pool's worker
//! threads and they live until the process exits: the thread count goes up by
//! [`POOL_THREADS`] once. Threads that stay but do not multiply are not a
//! leak.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

/// Worker threads in the shared pool.
pub const POOL_THREADS: usize = 2;

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    jobs: Mutex<Sender<Job>>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let inbox = Arc::new(Mutex::new(inbox));
        for _ in 0..POOL_THREADS {
            let inbox = Arc::clone(&inbox);
            thread::spawn(move || worker_loop(&inbox));
        }
        Pool {
            jobs: Mutex::new(jobs),
        }
    })
}

fn worker_loop(inbox: &Mutex<Receiver<Job>>) {
    loop {
        // Hold the lock only to take a job, not while running it.
        let next = match inbox.lock() {
            Ok(inbox) => inbox.recv(),
            Err(_) => return,
        };
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Sums `0..n` on the shared pool and waits for the answer (`None` if the pool
/// is gone).
pub fn sum_on_pool(n: u64) -> Option<u64> {
    let (answer, result) = mpsc::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send((0..n).sum::<u64>());
    });
    pool().jobs.lock().ok()?.send(job).ok()?;
    result.recv().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_on_the_pool() {
        assert_eq!(sum_on_pool(10), Some(45));
        assert_eq!(sum_on_pool(0), Some(0));
    }
}
