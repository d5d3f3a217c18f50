//! `cargo leaktest baseline ...`: commands on baseline files.

use super::file;
use super::merge::merge;
use crate::ci;
use crate::cli::{BaselineCommand, Command};
use crate::error::Error;
use crate::exit_codes;

/// Runs a `baseline` command; returns the exit code.
pub fn run(command: Command) -> Result<i32, Error> {
    match command {
        Command::Baseline(BaselineCommand::Merge { out, inputs }) => {
            let baselines = inputs
                .into_iter()
                .map(|path| file::load_path(&path).map(|baseline| (path, baseline)))
                .collect::<Result<Vec<_>, _>>()?;
            let shards = baselines.len();
            let merged = merge(baselines)?;
            for warning in &merged.warnings {
                ci::warn(warning);
            }
            file::save(&merged.baseline, &out)?;
            eprintln!(
                "{} merged {shards} baseline{} ({} tests) into {}",
                console::style("note:").for_stderr().bold(),
                if shards == 1 { "" } else { "s" },
                merged.baseline.tests.len(),
                out.display()
            );
            Ok(exit_codes::SUCCESS)
        }
    }
}
