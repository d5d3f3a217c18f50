//! `--partition hash:M/N` and `--partition slice:M/N`: split the selected
//! tests into N shards so N CI jobs together run every test exactly once.
//!
//! The partition applies after the filters, to every test the filters keep
//! (ignored ones too, so each shard reports only its own).
//!
//! - `hash:M/N` keeps the tests whose xxh64 (seed 0) of
//!   `package::target::name` ([`TestKey`]) is `M - 1` modulo `N`. A test
//!   stays in its shard when other tests are added, removed or filtered out;
//!   shards can be uneven, even empty, for small suites. The hash will not
//!   change within a major version of leaktest.
//! - `slice:M/N` sorts the selected tests by key and deals them round-robin:
//!   shard sizes differ by at most one, but adding a test moves others.

use crate::select::Plan;
use crate::test_key::TestKey;
use std::fmt;
use std::str::FromStr;

/// How tests are dealt to shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PartitionKind {
    /// By a hash of each test's key: stable when the test set changes.
    Hash,
    /// Round-robin over the sorted selection: even shard sizes.
    Slice,
}

impl PartitionKind {
    /// `hash` or `slice`, as written in `--partition`.
    pub fn name(self) -> &'static str {
        match self {
            PartitionKind::Hash => "hash",
            PartitionKind::Slice => "slice",
        }
    }
}

/// One shard of a partition: `hash:2/4` is shard 2 of 4, dealt by hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// How tests are dealt.
    pub kind: PartitionKind,
    /// This shard, from 1 to `shards`.
    pub shard: u64,
    /// How many shards there are.
    pub shards: u64,
}

const SYNTAX: &str = "use `hash:M/N` or `slice:M/N` with shards counted from 1, e.g. `hash:1/4`";

impl FromStr for Partition {
    type Err = String;

    /// Parses `hash:M/N` or `slice:M/N`; the error says what is wrong and the syntax.
    fn from_str(text: &str) -> Result<Partition, String> {
        let (kind, numbers) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}` is not a partition: {SYNTAX}"))?;
        let kind = match kind {
            "hash" => PartitionKind::Hash,
            "slice" => PartitionKind::Slice,
            other => {
                return Err(format!(
                    "unknown partition kind `{other}` in `{text}`: {SYNTAX}"
                ))
            }
        };
        let (shard, shards) = numbers
            .split_once('/')
            .ok_or_else(|| format!("`{text}` has no shard count: {SYNTAX}"))?;
        let number = |part: &str| {
            part.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{part}` in `{text}` is not a whole number: {SYNTAX}"))
        };
        let (shard, shards) = (number(shard)?, number(shards)?);
        if shards == 0 {
            return Err(format!("`{text}` has no shards: {SYNTAX}"));
        }
        if shard == 0 || shard > shards {
            return Err(format!(
                "shard {shard} of `{text}` does not exist: shards are numbered 1 to {shards}"
            ));
        }
        Ok(Partition {
            kind,
            shard,
            shards,
        })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.kind.name(), self.shard, self.shards)
    }
}

/// The shard (0-based) `hash:` puts a test in.
pub fn hash_bucket(key: &TestKey, shards: u64) -> u64 {
    xxhash_rust::xxh64::xxh64(key.to_string().as_bytes(), 0) % shards
}

impl Partition {
    /// Which of `keys` (the whole selection, in any order) fall in this
    /// shard, index for index.
    pub fn members(&self, keys: &[TestKey]) -> Vec<bool> {
        let wanted = self.shard - 1;
        match self.kind {
            PartitionKind::Hash => keys
                .iter()
                .map(|key| hash_bucket(key, self.shards) == wanted)
                .collect(),
            PartitionKind::Slice => {
                let mut order: Vec<usize> = (0..keys.len()).collect();
                order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
                let mut members = vec![false; keys.len()];
                for (position, index) in order.into_iter().enumerate() {
                    members[index] = position as u64 % self.shards == wanted;
                }
                members
            }
        }
    }

    /// Keeps the tests of `plan` (to run and ignored) that fall in this
    /// shard; the others are counted in [`Plan::partitioned_out`].
    pub fn apply<'h>(&self, plan: Plan<'h>) -> Plan<'h> {
        let keys: Vec<TestKey> = plan
            .to_run
            .iter()
            .chain(plan.ignored.iter().map(|(test, _)| test))
            .map(TestKey::of)
            .collect();
        let mut members = self.members(&keys).into_iter();
        let before = keys.len();
        let to_run: Vec<_> = plan
            .to_run
            .into_iter()
            .filter(|_| members.next().unwrap_or(false))
            .collect();
        let ignored: Vec<_> = plan
            .ignored
            .into_iter()
            .filter(|_| members.next().unwrap_or(false))
            .collect();
        Plan {
            partitioned_out: plan.partitioned_out + before - to_run.len() - ignored.len(),
            to_run,
            ignored,
            filtered_out: plan.filtered_out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(count: usize) -> Vec<TestKey> {
        (0..count)
            .map(|i| TestKey {
                package: format!("p{}", i % 3),
                target: "leaks".to_owned(),
                name: format!("module::test_{i}"),
            })
            .collect()
    }

    fn shards(text: &str, keys: &[TestKey]) -> Vec<Vec<bool>> {
        let base: Partition = text.parse().unwrap();
        (1..=base.shards)
            .map(|shard| Partition { shard, ..base }.members(keys))
            .collect()
    }

    fn assert_each_test_in_exactly_one(shards: &[Vec<bool>], count: usize) {
        for test in 0..count {
            let homes = shards.iter().filter(|shard| shard[test]).count();
            assert_eq!(homes, 1, "test {test} is in {homes} shards");
        }
    }

    #[test]
    fn both_kinds_put_every_test_in_exactly_one_shard() {
        let keys = keys(50);
        for spec in [
            "hash:1/4",
            "slice:1/4",
            "hash:1/1",
            "slice:1/7",
            "hash:1/60",
        ] {
            assert_each_test_in_exactly_one(&shards(spec, &keys), keys.len());
        }
    }

    #[test]
    fn slices_are_even_and_follow_the_sorted_order() {
        let keys = keys(10);
        let sizes: Vec<usize> = shards("slice:1/3", &keys)
            .iter()
            .map(|shard| shard.iter().filter(|&&member| member).count())
            .collect();
        assert_eq!(sizes, [4, 3, 3]);
        // The input order does not matter, only the keys.
        let mut reversed = keys.clone();
        reversed.reverse();
        let forward = Partition::from_str("slice:2/3").unwrap().members(&keys);
        let mut backward = Partition::from_str("slice:2/3").unwrap().members(&reversed);
        backward.reverse();
        assert_eq!(forward, backward);
    }

    #[test]
    fn a_hashed_test_keeps_its_shard_when_tests_are_added() {
        let few = keys(10);
        let many = keys(40);
        for spec in ["hash:1/3", "hash:2/3", "hash:3/3"] {
            let partition: Partition = spec.parse().unwrap();
            let before = partition.members(&few);
            let after = partition.members(&many);
            assert_eq!(before[..], after[..10], "{spec}");
        }
    }

    #[test]
    fn the_hash_is_xxh64_of_the_key_with_seed_0() {
        let key = TestKey {
            package: "alpha".to_owned(),
            target: "leaks".to_owned(),
            name: "clean_vec".to_owned(),
        };
        // Pinned: a change here would move tests between the shards of
        // every existing CI setup.
        let expected: u64 = 0x0906_e76a_b63a_afca;
        assert_eq!(
            xxhash_rust::xxh64::xxh64(b"alpha::leaks::clean_vec", 0),
            expected
        );
        assert_eq!(hash_bucket(&key, 1000), expected % 1000);
        assert_eq!(
            xxhash_rust::xxh64::xxh64(b"", 0),
            0xEF46_DB37_51D8_E999,
            "xxh64 of nothing, from the xxHash specification"
        );
    }

    #[test]
    fn bad_syntax_says_what_is_wrong_and_how_to_write_it() {
        for (text, says) in [
            ("hash", "not a partition"),
            ("count:1/2", "unknown partition kind `count`"),
            ("hash:2", "no shard count"),
            ("hash:a/2", "not a whole number"),
            ("slice:1/0", "no shards"),
            ("slice:0/3", "shards are numbered 1 to 3"),
            ("hash:4/3", "shards are numbered 1 to 3"),
        ] {
            let error = Partition::from_str(text).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
        assert_eq!(
            Partition::from_str("hash:2/3").unwrap().to_string(),
            "hash:2/3"
        );
    }
}
