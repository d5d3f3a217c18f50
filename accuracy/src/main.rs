//! `cargo run -p leaktest-accuracy`: runs the accuracy corpus and the
//! examples at default settings and prints the README's accuracy table;
//! `-- --check README.md` fails when the README's table differs.

use clap::Parser;
use leaktest_accuracy::run::{run_corpus, RunOptions};
use leaktest_accuracy::table::{markdown, table_in, tally, TABLE_END, TABLE_START};
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs leaktest's accuracy corpus and prints its table.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Compare the table with the one in this README (between its markers)
    /// and fail when they differ.
    #[arg(long, value_name = "README")]
    check: Option<PathBuf>,
    /// Build into this directory instead of cargo's default.
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), String> {
    let mut options = RunOptions::for_this_workspace();
    options.target_dir = cli.target_dir.clone();
    eprintln!(
        "running the accuracy corpus and the examples with cargo leaktest (about a minute)..."
    );
    let cases = run_corpus(&options).map_err(|error| error.to_string())?;
    let tallies = tally(&cases).map_err(|error| error.to_string())?;
    for class in &tallies {
        eprintln!(
            "{:>3} cases, runs up to {}.{}x their iterations: {}",
            class.cases,
            class.longest_extension_tenths / 10,
            class.longest_extension_tenths % 10,
            class.class.title
        );
        for wrong in &class.wrong {
            eprintln!("    wrong: {wrong}");
        }
    }
    let table = markdown(&tallies);
    println!("{TABLE_START}\n{table}{TABLE_END}");
    if let Some(readme) = &cli.check {
        let text = std::fs::read_to_string(readme)
            .map_err(|error| format!("could not read {}: {error}", readme.display()))?;
        let Some(published) = table_in(&text) else {
            return Err(format!(
                "{} has no accuracy table between `{TABLE_START}` and `{TABLE_END}`",
                readme.display()
            ));
        };
        if published != table.trim_end() {
            return Err(format!(
                "the accuracy table of {} differs from what the corpus gives; replace it with the \
                 table printed above.\n--- published\n{published}\n--- measured\n{table}",
                readme.display()
            ));
        }
        eprintln!("the table of {} is up to date", readme.display());
    }
    Ok(())
}
