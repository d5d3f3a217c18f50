//! A cache without eviction, and a bounded (LRU) cache fed new keys.
//!
//! **Incident shape.** A profile cache checked expiry only on `get`, so entries
//! for users who never came back stayed forever; a cache keyed by something
//! unbounded (user ids, URLs, query strings) without a size limit is a leak by
//! another name.
//!
//! **Fix.** Bound the cache: at [`CACHE_CAPACITY`] entries, inserting a new key
//! evicts the least recently used one. Fed new keys forever, its memory rises
//! while it fills and then stays flat: a plateau, not a leak.

use std::collections::HashMap;

/// Entries the bounded cache holds at most.
pub const CACHE_CAPACITY: usize = 32;

/// A cached user profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Display name.
    pub name: String,
    /// Avatar thumbnail.
    pub avatar: Vec<u8>,
}

/// Pretends to load a profile from a database.
fn load_profile(user: u64) -> Profile {
    Profile {
        name: format!("user-{user}"),
        avatar: vec![(user % 251) as u8; 512],
    }
}

/// LEAKY: a cache that never evicts.
#[derive(Debug, Default)]
pub struct UnboundedProfileCache {
    entries: HashMap<u64, Profile>,
}

impl UnboundedProfileCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The profile of `user`, loading it on a miss and keeping it forever.
    pub fn get(&mut self, user: u64) -> &Profile {
        self.entries
            .entry(user)
            .or_insert_with(|| load_profile(user))
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[derive(Debug)]
struct Entry {
    profile: Profile,
    last_used: u64,
}

/// FIXED: at most [`CACHE_CAPACITY`] entries, least recently used evicted.
#[derive(Debug)]
pub struct ProfileCache {
    entries: HashMap<u64, Entry>,
    capacity: usize,
    clock: u64,
}

impl Default for ProfileCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ProfileCache {
    /// An empty cache of [`CACHE_CAPACITY`] entries.
    pub fn new() -> Self {
        Self::with_capacity(CACHE_CAPACITY)
    }

    /// An empty cache of `capacity` entries (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        ProfileCache {
            // Room for one more than the bound, so the eviction cycle never
            // makes the table grow.
            entries: HashMap::with_capacity(capacity + 1),
            capacity,
            clock: 0,
        }
    }

    /// The profile of `user`, loading it on a miss and evicting the least
    /// recently used entry when full.
    pub fn get(&mut self, user: u64) -> &Profile {
        self.clock += 1;
        let now = self.clock;
        if !self.entries.contains_key(&user) && self.entries.len() >= self.capacity {
            self.evict_least_recent();
        }
        let entry = self.entries.entry(user).or_insert_with(|| Entry {
            profile: load_profile(user),
            last_used: now,
        });
        entry.last_used = now;
        &entry.profile
    }

    fn evict_least_recent(&mut self) {
        let oldest = self
            .entries
            .iter()
            .min_by_key(|(_, entry)| entry.last_used)
            .map(|(&user, _)| user);
        if let Some(user) = oldest {
            self.entries.remove(&user);
        }
    }

    /// Entries held (at most the capacity).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The most entries this cache holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounded_cache_evicts_the_least_recent() {
        let mut cache = ProfileCache::with_capacity(2);
        cache.get(1);
        cache.get(2);
        cache.get(1);
        cache.get(3);
        assert_eq!(cache.len(), 2);
        assert!(cache.entries.contains_key(&1));
        assert!(!cache.entries.contains_key(&2));
    }

    #[test]
    fn the_unbounded_cache_keeps_everything() {
        let mut cache = UnboundedProfileCache::new();
        for user in 0..100 {
            assert_eq!(cache.get(user).name, format!("user-{user}"));
        }
        assert_eq!(cache.len(), 100);
    }
}
