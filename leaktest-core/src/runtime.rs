//! Async bodies on a tokio runtime built once per test and kept across
//! iterations, so tasks leaked by one iteration are still alive in the next.

use crate::driver::{Driver, TestResult};
use crate::model::{Flavor, Settings};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::time::Duration;
use tokio::runtime::{Builder, Runtime};

/// How long an idle thread of the runtime's blocking pool lives. tokio's default
/// (10 s) keeps threads started for `spawn_blocking` bursts alive past the end
/// of a run, where they would look like a thread leak; this keeps them shorter
/// than the settle window's quiet period, so they are gone by the verdict.
const BLOCKING_THREAD_KEEP_ALIVE: Duration = Duration::from_millis(10);

/// The runtime the settings ask for (a current-thread one for a sync test,
/// which never gets here).
fn build_runtime(settings: &Settings) -> std::io::Result<Runtime> {
    let mut builder = match settings.runtime {
        Some(Flavor::MultiThread) => {
            let mut builder = Builder::new_multi_thread();
            if let Some(workers) = settings.worker_threads {
                builder.worker_threads(workers);
            }
            builder
        }
        Some(Flavor::CurrentThread) | None => Builder::new_current_thread(),
    };
    builder
        .enable_all()
        .thread_keep_alive(BLOCKING_THREAD_KEEP_ALIVE)
        .build()
}

impl Driver {
    fn runtime_or_fail(&mut self) -> Option<Runtime> {
        match build_runtime(self.settings()) {
            Ok(runtime) => Some(runtime),
            Err(error) => {
                self.record_failure(format!("could not build the tokio runtime: {error}"));
                None
            }
        }
    }

    /// Runs an async body with no state on the test's runtime.
    pub fn run_async<F, Fut>(&mut self, mut body: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = TestResult>,
    {
        let Some(runtime) = self.runtime_or_fail() else {
            return;
        };
        let handle = runtime.handle().clone();
        let alive_tasks = || handle.metrics().num_alive_tasks() as i64;
        self.measure(
            &mut || runtime.block_on(body()),
            &mut |pause| runtime.block_on(async move { tokio::time::sleep(pause).await }),
            Some(&alive_tasks),
        );
        shutdown(runtime);
    }

    /// Builds state with `setup` (awaited on the runtime) once, then runs the
    /// async body against it every iteration. The state is dropped after the
    /// verdict, inside the runtime, outside the measured series.
    pub fn run_async_with_setup<S, SetupFut, F>(
        &mut self,
        setup: impl FnOnce() -> SetupFut,
        mut body: F,
    ) where
        SetupFut: Future<Output = S>,
        F: for<'a> FnMut(&'a mut S) -> Pin<Box<dyn Future<Output = TestResult> + 'a>>,
    {
        let Some(runtime) = self.runtime_or_fail() else {
            return;
        };
        let built = catch_unwind(AssertUnwindSafe(|| runtime.block_on(setup())));
        let mut state = match built {
            Ok(state) => state,
            Err(payload) => {
                self.fail_setup(payload);
                shutdown(runtime);
                return;
            }
        };
        let handle = runtime.handle().clone();
        let alive_tasks = || handle.metrics().num_alive_tasks() as i64;
        self.measure(
            &mut || runtime.block_on(body(&mut state)),
            &mut |pause| runtime.block_on(async move { tokio::time::sleep(pause).await }),
            Some(&alive_tasks),
        );
        {
            let _entered = runtime.enter();
            drop(state);
        }
        shutdown(runtime);
    }
}

fn shutdown(runtime: Runtime) {
    // Leaked tasks may never finish: do not wait for them.
    runtime.shutdown_background();
}
