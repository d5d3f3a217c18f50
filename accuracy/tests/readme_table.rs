//! The README's accuracy table is what the corpus gives today: this runs the
//! corpus and the examples as `cargo run -p leaktest-accuracy -- --check
//! README.md` does, in the target directory the end-to-end tests share (so
//! leaktest-core and its dependencies are built once for both), and fails
//! on any case judged wrong or any difference from the published table.

use leaktest_accuracy::run::{run_corpus, RunOptions};
use leaktest_accuracy::table::{markdown, table_in, tally};

#[test]
fn the_readme_table_is_what_the_corpus_gives() {
    let mut options = RunOptions::for_this_workspace();
    options.target_dir = Some(leaktest_e2e::fixture_target_dir());
    let cases = run_corpus(&options).expect("run the corpus");
    let tallies = tally(&cases).expect("sort the cases into classes");
    let wrong: Vec<&String> = tallies.iter().flat_map(|class| &class.wrong).collect();
    assert!(wrong.is_empty(), "cases judged wrong: {wrong:#?}");
    let table = markdown(&tallies);
    let readme_path = options.workspace.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).expect("read the README");
    assert_eq!(
        table_in(&readme),
        Some(table.trim_end()),
        "the README's accuracy table is out of date: replace it with the output of \
         `cargo run -p leaktest-accuracy`"
    );
}
