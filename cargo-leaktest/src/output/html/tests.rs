use super::*;
use leaktest_core::model::{
    Judgement, Outcome, Reason, Resource, ResourceReport, Settings, TestDescription,
};

#[test]
fn the_report_is_written_whole_and_replaces_the_previous_one() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let report_dir = dir.path().join("nested").join("report");
    let path = write(&report_dir, "<p>first</p>").expect("written");
    assert_eq!(path, report_dir.join(INDEX_FILE));
    write(&report_dir, "<p>second</p>").expect("written again");
    assert_eq!(
        std::fs::read_to_string(&path).expect("readable"),
        "<p>second</p>"
    );
    let files: Vec<_> = std::fs::read_dir(&report_dir)
        .expect("listed")
        .map(|entry| entry.expect("an entry").file_name())
        .collect();
    assert_eq!(files, [INDEX_FILE], "no temporary file left behind");
}

#[test]
fn a_file_in_the_way_of_the_directory_is_reported_before_the_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let blocker = dir.path().join("report");
    std::fs::write(&blocker, "not a directory").expect("written");
    let error = prepare(&blocker).expect_err("a file is not a directory");
    assert!(
        matches!(error, ReportError::CreateDirectory { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&blocker.display().to_string()),
        "{message}"
    );
    assert!(message.contains("--report"), "{message}");
}

#[test]
fn a_reported_test_keeps_the_plot_and_drops_the_series() {
    let mut settings = Settings::default();
    settings.iterations = 100;
    settings.warmup = 10;
    let description = TestDescription::new("leaky", "tests/leaks.rs:1", settings);
    let mut record = TestRecord::without_run(&description, Outcome::Leaked, 5);
    record.iterations_run = 100;
    let cause = Reason::KeptRising {
        late_growth: 50,
        steps: 50,
        from_iteration: 50,
    };
    record.resources = vec![ResourceReport::new(
        Resource::HeapBytes,
        (0..100).collect(),
        Judgement::new(Resource::HeapBytes, true, 90, 1.0, 90, cause),
    )];
    let test = ReportedTest::new("a::leaks".to_owned(), record);
    assert!(test.record.resources[0].series.is_empty());
    assert!(test.record.resources[0].judgement.leaking);
    let plot = &test.plots[0];
    assert_eq!(
        (
            plot.resource,
            plot.sample_count,
            plot.warmup,
            plot.late_start
        ),
        (Resource::HeapBytes, 100, 10, 50)
    );
    assert_eq!(plot.samples.len(), 100);
}
