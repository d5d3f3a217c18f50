//! Every pattern of `leaktest-examples` under `#[leak_test]`.
//!
//! Leaky versions are marked `should_leak`: they pass only when leaktest
//! reports the leak. Fixed twins and benign patterns are ordinary leak tests:
//! they pass only when leaktest finds none. A green run therefore means the
//! detector caught every leak and raised no false alarm.

use leaktest_core::leak_test;
use leaktest_examples::{
    amortised_buffer::FrameAccumulator,
    audit_trail::{AuditTrail, RecentAuditTrail},
    background_worker::Worker,
    batched_metrics::MetricsBatcher,
    bounded_cache::{ProfileCache, UnboundedProfileCache},
    c_allocator_churn,
    closed_ids::{PrunedTracker, RememberingTracker},
    control_socket::ControlServer,
    deferred_drop::{self, Dropper},
    every_kth::{BoundedDispatcher, Dispatcher},
    ffi_strings,
    handles::{self, NeverClosingFixture},
    hooks, large_allocations, lazy_init, metrics_flusher, rc_cycle,
    reused_buffer::LineEncoder,
    revoked_tokens::{self, ExpiringRevocationList, RevocationList},
    route_labels,
    subscribers::{self, EventBus},
    thread_pool,
    threads::{AccumulatingWatchers, Watcher},
    tiny_leak,
    wakeup_pipe::{self, LoopRegistry},
    zlib_stream,
};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use tempfile::{NamedTempFile, TempDir};

/// A fresh number per call, for tests that need new keys each iteration.
fn next_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

// ---------------------------------------------------------------------------
// Tracking set nobody prunes.

#[leak_test(iterations = 200, should_leak, setup = RememberingTracker::new)]
fn closed_ids_unpruned_leaks(tracker: &mut RememberingTracker) {
    let id = tracker.open();
    tracker.close(id);
    tracker.close(id);
}

#[leak_test(iterations = 200, setup = PrunedTracker::new)]
fn closed_ids_pruned_is_clean(tracker: &mut PrunedTracker) -> Result<(), String> {
    let id = tracker.open();
    tracker.close(id);
    if tracker.close(id) || !tracker.is_closed(id) {
        return Err(format!("connection {id} closed twice"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Two parallel vectors nobody trims: their doublings come in pairs.

#[leak_test(should_leak, setup = AuditTrail::new)]
fn audit_trail_in_two_vecs_leaks(trail: &mut AuditTrail) {
    trail.record(next_number(), 7);
}

#[leak_test(setup = RecentAuditTrail::new)]
fn recent_audit_trail_is_clean(trail: &mut RecentAuditTrail) {
    trail.record(next_number(), 7);
}

// ---------------------------------------------------------------------------
// Revoked tokens appended to a list loaded at start-up, never expired: its
// doublings (30, 90, 210, 450, ...) are not tied to the run's halves.

#[leak_test(should_leak, setup = || RevocationList::loaded(&revoked_tokens::persisted_tokens()))]
fn revoked_tokens_never_expired_leak(list: &mut RevocationList) {
    let token = next_number();
    list.revoke(token);
    black_box(list.is_revoked(token));
}

#[leak_test(setup = || ExpiringRevocationList::loaded(&revoked_tokens::persisted_tokens()))]
fn revoked_tokens_expiring_with_their_sessions_are_clean(list: &mut ExpiringRevocationList) {
    let token = next_number();
    list.revoke(token);
    black_box(list.is_revoked(token));
}

// ---------------------------------------------------------------------------
// Metrics buffered for a flusher thread that sends them once a second.

#[leak_test(should_leak, setup = MetricsBatcher::start_never_draining)]
fn metrics_never_drained_by_the_flusher_leak(batcher: &mut MetricsBatcher) {
    batcher.emit("db.query.ms", 1.5);
}

#[leak_test(setup = MetricsBatcher::start)]
fn metrics_drained_every_second_are_clean(batcher: &mut MetricsBatcher) {
    batcher.emit("db.query.ms", 1.5);
}

fn batcher_flushing_every_3s() -> MetricsBatcher {
    MetricsBatcher::start_flushing_every(std::time::Duration::from_secs(3))
}

// The documented limit: a flush later than the confirmation window (2 s
// after the first measured iteration) is not seen, and the buffer is taken
// for a leak...
#[leak_test(should_leak, setup = batcher_flushing_every_3s)]
fn metrics_drained_after_the_confirmation_window_look_like_a_leak(batcher: &mut MetricsBatcher) {
    batcher.emit("db.query.ms", 1.5);
}

// ...unless the test declares a window that holds one.
#[leak_test(confirm = "5s", setup = batcher_flushing_every_3s)]
fn metrics_drained_within_a_longer_confirmation_window_are_clean(batcher: &mut MetricsBatcher) {
    batcher.emit("db.query.ms", 1.5);
}

// ---------------------------------------------------------------------------
// Subscribers never removed.

#[leak_test(should_leak, setup = EventBus::new)]
fn subscribers_never_removed_leaks(bus: &mut EventBus) {
    subscribers::service_lifetime_without_unsubscribe(bus);
}

#[leak_test(setup = EventBus::new)]
fn subscribers_removed_on_stop_is_clean(bus: &mut EventBus) {
    subscribers::service_lifetime(bus);
}

// ---------------------------------------------------------------------------
// Reference cycle.

#[leak_test(should_leak)]
fn rc_parent_child_cycle_leaks() {
    black_box(rc_cycle::build_and_drop_strong_tree(3));
}

#[leak_test]
fn weak_parent_link_is_clean() {
    black_box(rc_cycle::build_and_drop_tree(3));
}

// ---------------------------------------------------------------------------
// File and socket handles never closed.

fn scratch_file() -> NamedTempFile {
    let file = NamedTempFile::new().expect("create a scratch file");
    std::fs::write(file.path(), b"\x89PNG\r\n\x1a\n0123456789abcdef").expect("write it");
    file
}

#[leak_test(should_leak, setup = scratch_file)]
fn forgotten_file_handle_leaks(file: &mut NamedTempFile) -> Result<(), String> {
    handles::sniff_header_forgetting_handle(file.path()).map_err(|e| e.to_string())?;
    Ok(())
}

#[leak_test(setup = scratch_file)]
fn dropped_file_handle_is_clean(file: &mut NamedTempFile) -> Result<(), String> {
    handles::sniff_header(file.path()).map_err(|e| e.to_string())?;
    Ok(())
}

#[leak_test(should_leak, setup = NeverClosingFixture::new)]
fn test_servers_never_closed_leaks(fixture: &mut NeverClosingFixture) -> Result<(), String> {
    fixture.run_one_test().map_err(|e| e.to_string())?;
    Ok(())
}

#[leak_test]
fn test_servers_closed_is_clean() -> Result<(), String> {
    handles::run_one_test_and_close().map_err(|e| e.to_string())?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Unix-socket sessions never removed.

/// A control server on `control.sock` in a directory of its own (removed
/// with it, after the server).
struct ControlSocketFixture {
    server: ControlServer,
    _directory: TempDir,
}

fn control_socket(keep_sessions: bool) -> ControlSocketFixture {
    let directory = TempDir::new().expect("create a socket directory");
    let path = directory.path().join("control.sock");
    let server = if keep_sessions {
        ControlServer::bind_keeping_sessions(&path)
    } else {
        ControlServer::bind(&path)
    };
    ControlSocketFixture {
        server: server.expect("bind the control socket"),
        _directory: directory,
    }
}

fn control_socket_keeping_sessions() -> ControlSocketFixture {
    control_socket(true)
}

fn control_socket_closing_sessions() -> ControlSocketFixture {
    control_socket(false)
}

#[leak_test(should_leak, setup = control_socket_keeping_sessions)]
fn unix_socket_sessions_kept_leaks(fixture: &mut ControlSocketFixture) -> Result<(), String> {
    fixture.server.call("status").map_err(|e| e.to_string())?;
    Ok(())
}

#[leak_test(setup = control_socket_closing_sessions)]
fn unix_socket_sessions_closed_is_clean(fixture: &mut ControlSocketFixture) -> Result<(), String> {
    fixture.server.call("status").map_err(|e| e.to_string())?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Self-pipes of event loops never closed.

#[leak_test(should_leak, setup = LoopRegistry::new)]
fn wakeup_pipes_kept_leaks(registry: &mut LoopRegistry) -> Result<(), String> {
    registry.handle_request(2).map_err(|e| e.to_string())?;
    Ok(())
}

#[leak_test]
fn wakeup_pipe_closed_is_clean() -> Result<(), String> {
    wakeup_pipe::handle_request(2).map_err(|e| e.to_string())?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Hook processes never waited for.

#[leak_test(should_leak)]
fn hook_processes_never_reaped_leaks() -> Result<(), String> {
    hooks::run_hook_detached("exit 0").map_err(|e| e.to_string())?;
    Ok(())
}

#[leak_test]
fn hook_processes_waited_for_is_clean() -> Result<(), String> {
    let status = hooks::run_hook("exit 0").map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("the hook failed: {status}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Threads left running.

#[leak_test(should_leak, setup = AccumulatingWatchers::new)]
fn watcher_threads_left_running_leaks(watchers: &mut AccumulatingWatchers) {
    watchers.reload("log_level");
}

#[leak_test(setup = Watcher::new)]
fn watcher_thread_joined_is_clean(watcher: &mut Watcher) {
    watcher.reload("log_level");
}

// ---------------------------------------------------------------------------
// A tiny leak: three bytes per call.

#[leak_test(iterations = 200, should_leak)]
fn tiny_leaked_label_leaks() {
    black_box(tiny_leak::status_label_leaked(418));
}

#[leak_test(iterations = 200)]
fn borrowed_or_owned_label_is_clean() {
    black_box(tiny_leak::status_label(418));
    black_box(tiny_leak::status_label(404));
}

// ---------------------------------------------------------------------------
// A leak on every tenth call.

#[leak_test(iterations = 200, should_leak, setup = Dispatcher::new)]
fn dead_letters_every_tenth_call_leaks(dispatcher: &mut Dispatcher) {
    dispatcher.send_next();
}

#[leak_test(iterations = 200, setup = BoundedDispatcher::new)]
fn bounded_dead_letters_is_clean(dispatcher: &mut BoundedDispatcher) {
    dispatcher.send_next();
}

// ---------------------------------------------------------------------------
// Labels interned per request path, next to route tables built on first use
// (the admin one at the first admin request, the 16th).

#[leak_test(should_leak)]
fn interned_request_labels_leak() {
    black_box(route_labels::request_label_leaked(
        &route_labels::sample_request_path(next_number()),
    ));
}

#[leak_test]
fn route_pattern_labels_are_clean() {
    black_box(route_labels::request_label(
        &route_labels::sample_request_path(next_number()),
    ));
}

// ---------------------------------------------------------------------------
// A leak on a background thread.

#[leak_test(should_leak, setup = Worker::start_keeping_history)]
fn background_worker_keeps_payloads_leaks(worker: &mut Worker) {
    worker.submit(next_number());
}

#[leak_test(setup = Worker::start)]
fn background_worker_drops_payloads_is_clean(worker: &mut Worker) {
    worker.submit(next_number());
}

// ---------------------------------------------------------------------------
// A cache without eviction, and a bounded one.

#[leak_test(should_leak, setup = UnboundedProfileCache::new)]
fn cache_without_eviction_leaks(cache: &mut UnboundedProfileCache) {
    black_box(cache.get(next_number()));
}

#[leak_test(iterations = 200, setup = ProfileCache::new)]
fn bounded_cache_fed_new_keys_is_clean(cache: &mut ProfileCache) -> Result<(), String> {
    black_box(cache.get(next_number()));
    if cache.len() > cache.capacity() {
        return Err(format!(
            "{} entries in a cache of {}",
            cache.len(),
            cache.capacity()
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Leaks in C code called through FFI: the native heap grows, Rust's does not.

#[leak_test(should_leak)]
fn c_record_buffer_never_freed_leaks() {
    black_box(ffi_strings::record_summary_leaking(next_number()));
}

#[leak_test]
fn c_record_buffer_freed_is_clean() {
    black_box(ffi_strings::record_summary(next_number()));
}

#[leak_test(should_leak)]
fn strdup_copy_never_freed_leaks() {
    black_box(ffi_strings::tag_length_leaking(c"checkout.payment.retry"));
}

#[leak_test]
fn strdup_copy_freed_is_clean() {
    black_box(ffi_strings::tag_length(c"checkout.payment.retry"));
}

#[leak_test(should_leak)]
fn zlib_stream_never_ended_leaks() -> Result<(), zlib_stream::ZlibError> {
    black_box(zlib_stream::compress_forgetting_end(b"a short message")?);
    Ok(())
}

#[leak_test]
fn zlib_stream_ended_is_clean() -> Result<(), zlib_stream::ZlibError> {
    black_box(zlib_stream::compress(b"a short message")?);
    Ok(())
}

// ---------------------------------------------------------------------------
// Benign patterns.

#[leak_test]
fn lazy_one_time_init_is_clean() {
    black_box(lazy_init::content_type("report.json"));
}

#[leak_test]
fn background_flusher_churn_is_clean() {
    metrics_flusher::record_request();
}

#[leak_test(setup = LineEncoder::new)]
fn reused_buffer_is_clean(encoder: &mut LineEncoder) {
    black_box(encoder.encode(next_number(), 200, "/health"));
}

#[leak_test(timeout = "30s")]
fn megabytes_freed_each_iteration_is_clean() {
    black_box(large_allocations::checksum_scratch(next_number()));
}

#[leak_test]
fn c_megabytes_freed_each_iteration_is_clean() -> Result<(), zlib_stream::ZlibError> {
    black_box(zlib_stream::compress_megabytes(next_number())?);
    Ok(())
}

#[leak_test]
fn c_allocations_on_fresh_threads_are_clean() {
    black_box(c_allocator_churn::churn_on_fresh_threads(next_number()));
}

#[leak_test]
fn thread_pool_started_on_first_use_is_clean() -> Result<(), String> {
    match thread_pool::sum_on_pool(100) {
        Some(4950) => Ok(()),
        other => Err(format!("pool answered {other:?}")),
    }
}

#[leak_test(setup = Dropper::start)]
fn memory_freed_on_another_thread_is_clean(dropper: &mut Dropper) {
    deferred_drop::serve_and_defer_drop(dropper, next_number());
}

#[leak_test(setup = FrameAccumulator::new)]
fn amortised_buffer_up_to_4k_is_clean(frames: &mut FrameAccumulator) {
    frames.push_chunk(next_number());
}

// ---------------------------------------------------------------------------
// Async patterns, on both runtime flavors.

/// Each async pattern on tokio's current-thread runtime.
mod current_thread {
    use leaktest_core::leak_test;
    use leaktest_examples::channel_task::{self, SessionRegistry};
    use leaktest_examples::manager::ConnectionManager;
    use leaktest_examples::{delayed_audit, interval, structured, timeouts};
    use std::time::Duration;

    #[leak_test(should_leak)]
    async fn interval_never_aborted_leaks() {
        interval::session_with_detached_heartbeat().await;
    }

    #[leak_test]
    async fn interval_aborted_is_clean() {
        interval::session_with_heartbeat().await;
    }

    #[leak_test(should_leak, setup = SessionRegistry::new)]
    async fn channel_sender_kept_leaks(registry: &mut SessionRegistry) {
        registry.run_session(7).await;
    }

    #[leak_test]
    async fn channel_sender_dropped_is_clean() -> Result<(), String> {
        match channel_task::run_session(7).await {
            Some(8) => Ok(()),
            other => Err(format!("transcript length {other:?}")),
        }
    }

    #[leak_test(iterations = 200, should_leak, setup = ConnectionManager::new_unpruned)]
    async fn manager_unpruned_leaks(manager: &mut ConnectionManager) {
        manager.connect_and_close().await;
    }

    #[leak_test(iterations = 200, setup = ConnectionManager::new_pruned)]
    async fn manager_pruned_is_clean(manager: &mut ConnectionManager) {
        manager.connect_and_close().await;
    }

    #[leak_test(iterations = 200, should_leak, setup = ConnectionManager::start_unpruned)]
    async fn manager_with_pump_unpruned_leaks(manager: &mut ConnectionManager) {
        manager.connect_and_close().await;
    }

    #[leak_test(iterations = 200, setup = ConnectionManager::start_pruned)]
    async fn manager_with_pump_pruned_is_clean(manager: &mut ConnectionManager) {
        manager.connect_and_close().await;
    }

    #[leak_test]
    async fn spawned_tasks_all_awaited_is_clean() {
        structured::fan_out_sum(1000).await;
    }

    #[leak_test]
    async fn tasks_finishing_after_a_delay_are_clean() {
        delayed_audit::handle_with_deferred_audit("GET /health");
    }

    #[leak_test]
    async fn spawn_blocking_is_clean() {
        structured::checksum_on_blocking_pool(3).await;
    }

    #[leak_test]
    async fn timeout_that_completes_is_clean() {
        timeouts::within(Duration::from_secs(5), timeouts::query(Duration::ZERO)).await;
    }

    #[leak_test(should_leak)]
    async fn timeout_orphans_spawned_task_leaks() {
        let _ =
            timeouts::query_with_timeout_orphaning(Duration::MAX, Duration::from_millis(1)).await;
    }

    #[leak_test]
    async fn timeout_aborts_spawned_task_is_clean() {
        let _ = timeouts::query_with_timeout(Duration::MAX, Duration::from_millis(1)).await;
    }
}

/// The same async patterns on tokio's multi-thread runtime (two workers).
mod multi_thread {
    use leaktest_core::leak_test;
    use leaktest_examples::channel_task::{self, SessionRegistry};
    use leaktest_examples::manager::ConnectionManager;
    use leaktest_examples::{delayed_audit, interval, structured, timeouts};
    use std::time::Duration;

    #[leak_test(should_leak, flavor = "multi_thread", worker_threads = 2)]
    async fn interval_never_aborted_leaks() {
        interval::session_with_detached_heartbeat().await;
    }

    #[leak_test(flavor = "multi_thread", worker_threads = 2)]
    async fn interval_aborted_is_clean() {
        interval::session_with_heartbeat().await;
    }

    #[leak_test(should_leak, flavor = "multi_thread", worker_threads = 2, setup = SessionRegistry::new)]
    async fn channel_sender_kept_leaks(registry: &mut SessionRegistry) {
        registry.run_session(7).await;
    }

    #[leak_test(flavor = "multi_thread", worker_threads = 2)]
    async fn channel_sender_dropped_is_clean() -> Result<(), String> {
        match channel_task::run_session(7).await {
            Some(8) => Ok(()),
            other => Err(format!("transcript length {other:?}")),
        }
    }

    #[leak_test(
        iterations = 200,
        should_leak,
        flavor = "multi_thread",
        worker_threads = 2,
        setup = ConnectionManager::new_unpruned
    )]
    async fn manager_unpruned_leaks(manager: &mut ConnectionManager) {
        manager.connect_and_close().await;
    }

    #[leak_test(
        iterations = 200,
        flavor = "multi_thread",
        worker_threads = 2,
        setup = ConnectionManager::new_pruned
    )]
    async fn manager_pruned_is_clean(manager: &mut ConnectionManager) {
        manager.connect_and_close().await;
    }

    #[leak_test(
        iterations = 200,
        should_leak,
        flavor = "multi_thread",
        worker_threads = 2,
        setup = ConnectionManager::start_unpruned
    )]
    async fn manager_with_pump_unpruned_leaks(manager: &mut ConnectionManager) {
        manager.connect_and_close().await;
    }

    #[leak_test(
        iterations = 200,
        flavor = "multi_thread",
        worker_threads = 2,
        setup = ConnectionManager::start_pruned
    )]
    async fn manager_with_pump_pruned_is_clean(manager: &mut ConnectionManager) {
        manager.connect_and_close().await;
    }

    #[leak_test(flavor = "multi_thread", worker_threads = 2)]
    async fn spawned_tasks_all_awaited_is_clean() {
        structured::fan_out_sum(1000).await;
    }

    #[leak_test(flavor = "multi_thread", worker_threads = 2)]
    async fn tasks_finishing_after_a_delay_are_clean() {
        delayed_audit::handle_with_deferred_audit("GET /health");
    }

    #[leak_test(flavor = "multi_thread", worker_threads = 2)]
    async fn spawn_blocking_is_clean() {
        structured::checksum_on_blocking_pool(3).await;
    }

    #[leak_test(flavor = "multi_thread", worker_threads = 2)]
    async fn timeout_that_completes_is_clean() {
        timeouts::within(Duration::from_secs(5), timeouts::query(Duration::ZERO)).await;
    }

    #[leak_test(should_leak, flavor = "multi_thread", worker_threads = 2)]
    async fn timeout_orphans_spawned_task_leaks() {
        let _ =
            timeouts::query_with_timeout_orphaning(Duration::MAX, Duration::from_millis(1)).await;
    }

    #[leak_test(flavor = "multi_thread", worker_threads = 2)]
    async fn timeout_aborts_spawned_task_is_clean() {
        let _ = timeouts::query_with_timeout(Duration::MAX, Duration::from_millis(1)).await;
    }
}

leaktest_core::main!();
