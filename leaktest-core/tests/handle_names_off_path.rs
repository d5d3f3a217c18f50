//! The two handle listings of a test run stay off the measured path: the
//! first, at the end of the warm-up, leaves nothing behind that a sample
//! could see; the second is taken once the series is complete. A clean body
//! still passes with flat series, and a leaking one gets exactly the handles
//! of its judged iterations named (so the first listing was taken where it
//! should be). One test in a binary of its own, without libtest's harness:
//! the counters cover the whole process, and libtest's threads allocate at
//! unpredictable moments.

use leaktest_core::{CountingAlloc, DirectSystem, HeapStats};

// As `main!()` installs it, so that the native (C) heap is measured too where
// it can be: the listing's `opendir` allocates through C's malloc.
#[global_allocator]
static ALLOCATOR: CountingAlloc<DirectSystem> = CountingAlloc::new(DirectSystem);

fn main() {
    #[cfg(target_os = "linux")]
    {
        listings_leave_no_trace_in_the_series_and_name_what_leaked();
        println!("test result: ok. 1 passed; 0 failed (listings_leave_no_trace_in_the_series_and_name_what_leaked)");
    }
    #[cfg(not(target_os = "linux"))]
    println!("test result: ok. 0 passed; 0 failed (handles are named on Linux only)");
}

#[cfg(target_os = "linux")]
fn listings_leave_no_trace_in_the_series_and_name_what_leaked() {
    use leaktest_core::__private::Driver;
    use leaktest_core::model::{HandleKind, Outcome, Resource, Settings};
    use std::time::Duration;

    let mut settings = Settings::default();
    settings.iterations = 40;
    settings.warmup = 8;
    let warmup = settings.warmup as usize;
    assert!(
        HeapStats::now().total_allocations > 0,
        "the counting allocator is installed"
    );

    // Clean: a file opened and closed, a buffer allocated and freed.
    let mut driver = Driver::new(settings.clone());
    driver.run_sync(|| {
        let file = std::fs::File::open("/proc/self/stat").map_err(|e| e.to_string())?;
        drop(file);
        std::hint::black_box(vec![0u8; 256]);
        Ok(())
    });
    let record = driver.into_record("clean".to_owned(), "here".to_owned(), Duration::ZERO);
    assert_eq!(record.outcome, Outcome::Passed, "{record:#?}");
    assert!(record.leaked_handles.is_empty(), "{record:#?}");
    let native_heap_measured = record.resource(Resource::NativeHeapBytes).is_some();
    assert_eq!(
        native_heap_measured,
        cfg!(all(target_env = "gnu", feature = "native-heap")),
        "the native heap is measured wherever it can be: {:?}",
        record.unmeasured
    );
    for resource in [
        Resource::HeapBytes,
        Resource::HeapBlocks,
        Resource::NativeHeapBytes,
        Resource::Fds,
        Resource::Threads,
        Resource::ChildProcesses,
    ] {
        let Some(report) = record.resource(resource) else {
            continue;
        };
        let series = &report.series;
        let baseline = series[warmup - 1];
        assert!(
            series[warmup - 1..].iter().all(|&value| value == baseline),
            "{resource} moved after the listing at the end of the warm-up: {series:?}"
        );
    }
    // The listing at the end of the warm-up leaves no trace even there: it
    // fills room reserved before the first iteration, frees what else it
    // allocated and closes its directory before the sample.
    for resource in [
        Resource::HeapBytes,
        Resource::HeapBlocks,
        Resource::NativeHeapBytes,
        Resource::Fds,
    ] {
        let Some(report) = record.resource(resource) else {
            continue;
        };
        let series = &report.series;
        assert_eq!(
            series[warmup - 2],
            series[warmup - 1],
            "{resource} around the listing: {series:?}"
        );
    }

    // Leaking: a listener kept every iteration.
    let mut kept = Vec::new();
    let mut driver = Driver::new(settings);
    driver.run_sync(|| {
        kept.push(std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?);
        Ok(())
    });
    let record = driver.into_record("leaky".to_owned(), "here".to_owned(), Duration::ZERO);
    assert_eq!(record.outcome, Outcome::Leaked, "{record:#?}");
    let fds = record
        .leaked_handles_of(Resource::Fds)
        .expect("the leaking fds are named");
    let judged = record.iterations_run - record.settings.warmup;
    assert_eq!(fds.appeared, judged, "{fds:?}");
    assert_eq!(fds.groups.len(), 1, "{fds:?}");
    assert_eq!(fds.groups[0].count, judged);
    assert_eq!(fds.groups[0].kind, HandleKind::Tcp);
    assert_eq!(fds.groups[0].name, "127.0.0.1:* LISTEN");
    assert!(
        record.leaked_handles_of(Resource::Threads).is_none(),
        "only leaking resources are named"
    );
    let details = leaktest_core::summary::failure_details(&record);
    assert!(
        details.contains(&format!("fds +{judged}: {judged} x tcp 127.0.0.1:* LISTEN")),
        "{details}"
    );
}
