//! Ctrl-C, SIGTERM and SIGHUP: how a run of `cargo leaktest` is interrupted.
//!
//! The first signal is the interruption: the cancel flag is set (no new test
//! starts, the running ones are stopped with their whole process tree, the
//! finished ones are reported, the summary and `run_finished` are printed and
//! the exit code is 128 + the signal), and while cargo builds, the signal is
//! forwarded to cargo's process group and cargo is waited for.
//!
//! Signals arriving within [`SAME_INTERRUPTION`] of the first are the same
//! interruption: coreutils `timeout` signals the process and then its group,
//! so one timeout delivers two. A signal after that is a deliberate second
//! one: the run is abandoned at once, but every running test is still stopped
//! with what it started, their record directories are removed, and cargo's
//! group is killed.

use crate::error::Error;
use crate::exit_codes;
use leaktest_core::isolation;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Signals within this long of the first are one interruption.
pub const SAME_INTERRUPTION: Duration = Duration::from_secs(1);

/// A signal that ends a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: a CI runner or a supervisor stopping the job.
    Terminate,
    /// SIGHUP: the terminal went away.
    Hangup,
}

impl StopSignal {
    fn from_number(number: i32) -> Option<StopSignal> {
        match number {
            SIGINT => Some(StopSignal::Interrupt),
            SIGTERM => Some(StopSignal::Terminate),
            SIGHUP => Some(StopSignal::Hangup),
            _ => None,
        }
    }

    /// The signal's number.
    pub fn number(self) -> i32 {
        match self {
            StopSignal::Interrupt => SIGINT,
            StopSignal::Terminate => SIGTERM,
            StopSignal::Hangup => SIGHUP,
        }
    }

    /// `SIGINT`, `SIGTERM`, `SIGHUP`.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::Hangup => "SIGHUP",
        }
    }

    /// The exit code of a run it ended: 128 + the signal, as shells report it.
    pub fn exit_code(self) -> i32 {
        match self {
            StopSignal::Interrupt => exit_codes::INTERRUPTED,
            StopSignal::Terminate => exit_codes::TERMINATED,
            StopSignal::Hangup => exit_codes::HUNG_UP,
        }
    }
}

/// What a signal does, given when the first one came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// The first signal: interrupt the run.
    Interrupt,
    /// Part of the interruption already under way: nothing more to do.
    SameInterruption,
    /// A deliberate second signal: abandon the run now.
    Abandon,
}

/// How a signal arriving at `now` is taken, when the first came at `first`.
pub fn react(first: Option<Instant>, now: Instant) -> Reaction {
    match first {
        None => Reaction::Interrupt,
        Some(first) if now.saturating_duration_since(first) < SAME_INTERRUPTION => {
            Reaction::SameInterruption
        }
        Some(_) => Reaction::Abandon,
    }
}

struct Shared {
    cancel: Arc<AtomicBool>,
    first: Mutex<Option<(StopSignal, Instant)>>,
    /// The process group signals are forwarded to (cargo's, while it builds); 0 for none.
    forward_group: AtomicU32,
}

/// The run's interruption state, fed by a thread that waits for signals.
#[derive(Clone)]
pub struct Interrupt {
    shared: Arc<Shared>,
}

impl Interrupt {
    /// Starts handling SIGINT, SIGTERM and SIGHUP.
    pub fn install() -> Result<Interrupt, Error> {
        let mut signals =
            Signals::new([SIGINT, SIGTERM, SIGHUP]).map_err(Error::InterruptHandler)?;
        let interrupt = Interrupt {
            shared: Arc::new(Shared {
                cancel: Arc::new(AtomicBool::new(false)),
                first: Mutex::new(None),
                forward_group: AtomicU32::new(0),
            }),
        };
        let handling = interrupt.clone();
        std::thread::Builder::new()
            .name("signals".to_owned())
            .spawn(move || {
                for number in signals.forever() {
                    if let Some(signal) = StopSignal::from_number(number) {
                        handling.receive(signal);
                    }
                }
            })
            .map_err(Error::InterruptHandler)?;
        Ok(interrupt)
    }

    fn receive(&self, signal: StopSignal) {
        let now = Instant::now();
        let mut first = self
            .shared
            .first
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match react(first.map(|(_, at)| at), now) {
            Reaction::Interrupt => {
                *first = Some((signal, now));
                self.shared.cancel.store(true, Ordering::SeqCst);
                self.forward(signal.number());
            }
            Reaction::SameInterruption => {}
            Reaction::Abandon => {
                let first_signal = first.map_or(signal, |(first, _)| first);
                drop(first);
                eprintln!(
                    "cargo leaktest: interrupted again; stopping the running tests and abandoning the run"
                );
                isolation::stop_all_running();
                self.forward(libc::SIGKILL);
                std::process::exit(first_signal.exit_code());
            }
        }
    }

    fn forward(&self, signal: i32) {
        let group = self.shared.forward_group.load(Ordering::SeqCst);
        if let Ok(group) = libc::pid_t::try_from(group) {
            if group > 1 {
                // SAFETY: kill has no memory-safety preconditions; the group
                // is cargo's, registered while cargo runs.
                unsafe {
                    libc::kill(-group, signal);
                }
            }
        }
    }

    /// The flag every running test and the scheduler watch.
    pub fn cancel_flag(&self) -> &Arc<AtomicBool> {
        &self.shared.cancel
    }

    /// The signal that interrupted the run, if one did.
    pub fn signal(&self) -> Option<StopSignal> {
        self.shared
            .first
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map(|(signal, _)| signal)
    }

    /// Forwards the interruption to process group `group` until the returned
    /// guard is dropped (call it while the group's leader is not yet reaped).
    /// A signal that came before is forwarded at once.
    pub fn forward_to_group(&self, group: u32) -> Forwarding<'_> {
        self.shared.forward_group.store(group, Ordering::SeqCst);
        if let Some(signal) = self.signal() {
            self.forward(signal.number());
        }
        Forwarding { interrupt: self }
    }
}

/// Forwarding signals to a process group, until dropped.
pub struct Forwarding<'a> {
    interrupt: &'a Interrupt,
}

impl Drop for Forwarding<'_> {
    fn drop(&mut self) {
        self.interrupt
            .shared
            .forward_group
            .store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_together_are_one_interruption_and_a_later_one_abandons() {
        let first = Instant::now();
        assert_eq!(react(None, first), Reaction::Interrupt);
        assert_eq!(
            react(Some(first), first + Duration::from_millis(3)),
            Reaction::SameInterruption,
            "timeout signals the process, then its group"
        );
        assert_eq!(
            react(Some(first), first + SAME_INTERRUPTION),
            Reaction::Abandon
        );
    }

    #[test]
    fn exit_codes_are_128_plus_the_signal() {
        for signal in [
            StopSignal::Interrupt,
            StopSignal::Terminate,
            StopSignal::Hangup,
        ] {
            assert_eq!(signal.exit_code(), 128 + signal.number(), "{signal:?}");
        }
        assert_eq!(StopSignal::Terminate.exit_code(), 143);
    }
}
