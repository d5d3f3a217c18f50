//! Revoked session tokens appended to a list loaded at start-up, never expired.
//!
//! **Incident shape.** Logging out revokes the session's token: it goes into
//! a deny-list checked on every request. The list starts with the tokens
//! revoked before the process started (loaded from disk, exactly that many),
//! and every logout appends one. A token is useless once its session would
//! have expired anyway, but nothing removes it. The list is a `Vec<u64>`: it
//! allocates nothing per token, it only doubles its capacity, and from 30
//! loaded tokens it does so at logouts 30, 90, 210, 450, ...: each gap
//! twice the one before, not tied to any round number of calls. A run of 200
//! calls sees its last doubling at 90 and a flat second half.
//!
//! **Fix.** Drop a token once its session would have expired: with sessions
//! that outlive [`SESSION_LIFETIME_LOGOUTS`] logouts at most, the latest that
//! many tokens are all that can still matter.

use std::collections::VecDeque;

/// How many logouts a session outlives at most: older revoked tokens belong
/// to sessions that expired anyway.
pub const SESSION_LIFETIME_LOGOUTS: usize = 240;

/// LEAKY: every token ever revoked, never expired.
#[derive(Debug)]
pub struct RevocationList {
    revoked: Vec<u64>,
}

impl RevocationList {
    /// The list as loaded at start-up, holding exactly the `persisted` tokens.
    pub fn loaded(persisted: &[u64]) -> Self {
        let mut revoked = Vec::with_capacity(persisted.len());
        revoked.extend_from_slice(persisted);
        RevocationList { revoked }
    }

    /// Revokes `token` (a logout).
    pub fn revoke(&mut self, token: u64) {
        self.revoked.push(token);
    }

    /// Whether `token` was revoked.
    pub fn is_revoked(&self, token: u64) -> bool {
        self.revoked.contains(&token)
    }
}

/// FIXED: the tokens revoked within the last [`SESSION_LIFETIME_LOGOUTS`]
/// logouts; older ones are dropped.
#[derive(Debug)]
pub struct ExpiringRevocationList {
    revoked: VecDeque<u64>,
}

impl ExpiringRevocationList {
    /// The list as loaded at start-up, holding exactly the `persisted`
    /// tokens (at most the latest [`SESSION_LIFETIME_LOGOUTS`] of them).
    pub fn loaded(persisted: &[u64]) -> Self {
        let recent = &persisted[persisted.len().saturating_sub(SESSION_LIFETIME_LOGOUTS)..];
        let mut revoked = VecDeque::with_capacity(recent.len());
        revoked.extend(recent);
        ExpiringRevocationList { revoked }
    }

    /// Revokes `token` (a logout), dropping the oldest token beyond the
    /// session lifetime.
    pub fn revoke(&mut self, token: u64) {
        if self.revoked.len() == SESSION_LIFETIME_LOGOUTS {
            self.revoked.pop_front();
        }
        self.revoked.push_back(token);
    }

    /// Whether `token` was revoked within the session lifetime.
    pub fn is_revoked(&self, token: u64) -> bool {
        self.revoked.contains(&token)
    }
}

/// The 30 tokens revoked before the process started, as loaded from disk.
pub fn persisted_tokens() -> Vec<u64> {
    (1_000_000..1_000_030).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_lists_deny_a_revoked_token() {
        let mut leaky = RevocationList::loaded(&persisted_tokens());
        let mut fixed = ExpiringRevocationList::loaded(&persisted_tokens());
        assert!(leaky.is_revoked(1_000_000) && fixed.is_revoked(1_000_000));
        leaky.revoke(7);
        fixed.revoke(7);
        assert!(leaky.is_revoked(7) && fixed.is_revoked(7));
        assert!(!leaky.is_revoked(8) && !fixed.is_revoked(8));
    }

    #[test]
    fn the_fixed_list_forgets_tokens_older_than_the_session_lifetime() {
        let mut fixed = ExpiringRevocationList::loaded(&persisted_tokens());
        for token in 0..SESSION_LIFETIME_LOGOUTS as u64 {
            fixed.revoke(token);
        }
        assert!(!fixed.is_revoked(1_000_000), "a persisted token expired");
        assert!(fixed.is_revoked(0) && fixed.is_revoked(239));
        assert_eq!(fixed.revoked.len(), SESSION_LIFETIME_LOGOUTS);
    }
}
