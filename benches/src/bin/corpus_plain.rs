//! The examples corpus as a plain program, for `valgrind --leak-check=full`
//! (`benches/scripts/valgrind_corpus.py`): `corpus_plain CASE [ITERATIONS]`
//! runs the body of one `#[leak_test]` of `examples/tests/leaks.rs` as many
//! times as that test does (or `ITERATIONS`), with the same setup, then drops
//! the state as the leak test does after its verdict. `corpus_plain --list`
//! prints every case with its iterations. No counting allocator: this is what
//! a user would run under valgrind instead.

use leaktest_examples::{
    amortised_buffer::FrameAccumulator,
    background_worker::Worker,
    bounded_cache::{ProfileCache, UnboundedProfileCache},
    channel_task::{self, SessionRegistry},
    closed_ids::{PrunedTracker, RememberingTracker},
    deferred_drop::{self, Dropper},
    every_kth::{BoundedDispatcher, Dispatcher},
    handles::{self, NeverClosingFixture},
    interval, large_allocations, lazy_init,
    manager::ConnectionManager,
    rc_cycle,
    reused_buffer::LineEncoder,
    subscribers::{self, EventBus},
    thread_pool,
    threads::{AccumulatingWatchers, Watcher},
    timeouts, tiny_leak,
};
use std::hint::black_box;
use std::time::Duration;

/// Every case: the leak test's name and its iterations.
const CASES: &[(&str, u64)] = &[
    ("closed_ids_unpruned_leaks", 200),
    ("closed_ids_pruned_is_clean", 200),
    ("subscribers_never_removed_leaks", 100),
    ("subscribers_removed_on_stop_is_clean", 100),
    ("rc_parent_child_cycle_leaks", 100),
    ("weak_parent_link_is_clean", 100),
    ("forgotten_file_handle_leaks", 100),
    ("dropped_file_handle_is_clean", 100),
    ("test_servers_never_closed_leaks", 100),
    ("test_servers_closed_is_clean", 100),
    ("watcher_threads_left_running_leaks", 100),
    ("watcher_thread_joined_is_clean", 100),
    ("tiny_leaked_label_leaks", 200),
    ("borrowed_or_owned_label_is_clean", 200),
    ("dead_letters_every_tenth_call_leaks", 200),
    ("bounded_dead_letters_is_clean", 200),
    ("background_worker_keeps_payloads_leaks", 100),
    ("background_worker_drops_payloads_is_clean", 100),
    ("cache_without_eviction_leaks", 100),
    ("bounded_cache_fed_new_keys_is_clean", 200),
    ("lazy_one_time_init_is_clean", 100),
    ("reused_buffer_is_clean", 100),
    ("megabytes_freed_each_iteration_is_clean", 100),
    ("thread_pool_started_on_first_use_is_clean", 100),
    ("memory_freed_on_another_thread_is_clean", 100),
    ("amortised_buffer_up_to_4k_is_clean", 100),
    ("current_thread::interval_never_aborted_leaks", 100),
    ("current_thread::interval_aborted_is_clean", 100),
    ("current_thread::channel_sender_kept_leaks", 100),
    ("current_thread::channel_sender_dropped_is_clean", 100),
    ("current_thread::manager_unpruned_leaks", 200),
    ("current_thread::manager_pruned_is_clean", 200),
    ("current_thread::timeout_orphans_spawned_task_leaks", 100),
    ("current_thread::timeout_aborts_spawned_task_is_clean", 100),
];

/// Runs `body` against `state` the given number of times, then drops the state.
fn repeat<S>(iterations: u64, mut state: S, mut body: impl FnMut(&mut S, u64)) {
    for round in 0..iterations {
        body(&mut state, round);
    }
    drop(state);
}

fn scratch_file() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("create a scratch file");
    std::fs::write(file.path(), b"\x89PNG\r\n\x1a\n0123456789abcdef").expect("write it");
    file
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime")
}

/// Runs one case; false if the name is unknown.
fn run(case: &str, n: u64) -> bool {
    match case {
        "closed_ids_unpruned_leaks" => repeat(n, RememberingTracker::new(), |tracker, _| {
            let id = tracker.open();
            tracker.close(id);
            tracker.close(id);
        }),
        "closed_ids_pruned_is_clean" => repeat(n, PrunedTracker::new(), |tracker, _| {
            let id = tracker.open();
            tracker.close(id);
            tracker.close(id);
        }),
        "subscribers_never_removed_leaks" => repeat(n, EventBus::new(), |bus, _| {
            subscribers::service_lifetime_without_unsubscribe(bus);
        }),
        "subscribers_removed_on_stop_is_clean" => repeat(n, EventBus::new(), |bus, _| {
            subscribers::service_lifetime(bus);
        }),
        "rc_parent_child_cycle_leaks" => repeat(n, (), |_, _| {
            black_box(rc_cycle::build_and_drop_strong_tree(3));
        }),
        "weak_parent_link_is_clean" => repeat(n, (), |_, _| {
            black_box(rc_cycle::build_and_drop_tree(3));
        }),
        "forgotten_file_handle_leaks" => repeat(n, scratch_file(), |file, _| {
            handles::sniff_header_forgetting_handle(file.path()).expect("sniff");
        }),
        "dropped_file_handle_is_clean" => repeat(n, scratch_file(), |file, _| {
            handles::sniff_header(file.path()).expect("sniff");
        }),
        "test_servers_never_closed_leaks" => repeat(n, NeverClosingFixture::new(), |fixture, _| {
            fixture.run_one_test().expect("roundtrip");
        }),
        "test_servers_closed_is_clean" => repeat(n, (), |_, _| {
            handles::run_one_test_and_close().expect("roundtrip");
        }),
        "watcher_threads_left_running_leaks" => {
            repeat(n, AccumulatingWatchers::new(), |watchers, _| {
                watchers.reload("log_level");
            })
        }
        "watcher_thread_joined_is_clean" => repeat(n, Watcher::new(), |watcher, _| {
            watcher.reload("log_level");
        }),
        "tiny_leaked_label_leaks" => repeat(n, (), |_, _| {
            black_box(tiny_leak::status_label_leaked(418));
        }),
        "borrowed_or_owned_label_is_clean" => repeat(n, (), |_, _| {
            black_box(tiny_leak::status_label(418));
            black_box(tiny_leak::status_label(404));
        }),
        "dead_letters_every_tenth_call_leaks" => repeat(n, Dispatcher::new(), |dispatcher, _| {
            dispatcher.send_next();
        }),
        "bounded_dead_letters_is_clean" => repeat(n, BoundedDispatcher::new(), |dispatcher, _| {
            dispatcher.send_next();
        }),
        "background_worker_keeps_payloads_leaks" => {
            repeat(n, Worker::start_keeping_history(), |worker, round| {
                worker.submit(round);
            })
        }
        "background_worker_drops_payloads_is_clean" => {
            repeat(n, Worker::start(), |worker, round| {
                worker.submit(round);
            })
        }
        "cache_without_eviction_leaks" => {
            repeat(n, UnboundedProfileCache::new(), |cache, round| {
                black_box(cache.get(round));
            })
        }
        "bounded_cache_fed_new_keys_is_clean" => repeat(n, ProfileCache::new(), |cache, round| {
            black_box(cache.get(round));
        }),
        "lazy_one_time_init_is_clean" => repeat(n, (), |_, _| {
            black_box(lazy_init::content_type("report.json"));
        }),
        "reused_buffer_is_clean" => repeat(n, LineEncoder::new(), |encoder, round| {
            black_box(encoder.encode(round, 200, "/health"));
        }),
        "megabytes_freed_each_iteration_is_clean" => repeat(n, (), |_, round| {
            black_box(large_allocations::checksum_scratch(round));
        }),
        "thread_pool_started_on_first_use_is_clean" => repeat(n, (), |_, _| {
            black_box(thread_pool::sum_on_pool(100));
        }),
        "memory_freed_on_another_thread_is_clean" => {
            repeat(n, Dropper::start(), |dropper, round| {
                deferred_drop::serve_and_defer_drop(dropper, round);
            })
        }
        "amortised_buffer_up_to_4k_is_clean" => {
            repeat(n, FrameAccumulator::new(), |frames, round| {
                frames.push_chunk(round);
            })
        }
        "current_thread::interval_never_aborted_leaks" => repeat(n, runtime(), |runtime, _| {
            runtime.block_on(interval::session_with_detached_heartbeat());
        }),
        "current_thread::interval_aborted_is_clean" => repeat(n, runtime(), |runtime, _| {
            runtime.block_on(interval::session_with_heartbeat());
        }),
        "current_thread::channel_sender_kept_leaks" => repeat(
            n,
            (runtime(), SessionRegistry::new()),
            |(runtime, registry), _| {
                runtime.block_on(registry.run_session(7));
            },
        ),
        "current_thread::channel_sender_dropped_is_clean" => repeat(n, runtime(), |runtime, _| {
            runtime.block_on(channel_task::run_session(7));
        }),
        "current_thread::manager_unpruned_leaks" => repeat(
            n,
            (runtime(), ConnectionManager::new_unpruned()),
            |(runtime, manager), _| {
                runtime.block_on(manager.connect_and_close());
            },
        ),
        "current_thread::manager_pruned_is_clean" => repeat(
            n,
            (runtime(), ConnectionManager::new_pruned()),
            |(runtime, manager), _| {
                runtime.block_on(manager.connect_and_close());
            },
        ),
        "current_thread::timeout_orphans_spawned_task_leaks" => {
            repeat(n, runtime(), |runtime, _| {
                let _ = runtime.block_on(timeouts::query_with_timeout_orphaning(
                    Duration::MAX,
                    Duration::from_millis(1),
                ));
            })
        }
        "current_thread::timeout_aborts_spawned_task_is_clean" => {
            repeat(n, runtime(), |runtime, _| {
                let _ = runtime.block_on(timeouts::query_with_timeout(
                    Duration::MAX,
                    Duration::from_millis(1),
                ));
            })
        }
        _ => return false,
    }
    true
}

fn main() {
    let mut arguments = std::env::args().skip(1);
    let Some(case) = arguments.next() else {
        eprintln!("usage: corpus_plain CASE [ITERATIONS] | corpus_plain --list");
        std::process::exit(2);
    };
    if case == "--list" {
        for (name, iterations) in CASES {
            println!("{name} {iterations}");
        }
        return;
    }
    let default_iterations = CASES
        .iter()
        .find(|(name, _)| *name == case)
        .map(|(_, iterations)| *iterations);
    let iterations = arguments
        .next()
        .and_then(|text| text.parse().ok())
        .or(default_iterations)
        .unwrap_or(100);
    if !run(&case, iterations) {
        eprintln!("corpus_plain: no case named `{case}` (see --list)");
        std::process::exit(2);
    }
}
