//! `cargo leaktest`: find, build and run the leak tests of a workspace, each in
//! a process of its own, and report their verdicts.
//!
//! This file only parses the command line and turns the outcome into an exit
//! code (see [`exit_codes`]); [`run`] holds the steps, one module each.

mod build;
mod cli;
mod describe;
mod discovery;
mod error;
mod exit_codes;
mod output;
mod run;
mod schedule;
mod select;

fn main() {
    let args = cli::Args::from_env();
    let code = match run::run(args) {
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
