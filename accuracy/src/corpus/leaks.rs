//! Leaks of every rate and shape: kept by every call or by some calls, from
//! some call on, at random, in doubling collections, inside structures that
//! fluctuate, under transient noise, and next to a bump given back early.

use crate::corpus::bounded::{BufferPool, ResponseRenderer, WorkQueue};
use std::collections::{HashMap, HashSet};
use std::fs::File;

/// Which calls of a [`DeadLetters`] keep a message.
#[derive(Debug)]
pub enum Schedule {
    /// Every `n`-th call (1: every call).
    Every(u64),
    /// Every call from call `onset` on.
    From(u64),
    /// Each call with probability `p`, drawn from a seeded generator.
    AtRandom {
        /// The probability per call.
        p: f64,
        /// The generator.
        random: fastrand::Rng,
    },
}

impl Schedule {
    /// Calls kept at random with probability `p`, drawn from `seed`.
    pub fn at_random(p: f64, seed: u64) -> Schedule {
        Schedule::AtRandom {
            p,
            random: fastrand::Rng::with_seed(seed),
        }
    }

    fn keeps(&mut self, call: u64) -> bool {
        match self {
            Schedule::Every(n) => call % *n == n.saturating_sub(1),
            Schedule::From(onset) => call >= *onset,
            Schedule::AtRandom { p, random } => random.f64() < *p,
        }
    }
}

/// Messages that could not be delivered, kept "for inspection" and never
/// pruned: the calls its [`Schedule`] picks each keep one message of
/// `message_bytes` bytes.
#[derive(Debug)]
pub struct DeadLetters {
    kept: Vec<Box<[u8]>>,
    schedule: Schedule,
    message_bytes: usize,
    calls: u64,
}

impl DeadLetters {
    /// No message kept yet.
    pub fn new(schedule: Schedule, message_bytes: usize) -> DeadLetters {
        DeadLetters {
            kept: Vec::new(),
            schedule,
            message_bytes,
            calls: 0,
        }
    }

    /// One delivery: the message is kept when the schedule says so.
    pub fn deliver(&mut self) {
        let call = self.calls;
        self.calls += 1;
        if self.schedule.keeps(call) {
            self.kept
                .push(vec![0x5a; self.message_bytes].into_boxed_slice());
        }
    }

    /// Messages kept so far.
    pub fn kept(&self) -> usize {
        self.kept.len()
    }
}

/// A [`BufferPool`] whose checkouts are recorded in an audit log nobody
/// trims: one block kept per call, inside a structure that fluctuates.
#[derive(Debug)]
pub struct AuditedPool {
    pool: BufferPool,
    audit: Vec<String>,
}

impl AuditedPool {
    /// An empty pool of at most `capacity` buffers, its choices drawn from `seed`.
    pub fn new(capacity: usize, seed: u64) -> AuditedPool {
        AuditedPool {
            pool: BufferPool::new(capacity, seed),
            audit: Vec::new(),
        }
    }

    /// One call to the pool, recorded.
    pub fn serve(&mut self) {
        self.pool.serve();
        self.audit.push(format!("checkout {}", self.audit.len()));
    }
}

/// A [`WorkQueue`] that remembers every call's batch in a list nobody prunes.
#[derive(Debug)]
pub struct RememberingQueue {
    queue: WorkQueue,
    batches: Vec<String>,
}

impl RememberingQueue {
    /// An empty queue under random load drawn from `seed`.
    pub fn new(max_arrivals: usize, max_completions: usize, seed: u64) -> RememberingQueue {
        RememberingQueue {
            queue: WorkQueue::new(max_arrivals, max_completions, seed),
            batches: Vec::new(),
        }
    }

    /// One call to the queue, remembered.
    pub fn serve(&mut self) {
        self.queue.serve();
        self.batches
            .push(format!("{} jobs waiting", self.queue.len()));
    }
}

/// A registry whose bookkeeping first rises by several KiB and hundreds of
/// blocks (calls 10 to 29 register 15 pending entries each) and gives them
/// back (calls 30 to 44 complete 20 each, then the table is shrunk), while a
/// slow, irregular leak goes on: each call orphans an entry with probability
/// `p`, and orphans are never removed.
#[derive(Debug)]
pub struct Registry {
    pending: HashMap<u64, Box<[u8; 24]>>,
    orphans: Vec<String>,
    orphan_probability: f64,
    random: fastrand::Rng,
    calls: u64,
    next_entry: u64,
}

impl Registry {
    /// An empty registry orphaning entries with probability `p` per call, drawn from `seed`.
    pub fn new(p: f64, seed: u64) -> Registry {
        Registry {
            pending: HashMap::new(),
            orphans: Vec::new(),
            orphan_probability: p,
            random: fastrand::Rng::with_seed(seed),
            calls: 0,
            next_entry: 0,
        }
    }

    /// One call.
    pub fn handle(&mut self) {
        let call = self.calls;
        self.calls += 1;
        match call {
            10..=29 => {
                for _ in 0..15 {
                    self.next_entry += 1;
                    self.pending.insert(self.next_entry, Box::new([0; 24]));
                }
            }
            30..=44 => {
                let done: Vec<u64> = self.pending.keys().take(20).copied().collect();
                for entry in done {
                    self.pending.remove(&entry);
                }
                if call == 44 {
                    self.pending.shrink_to_fit();
                }
            }
            _ => {}
        }
        if self.random.f64() < self.orphan_probability {
            self.orphans.push(format!("orphaned at call {call}"));
        }
    }

    /// Entries pending.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// The ids of closed connections, kept so that `close` is idempotent and
/// never pruned: a `HashSet` that grows by doubling its table.
#[derive(Debug, Default)]
pub struct ClosedIds {
    closed: HashSet<u64>,
}

impl ClosedIds {
    /// One call: a connection opens and closes.
    pub fn open_and_close(&mut self) -> bool {
        let id = self.closed.len() as u64;
        self.closed.insert(id)
    }
}

/// Every event ever seen, in a `Vec` that doubles its capacity.
#[derive(Debug, Default)]
pub struct EventHistory {
    events: Vec<u64>,
}

impl EventHistory {
    /// A history that already holds `initial` events, with room for just
    /// them (loaded at start-up): its doublings come at calls `initial`,
    /// `3 × initial`, `7 × initial`, ..., not tied to the run's halves.
    pub fn starting_with(initial: usize) -> EventHistory {
        let mut events = Vec::with_capacity(initial);
        events.extend(0..initial as u64);
        EventHistory { events }
    }

    /// One call: an event is appended.
    pub fn record(&mut self) {
        self.events.push(self.events.len() as u64);
    }
}

/// Every request's id and user, in two `Vec`s side by side, one pre-sized
/// for 60 entries: their doublings come in pairs (60 and 64, 120 and 128,
/// ...), with long quiet stretches in between.
#[derive(Debug)]
pub struct ParallelHistory {
    request_ids: Vec<u64>,
    user_ids: Vec<u64>,
}

impl Default for ParallelHistory {
    fn default() -> Self {
        ParallelHistory {
            request_ids: Vec::with_capacity(60),
            user_ids: Vec::new(),
        }
    }
}

impl ParallelHistory {
    /// One call: a request is appended to both.
    pub fn record(&mut self) {
        let id = self.request_ids.len() as u64;
        self.request_ids.push(id);
        self.user_ids.push(id % 7);
    }
}

/// A [`ResponseRenderer`] (transient noise of up to 256 bytes) next to a
/// list of request timestamps that grows by exactly 8 bytes per call, in
/// place: the heap grows, the number of blocks does not.
#[derive(Debug)]
pub struct TimestampedRenderer {
    renderer: ResponseRenderer,
    timestamps: Vec<u64>,
}

impl TimestampedRenderer {
    /// A renderer whose response sizes are drawn from `seed`.
    pub fn new(seed: u64) -> TimestampedRenderer {
        TimestampedRenderer {
            renderer: ResponseRenderer::new(256, seed),
            timestamps: Vec::new(),
        }
    }

    /// One call: renders, and keeps the call's timestamp.
    pub fn render(&mut self) -> usize {
        self.timestamps.reserve_exact(1);
        self.timestamps.push(self.timestamps.len() as u64);
        self.renderer.render()
    }
}

/// A [`ResponseRenderer`] (transient noise of up to 256 bytes) whose every
/// tenth call keeps a failed response for a retry that never comes.
#[derive(Debug)]
pub struct RetryingRenderer {
    renderer: ResponseRenderer,
    failed: DeadLetters,
}

impl RetryingRenderer {
    /// A renderer whose response sizes are drawn from `seed`.
    pub fn new(seed: u64) -> RetryingRenderer {
        RetryingRenderer {
            renderer: ResponseRenderer::new(256, seed),
            failed: DeadLetters::new(Schedule::Every(10), 32),
        }
    }

    /// One call.
    pub fn render(&mut self) -> usize {
        self.failed.deliver();
        self.renderer.render()
    }
}

/// Opens a file on every call; every tenth call keeps it open, forgotten in
/// a list of handles "to close later".
#[derive(Debug, Default)]
pub struct HandleKeeper {
    forgotten: Vec<File>,
    calls: u64,
}

impl HandleKeeper {
    /// One call: reads `/dev/null`.
    pub fn read_null(&mut self) -> std::io::Result<()> {
        let file = File::open("/dev/null")?;
        self.calls += 1;
        if self.calls.is_multiple_of(10) {
            self.forgotten.push(file);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_pick_their_calls() {
        let picked = |mut schedule: Schedule| -> Vec<u64> {
            (0..30).filter(|&call| schedule.keeps(call)).collect()
        };
        assert_eq!(picked(Schedule::Every(10)), [9, 19, 29]);
        assert_eq!(picked(Schedule::Every(1)).len(), 30);
        assert_eq!(picked(Schedule::From(27)), [27, 28, 29]);
        let random = picked(Schedule::at_random(0.5, 1));
        assert!((5..25).contains(&random.len()), "{random:?}");
        assert_eq!(random, picked(Schedule::at_random(0.5, 1)));
    }

    #[test]
    fn dead_letters_keep_what_the_schedule_picks() {
        let mut letters = DeadLetters::new(Schedule::Every(3), 8);
        for _ in 0..10 {
            letters.deliver();
        }
        assert_eq!(letters.kept(), 3);
    }

    #[test]
    fn the_registry_gives_its_bump_back() {
        let mut registry = Registry::new(0.0, 1);
        let mut most = 0;
        for _ in 0..50 {
            registry.handle();
            most = most.max(registry.pending());
        }
        assert_eq!(most, 300);
        assert_eq!(registry.pending(), 0);
    }

    #[test]
    fn the_handle_keeper_keeps_every_tenth() {
        let mut keeper = HandleKeeper::default();
        for _ in 0..25 {
            keeper.read_null().expect("open /dev/null");
        }
        assert_eq!(keeper.forgotten.len(), 2);
    }
}
