//! `cargo leaktest`: find, build and run the leak tests of a workspace, each in
//! a process of its own, and report their verdicts.
//!
//! This file only parses the command line and turns the outcome into an exit
//! code (see [`exit_codes`]); [`run`] holds the steps, one module each.

mod atomic_file;
mod baseline;
mod build;
mod ci;
mod cli;
mod config;
mod describe;
mod discovery;
mod error;
mod exit_codes;
mod interrupt;
mod no_tests;
mod output;
mod partition;
mod run;
mod schedule;
mod select;
mod source_paths;
mod test_key;

fn main() {
    // cargo, the describe runs and every test are waited for.
    leaktest_core::isolation::wait_for_children_normally();
    let mut args = cli::Args::from_env();
    let outcome = match args.command.take() {
        Some(command) => baseline::commands::run(command),
        None => run::run(args),
    };
    let code = match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!(
                "{} {error}",
                console::style("error:").for_stderr().red().bold()
            );
            error.exit_code()
        }
    };
    std::process::exit(code);
}
