//! `cargo leaktest baseline merge OUT IN...`: one baseline out of the
//! baselines saved by the shards of a `--partition`ed run.
//!
//! The inputs must have been measured alike (target, build profile, rustc)
//! and hold disjoint tests; the result lists every input's partitions, and a
//! warning names the shards of a partition that are missing.

use super::file::BaselineError;
use super::model::Baseline;
use crate::partition::{Partition, PartitionKind};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The merged baseline, and warnings about it.
#[derive(Debug)]
pub struct Merged {
    /// Every input's tests.
    pub baseline: Baseline,
    /// Shards missing from the partitions the inputs name.
    pub warnings: Vec<String>,
}

/// Merges `inputs` (file, baseline), in the order given.
pub fn merge(inputs: Vec<(PathBuf, Baseline)>) -> Result<Merged, BaselineError> {
    let mut inputs = inputs.into_iter();
    let Some((first_path, mut merged)) = inputs.next() else {
        return Err(BaselineError::NothingToMerge);
    };
    let mut origin: std::collections::BTreeMap<String, PathBuf> = merged
        .tests
        .keys()
        .map(|key| (key.clone(), first_path.clone()))
        .collect();
    for (path, baseline) in inputs {
        let differences = measured_differently(&merged, &baseline);
        if !differences.is_empty() {
            return Err(BaselineError::MergeMismatch {
                first: first_path,
                second: path,
                differences: differences.join("; "),
            });
        }
        for (key, entry) in baseline.tests {
            if let Some(first) = origin.get(&key) {
                return Err(BaselineError::MergeOverlap {
                    test: key,
                    first: first.clone(),
                    second: path,
                });
            }
            origin.insert(key.clone(), path.clone());
            merged.tests.insert(key, entry);
        }
        merged.partitions.extend(baseline.partitions);
    }
    let partitions: BTreeSet<String> = merged.partitions.drain(..).collect();
    merged.partitions = partitions.into_iter().collect();
    let warnings = missing_shards(&merged.partitions);
    Ok(Merged {
        baseline: merged,
        warnings,
    })
}

fn measured_differently(a: &Baseline, b: &Baseline) -> Vec<String> {
    let mut differences = Vec::new();
    if a.target != b.target {
        differences.push(format!("target {} and {}", a.target, b.target));
    }
    if a.build_profile != b.build_profile {
        differences.push(format!(
            "build profile `{}` and `{}`",
            a.build_profile, b.build_profile
        ));
    }
    if a.rustc != b.rustc {
        let name = |rustc: &Option<String>| rustc.clone().unwrap_or_else(|| "unknown".to_owned());
        differences.push(format!("rustc {} and {}", name(&a.rustc), name(&b.rustc)));
    }
    differences
}

/// `shards 2, 4 of hash:M/4 are missing` for each partition not complete.
fn missing_shards(partitions: &[String]) -> Vec<String> {
    let parsed: Vec<Partition> = partitions
        .iter()
        .filter_map(|text| text.parse().ok())
        .collect();
    let groups: BTreeSet<(PartitionKind, u64)> = parsed
        .iter()
        .map(|partition| (partition.kind, partition.shards))
        .collect();
    groups
        .into_iter()
        .filter_map(|(kind, shards)| {
            let present: BTreeSet<u64> = parsed
                .iter()
                .filter(|partition| partition.kind == kind && partition.shards == shards)
                .map(|partition| partition.shard)
                .collect();
            let missing: Vec<String> = (1..=shards)
                .filter(|shard| !present.contains(shard))
                .map(|shard| shard.to_string())
                .collect();
            let (noun, verb) = if missing.len() == 1 {
                ("shard", "is")
            } else {
                ("shards", "are")
            };
            (!missing.is_empty()).then(|| {
                format!(
                    "{noun} {} of {}:M/{shards} {verb} missing: their tests are not in the merged baseline",
                    missing.join(", "),
                    kind.name(),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::model::tests::record;
    use crate::baseline::model::{Entry, FORMAT, FORMAT_VERSION};
    use leaktest_core::model::Outcome;

    fn shard(partition: &str, tests: &[&str]) -> Baseline {
        let entry = Entry::from_record(&record(Outcome::Passed, 0.0, 100, None), None).unwrap();
        Baseline {
            build_profile: "dev".to_owned(),
            format: FORMAT.to_owned(),
            leaktest_version: "0.1.0".to_owned(),
            partitions: vec![partition.to_owned()],
            rustc: Some("1.95.0".to_owned()),
            target: "x86_64-unknown-linux-gnu".to_owned(),
            tests: tests
                .iter()
                .map(|name| ((*name).to_owned(), entry.clone()))
                .collect(),
            version: FORMAT_VERSION,
        }
    }

    #[test]
    fn shards_merge_into_one_baseline() {
        let merged = merge(vec![
            ("b.json".into(), shard("hash:2/2", &["p::t::b"])),
            ("a.json".into(), shard("hash:1/2", &["p::t::a", "p::t::c"])),
        ])
        .unwrap();
        assert_eq!(
            merged.baseline.tests.keys().collect::<Vec<_>>(),
            ["p::t::a", "p::t::b", "p::t::c"]
        );
        assert_eq!(merged.baseline.partitions, ["hash:1/2", "hash:2/2"]);
        assert!(merged.warnings.is_empty(), "{:?}", merged.warnings);
    }

    #[test]
    fn a_missing_shard_is_a_warning() {
        let merged = merge(vec![
            ("a.json".into(), shard("slice:1/4", &["p::t::a"])),
            ("c.json".into(), shard("slice:3/4", &["p::t::c"])),
        ])
        .unwrap();
        assert_eq!(
            merged.warnings,
            ["shards 2, 4 of slice:M/4 are missing: their tests are not in the merged baseline"]
        );
    }

    #[test]
    fn overlapping_or_differently_measured_shards_do_not_merge() {
        let overlap = merge(vec![
            ("a.json".into(), shard("hash:1/2", &["p::t::a"])),
            ("b.json".into(), shard("hash:2/2", &["p::t::a"])),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            overlap.starts_with("a.json and b.json both hold `p::t::a`"),
            "{overlap}"
        );
        let mut release = shard("hash:2/2", &["p::t::b"]);
        release.build_profile = "release".to_owned();
        let mismatch = merge(vec![
            ("a.json".into(), shard("hash:1/2", &["p::t::a"])),
            ("b.json".into(), release),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            mismatch.contains("build profile `dev` and `release`"),
            "{mismatch}"
        );
    }
}
