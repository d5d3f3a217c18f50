//! A leak on every k-th call: the failure path keeps what it should drop.
//!
//! **Incident shape.** Leaks that live on a rare path (a retry, an error
//! branch, a slow-client timeout) grow in steps: nothing for nine calls, then
//! a chunk. Averages over a short run look flat and a before/after check
//! taken between two failures sees nothing. Here every tenth delivery fails
//! and the message is parked in a dead-letter list that nothing drains.
//!
//! **Fix.** A bounded dead-letter queue: keep the last few failures for
//! inspection, count the rest and let them go.

use std::collections::VecDeque;

/// Every `FAILURE_PERIOD`-th delivery fails.
pub const FAILURE_PERIOD: u64 = 10;

/// How many failed messages the fixed dispatcher keeps for inspection.
pub const DEAD_LETTER_CAPACITY: usize = 4;

/// A message to deliver.
#[derive(Debug, Clone)]
pub struct Message {
    /// Sequence number.
    pub seq: u64,
    /// The message body.
    pub body: Vec<u8>,
}

impl Message {
    /// A message with a 256-byte body.
    pub fn new(seq: u64) -> Self {
        Message {
            seq,
            body: vec![(seq % 251) as u8; 256],
        }
    }
}

/// Pretends to deliver; every [`FAILURE_PERIOD`]-th message fails.
fn deliver(message: &Message) -> Result<usize, ()> {
    if message.seq % FAILURE_PERIOD == FAILURE_PERIOD - 1 {
        Err(())
    } else {
        Ok(message.body.len())
    }
}

/// LEAKY: failed messages go to a dead-letter list that is never drained.
#[derive(Debug, Default)]
pub struct Dispatcher {
    next_seq: u64,
    dead_letters: Vec<Message>,
}

impl Dispatcher {
    /// A dispatcher with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds and delivers the next message; returns the bytes delivered.
    pub fn send_next(&mut self) -> usize {
        let message = Message::new(self.next_seq);
        self.next_seq += 1;
        match deliver(&message) {
            Ok(bytes) => bytes,
            Err(()) => {
                self.dead_letters.push(message);
                0
            }
        }
    }

    /// Failed messages kept (grows by one every [`FAILURE_PERIOD`] sends).
    pub fn dead_letters(&self) -> usize {
        self.dead_letters.len()
    }
}

/// FIXED: keeps at most [`DEAD_LETTER_CAPACITY`] failed messages.
#[derive(Debug)]
pub struct BoundedDispatcher {
    next_seq: u64,
    dead_letters: VecDeque<Message>,
    dropped_failures: u64,
}

impl Default for BoundedDispatcher {
    fn default() -> Self {
        Self::new()
    }
}

impl BoundedDispatcher {
    /// A dispatcher with no history.
    pub fn new() -> Self {
        BoundedDispatcher {
            next_seq: 0,
            dead_letters: VecDeque::with_capacity(DEAD_LETTER_CAPACITY),
            dropped_failures: 0,
        }
    }

    /// Builds and delivers the next message; returns the bytes delivered.
    pub fn send_next(&mut self) -> usize {
        let message = Message::new(self.next_seq);
        self.next_seq += 1;
        match deliver(&message) {
            Ok(bytes) => bytes,
            Err(()) => {
                if self.dead_letters.len() == DEAD_LETTER_CAPACITY {
                    self.dead_letters.pop_front();
                    self.dropped_failures += 1;
                }
                self.dead_letters.push_back(message);
                0
            }
        }
    }

    /// Failed messages kept for inspection (at most [`DEAD_LETTER_CAPACITY`]).
    pub fn dead_letters(&self) -> usize {
        self.dead_letters.len()
    }

    /// Failed messages counted and let go.
    pub fn dropped_failures(&self) -> u64 {
        self.dropped_failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_in_ten_fails() {
        let mut leaky = Dispatcher::new();
        let mut fixed = BoundedDispatcher::new();
        for _ in 0..100 {
            leaky.send_next();
            fixed.send_next();
        }
        assert_eq!(leaky.dead_letters(), 10);
        assert_eq!(fixed.dead_letters(), DEAD_LETTER_CAPACITY);
        assert_eq!(fixed.dropped_failures(), 6);
    }
}
