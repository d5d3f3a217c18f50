//! A set of closed connection ids that nobody prunes.
//!
//! **Incident shape.** A websocket connection manager kept
//! `closed_websockets: set[int]` so that a second `close()` on the same socket
//! would be a no-op. Ids were added on every close and never removed: after a
//! few days of reconnecting clients the set held millions of integers.
//!
//! **Fix.** The set is not needed at all. Ids are handed out in increasing
//! order, so an id below `next_id` that is no longer open is closed; removing
//! it from the open map is the whole bookkeeping. (If a set is needed, prune it
//! when the id can no longer come back, or bound it.)
//!
//! The growth of a `HashSet<u64>` is geometric in bytes: the table doubles at
//! 4, 8, 15, 29, 57, 113, 225 ... entries and stays put in between. A leak
//! detector that looks at consecutive differences sees a handful of steps, not
//! a slope; leaktest extends the run to confirm that the steps keep coming.

use std::collections::{HashMap, HashSet};

/// What the tracker keeps about an open connection.
#[derive(Debug)]
struct OpenConnection {
    /// The peer's address, as a client would log it.
    peer: String,
    /// Bytes received and not yet parsed.
    read_buffer: Vec<u8>,
}

impl OpenConnection {
    fn new(id: u64) -> Self {
        OpenConnection {
            peer: format!("10.0.{}.{}:443", (id >> 8) & 0xff, id & 0xff),
            read_buffer: Vec::with_capacity(256),
        }
    }
}

/// LEAKY: remembers every closed id in a set that is never pruned.
#[derive(Debug, Default)]
pub struct RememberingTracker {
    next_id: u64,
    open: HashMap<u64, OpenConnection>,
    closed: HashSet<u64>,
}

impl RememberingTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a new connection and returns its id.
    pub fn open(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.open.insert(id, OpenConnection::new(id));
        id
    }

    /// Closes `id`; returns `false` if it was already closed (or never opened).
    ///
    /// The leak: `closed` gains one entry per connection, forever.
    pub fn close(&mut self, id: u64) -> bool {
        if self.closed.contains(&id) {
            return false;
        }
        self.closed.insert(id);
        self.open.remove(&id).is_some()
    }

    /// Connections currently open.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// Closed ids still remembered (grows without bound).
    pub fn remembered_closed(&self) -> usize {
        self.closed.len()
    }
}

/// FIXED: keeps only open connections; "closed" is derived, not stored.
#[derive(Debug, Default)]
pub struct PrunedTracker {
    next_id: u64,
    open: HashMap<u64, OpenConnection>,
}

impl PrunedTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a new connection and returns its id.
    pub fn open(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.open.insert(id, OpenConnection::new(id));
        id
    }

    /// Closes `id`; returns `false` if it was already closed (or never opened).
    pub fn close(&mut self, id: u64) -> bool {
        self.open.remove(&id).is_some()
    }

    /// Whether `id` was handed out and is no longer open.
    pub fn is_closed(&self, id: u64) -> bool {
        id < self.next_id && !self.open.contains_key(&id)
    }

    /// Connections currently open.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// The peer of an open connection, if `id` is open.
    pub fn peer(&self, id: u64) -> Option<&str> {
        self.open.get(&id).map(|conn| conn.peer.as_str())
    }

    /// Buffered, unparsed bytes of an open connection.
    pub fn buffered_bytes(&self, id: u64) -> Option<usize> {
        self.open.get(&id).map(|conn| conn.read_buffer.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_close_is_a_no_op_in_both() {
        let mut leaky = RememberingTracker::new();
        let id = leaky.open();
        assert!(leaky.close(id));
        assert!(!leaky.close(id));
        assert_eq!(leaky.remembered_closed(), 1);

        let mut fixed = PrunedTracker::new();
        let id = fixed.open();
        assert_eq!(fixed.peer(id), Some("10.0.0.0:443"));
        assert_eq!(fixed.buffered_bytes(id), Some(0));
        assert!(fixed.close(id));
        assert!(!fixed.close(id));
        assert!(fixed.is_closed(id));
        assert!(!fixed.is_closed(id + 1));
        assert_eq!(fixed.open_count(), 0);
    }
}
