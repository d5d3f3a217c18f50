//! Structures that hold memory without leaking it: their size wanders at
//! random within a bound, or fills up to a capacity larger than the run.

use std::collections::{HashMap, VecDeque};

/// Bytes of one pooled buffer.
const BUFFER_BYTES: usize = 256;

/// A pool of idle buffers that keeps at most `capacity` of them. Each call
/// either gives a buffer back (a request finished) or takes one out (a
/// request started), at random: the pool's size wanders like a random walk
/// held within `0..=capacity`.
#[derive(Debug)]
pub struct BufferPool {
    idle: Vec<Vec<u8>>,
    capacity: usize,
    random: fastrand::Rng,
}

impl BufferPool {
    /// An empty pool of at most `capacity` buffers, its choices drawn from `seed`.
    pub fn new(capacity: usize, seed: u64) -> BufferPool {
        BufferPool {
            idle: Vec::new(),
            capacity,
            random: fastrand::Rng::with_seed(seed),
        }
    }

    /// One call: gives a buffer back or takes one out, at random.
    pub fn serve(&mut self) {
        if self.random.bool() {
            if self.idle.len() < self.capacity {
                self.idle.push(vec![0; BUFFER_BYTES]);
            }
        } else {
            drop(self.idle.pop());
        }
    }

    /// Idle buffers in the pool.
    pub fn len(&self) -> usize {
        self.idle.len()
    }

    /// Whether the pool holds no idle buffer.
    pub fn is_empty(&self) -> bool {
        self.idle.is_empty()
    }
}

/// A job waiting in a [`WorkQueue`].
#[derive(Debug)]
pub struct Job {
    /// What the job carries.
    pub payload: String,
}

/// A queue of jobs under random load: each call enqueues up to
/// `max_arrivals` jobs and completes up to `max_completions`, both drawn at
/// random. With equal bounds the queue's length is a random walk held above
/// zero (a queue at its capacity's edge); with more completions than
/// arrivals it stays short.
#[derive(Debug)]
pub struct WorkQueue {
    pending: VecDeque<Job>,
    max_arrivals: usize,
    max_completions: usize,
    random: fastrand::Rng,
    next_job: u64,
}

impl WorkQueue {
    /// An empty queue, its load drawn from `seed`.
    pub fn new(max_arrivals: usize, max_completions: usize, seed: u64) -> WorkQueue {
        WorkQueue {
            pending: VecDeque::new(),
            max_arrivals,
            max_completions,
            random: fastrand::Rng::with_seed(seed),
            next_job: 0,
        }
    }

    /// One call: jobs arrive, jobs complete.
    pub fn serve(&mut self) {
        for _ in 0..self.random.usize(0..=self.max_arrivals) {
            self.next_job += 1;
            self.pending.push_back(Job {
                payload: format!("job {:>24}", self.next_job),
            });
        }
        for _ in 0..self.random.usize(0..=self.max_completions) {
            drop(self.pending.pop_front());
        }
    }

    /// Jobs waiting.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no job is waiting.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

/// A least-recently-inserted cache of `capacity` profiles, fed a new key by
/// every call: it fills for `capacity` calls, then evicts one entry per call.
#[derive(Debug)]
pub struct ProfileCache {
    profiles: HashMap<u64, String>,
    order: VecDeque<u64>,
    capacity: usize,
    next_key: u64,
}

impl ProfileCache {
    /// An empty cache of `capacity` entries.
    pub fn new(capacity: usize) -> ProfileCache {
        ProfileCache {
            profiles: HashMap::new(),
            order: VecDeque::new(),
            capacity,
            next_key: 0,
        }
    }

    /// One call: loads the profile of a key never seen before.
    pub fn load_new(&mut self) -> usize {
        let key = self.next_key;
        self.next_key += 1;
        if self.order.len() == self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.profiles.remove(&oldest);
            }
        }
        self.order.push_back(key);
        let profile = self
            .profiles
            .entry(key)
            .or_insert_with(|| format!("profile of user {key:>32}"));
        profile.len()
    }

    /// Profiles cached.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }
}

/// Counters per key over `keys` distinct keys, visited in turn by the calls:
/// one new entry per call until every key was seen, then only updates.
#[derive(Debug)]
pub struct KeyCounters {
    counters: HashMap<u64, (String, u64)>,
    keys: u64,
    calls: u64,
}

impl KeyCounters {
    /// No counter yet, over `keys` keys.
    pub fn new(keys: u64) -> KeyCounters {
        KeyCounters {
            counters: HashMap::new(),
            keys,
            calls: 0,
        }
    }

    /// One call: counts a hit on the next key.
    pub fn hit_next(&mut self) -> u64 {
        let key = self.calls % self.keys;
        self.calls += 1;
        let (_, hits) = self
            .counters
            .entry(key)
            .or_insert_with(|| (format!("/api/items/{key:>16}"), 0));
        *hits += 1;
        *hits
    }
}

/// The latest `bound` events, kept in a `Vec` that drops its older half when
/// full: its capacity doubles up to the bound, then stays.
#[derive(Debug)]
pub struct RecentEvents {
    events: Vec<u64>,
    bound: usize,
    calls: u64,
}

impl RecentEvents {
    /// No event yet; at most `bound` kept.
    pub fn new(bound: usize) -> RecentEvents {
        RecentEvents {
            events: Vec::new(),
            bound,
            calls: 0,
        }
    }

    /// Like [`RecentEvents::new`], already holding `initial` events (loaded
    /// at start-up, with room for just them): its capacity doubles at calls
    /// `initial` and `3 × initial`, ... up to the bound.
    pub fn starting_with(bound: usize, initial: usize) -> RecentEvents {
        let mut events = Vec::with_capacity(initial);
        events.extend(0..initial as u64);
        RecentEvents {
            events,
            bound,
            calls: initial as u64,
        }
    }

    /// One call: records an event.
    pub fn record(&mut self) {
        if self.events.len() == self.bound {
            self.events.drain(..self.bound / 2);
        }
        self.calls += 1;
        self.events.push(self.calls);
    }
}

/// A renderer that keeps the buffer of its last response until the next
/// call: a buffer of random size, held across the sample taken after each
/// call and freed by the next one (transient noise of up to `max_bytes`).
#[derive(Debug)]
pub struct ResponseRenderer {
    last_response: Vec<u8>,
    max_bytes: usize,
    random: fastrand::Rng,
}

impl ResponseRenderer {
    /// A renderer whose responses are up to `max_bytes` long, their sizes drawn from `seed`.
    pub fn new(max_bytes: usize, seed: u64) -> ResponseRenderer {
        ResponseRenderer {
            last_response: Vec::new(),
            max_bytes,
            random: fastrand::Rng::with_seed(seed),
        }
    }

    /// One call: renders a response of random size, replacing the last one.
    pub fn render(&mut self) -> usize {
        let size = self.random.usize(1..=self.max_bytes);
        self.last_response = vec![b'x'; size];
        self.last_response.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_stays_within_its_capacity_and_moves() {
        let mut pool = BufferPool::new(8, 1);
        let mut sizes = std::collections::BTreeSet::new();
        for _ in 0..500 {
            pool.serve();
            assert!(pool.len() <= 8);
            sizes.insert(pool.len());
        }
        assert!(sizes.len() > 5, "{sizes:?}");
    }

    #[test]
    fn a_queue_with_more_completions_stays_short() {
        let mut queue = WorkQueue::new(3, 4, 7);
        for _ in 0..1000 {
            queue.serve();
        }
        assert!(queue.len() < 30, "{}", queue.len());
    }

    #[test]
    fn the_cache_evicts_at_its_capacity() {
        let mut cache = ProfileCache::new(10);
        for _ in 0..25 {
            cache.load_new();
        }
        assert_eq!(cache.len(), 10);
    }

    #[test]
    fn key_counters_revisit_their_keys() {
        let mut counters = KeyCounters::new(3);
        let hits: Vec<u64> = (0..7).map(|_| counters.hit_next()).collect();
        assert_eq!(hits, [1, 1, 1, 2, 2, 2, 3]);
    }

    #[test]
    fn recent_events_keep_at_most_the_bound() {
        let mut events = RecentEvents::new(10);
        for _ in 0..95 {
            events.record();
        }
        assert!(events.events.len() <= 10);
        assert_eq!(events.events.last(), Some(&95));
    }

    #[test]
    fn the_renderer_keeps_one_response() {
        let mut renderer = ResponseRenderer::new(100, 3);
        for _ in 0..20 {
            let size = renderer.render();
            assert!((1..=100).contains(&size));
        }
    }
}
