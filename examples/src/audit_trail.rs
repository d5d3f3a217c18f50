//! A per-connection audit trail kept in two parallel vectors, never trimmed.
//!
//! **Incident shape.** A "recent activity" view records, for every request,
//! its id and the user who made it, in two vectors side by side (one
//! pre-sized for a typical session, one not). Nothing ever trims them. Both
//! grow by doubling, so their reallocations come in pairs at nearby calls
//! (60 and 64, 120 and 128, 240 and 256, ...) with long quiet stretches in
//! between: a run that ends in such a stretch looks as if the growth had
//! stopped, although it is quiet for exactly as long as it has grown.
//!
//! **Fix.** Keep only the latest [`RECENT_CAPACITY`] entries: the view never
//! showed more.

use std::collections::VecDeque;

/// How many requests the fixed trail keeps for the activity view.
pub const RECENT_CAPACITY: usize = 32;

/// The ids a session pre-sizes the id vector for.
const TYPICAL_SESSION_REQUESTS: usize = 60;

/// LEAKY: every request's id and user, in two vectors nobody trims.
#[derive(Debug)]
pub struct AuditTrail {
    request_ids: Vec<u64>,
    user_ids: Vec<u32>,
}

impl Default for AuditTrail {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditTrail {
    /// An empty trail, its id vector sized for a typical session.
    pub fn new() -> Self {
        AuditTrail {
            request_ids: Vec::with_capacity(TYPICAL_SESSION_REQUESTS),
            user_ids: Vec::new(),
        }
    }

    /// Records one request.
    pub fn record(&mut self, request_id: u64, user_id: u32) {
        self.request_ids.push(request_id);
        self.user_ids.push(user_id);
    }

    /// The requests recorded so far.
    pub fn len(&self) -> usize {
        self.request_ids.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.request_ids.is_empty()
    }
}

/// FIXED: the latest [`RECENT_CAPACITY`] requests, older ones dropped.
#[derive(Debug, Default)]
pub struct RecentAuditTrail {
    entries: VecDeque<(u64, u32)>,
}

impl RecentAuditTrail {
    /// An empty trail.
    pub fn new() -> Self {
        RecentAuditTrail {
            entries: VecDeque::with_capacity(RECENT_CAPACITY),
        }
    }

    /// Records one request, dropping the oldest beyond the capacity.
    pub fn record(&mut self, request_id: u64, user_id: u32) {
        if self.entries.len() == RECENT_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back((request_id, user_id));
    }

    /// The requests kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leaky_trail_keeps_everything_and_the_fixed_one_the_latest() {
        let mut leaky = AuditTrail::new();
        let mut fixed = RecentAuditTrail::new();
        for id in 0..100 {
            leaky.record(id, 7);
            fixed.record(id, 7);
        }
        assert_eq!(leaky.len(), 100);
        assert_eq!(fixed.len(), RECENT_CAPACITY);
        assert_eq!(fixed.entries.back(), Some(&(99, 7)));
    }
}
