//! The accuracy corpus: labelled cases, each run at default settings (100
//! iterations, 10 of them warm-up, the run extended as the verdict needs).
//! Real leaks are `should_leak`, so a green run means every leak was caught
//! and no false alarm was raised; `cargo run -p leaktest-accuracy` runs this
//! file and leaktest-examples and prints the table of the README.
//!
//! Each module is a class of the table (see `leaktest_accuracy::table`);
//! each case is a module holding its `setup` and the test of the same name.

use leaktest_accuracy::corpus::bounded::{
    BufferPool, KeyCounters, ProfileCache, RecentEvents, ResponseRenderer, WorkQueue,
};
use leaktest_accuracy::corpus::leaks::{
    AuditedPool, ClosedIds, DeadLetters, EventHistory, HandleKeeper, ParallelHistory, Registry,
    RememberingQueue, RetryingRenderer, Schedule, TimestampedRenderer,
};
use leaktest_core::leak_test;
use std::hint::black_box;

/// Cases that must pass: one test per case, calling `$call` on the state
/// `$setup` builds, once per iteration.
macro_rules! clean_cases {
    ($state:ty, |$it:ident| $call:expr; $($case:ident => $setup:expr;)*) => {$(
        mod $case {
            use super::*;
            pub fn setup() -> $state {
                $setup
            }
        }
        #[leak_test(setup = $case::setup)]
        fn $case($it: &mut $state) -> Result<(), String> {
            black_box($call);
            Ok(())
        }
    )*};
}

/// Cases that leak: the same, marked `should_leak`.
macro_rules! leak_cases {
    ($state:ty, |$it:ident| $call:expr; $($case:ident => $setup:expr;)*) => {$(
        mod $case {
            use super::*;
            pub fn setup() -> $state {
                $setup
            }
        }
        #[leak_test(should_leak, setup = $case::setup)]
        fn $case($it: &mut $state) -> Result<(), String> {
            black_box($call);
            Ok(())
        }
    )*};
}

mod random_walk_pool {
    use super::*;
    clean_cases! { BufferPool, |pool| pool.serve();
        capacity_24_seed_1 => BufferPool::new(24, 1);
        capacity_24_seed_2 => BufferPool::new(24, 2);
        capacity_24_seed_3 => BufferPool::new(24, 3);
        capacity_24_seed_4 => BufferPool::new(24, 4);
        capacity_24_seed_5 => BufferPool::new(24, 5);
        capacity_48_seed_1 => BufferPool::new(48, 1);
        capacity_48_seed_2 => BufferPool::new(48, 2);
        capacity_48_seed_3 => BufferPool::new(48, 3);
        capacity_48_seed_4 => BufferPool::new(48, 4);
        capacity_48_seed_5 => BufferPool::new(48, 5);
        capacity_64_seed_1 => BufferPool::new(64, 1);
        capacity_64_seed_2 => BufferPool::new(64, 2);
        capacity_64_seed_3 => BufferPool::new(64, 3);
        capacity_64_seed_4 => BufferPool::new(64, 4);
        capacity_64_seed_5 => BufferPool::new(64, 5);
    }
}

mod queue_under_random_load {
    use super::*;
    clean_cases! { WorkQueue, |queue| queue.serve();
        balanced_seed_1 => WorkQueue::new(3, 3, 1);
        balanced_seed_2 => WorkQueue::new(3, 3, 2);
        balanced_seed_3 => WorkQueue::new(3, 3, 3);
        balanced_seed_4 => WorkQueue::new(3, 3, 4);
        balanced_seed_5 => WorkQueue::new(3, 3, 5);
        draining_seed_1 => WorkQueue::new(3, 4, 1);
        draining_seed_2 => WorkQueue::new(3, 4, 2);
        draining_seed_3 => WorkQueue::new(3, 4, 3);
        draining_seed_4 => WorkQueue::new(3, 4, 4);
        draining_seed_5 => WorkQueue::new(3, 4, 5);
    }
}

mod cache_larger_than_the_run {
    use super::*;
    clean_cases! { ProfileCache, |cache| cache.load_new();
        capacity_150 => ProfileCache::new(150);
        capacity_300 => ProfileCache::new(300);
        capacity_500 => ProfileCache::new(500);
        capacity_800 => ProfileCache::new(800);
        capacity_1000 => ProfileCache::new(1000);
        capacity_2000 => ProfileCache::new(2000);
    }
}

mod map_over_distinct_keys {
    use super::*;
    clean_cases! { KeyCounters, |counters| counters.hit_next();
        keys_150 => KeyCounters::new(150);
        keys_400 => KeyCounters::new(400);
        keys_700 => KeyCounters::new(700);
    }
}

mod bounded_doubling {
    use super::*;
    clean_cases! { RecentEvents, |events| events.record();
        bound_200 => RecentEvents::new(200);
        bound_400 => RecentEvents::new(400);
        bound_240_from_30 => RecentEvents::starting_with(240, 30);
    }
}

mod transient_noise {
    use super::*;
    clean_cases! { ResponseRenderer, |renderer| renderer.render();
        up_to_1_kib_seed_1 => ResponseRenderer::new(1024, 1);
        up_to_1_kib_seed_2 => ResponseRenderer::new(1024, 2);
        up_to_64_kib_seed_3 => ResponseRenderer::new(64 << 10, 3);
    }
}

mod steady_leak {
    use super::*;
    leak_cases! { DeadLetters, |letters| letters.deliver();
        one_byte_per_call => DeadLetters::new(Schedule::Every(1), 1);
        kib_per_call => DeadLetters::new(Schedule::Every(1), 1024);
        block_every_third_call => DeadLetters::new(Schedule::Every(3), 16);
        block_every_tenth_call => DeadLetters::new(Schedule::Every(10), 16);
    }
}

mod late_onset_leak {
    use super::*;
    leak_cases! { DeadLetters, |letters| letters.deliver();
        from_call_30 => DeadLetters::new(Schedule::From(30), 24);
        from_call_60 => DeadLetters::new(Schedule::From(60), 24);
        from_call_90 => DeadLetters::new(Schedule::From(90), 24);
    }
}

mod rare_irregular_leak {
    use super::*;
    leak_cases! { DeadLetters, |letters| letters.deliver();
        one_call_in_10_seed_1 => DeadLetters::new(Schedule::at_random(0.1, 1), 16);
        one_call_in_10_seed_2 => DeadLetters::new(Schedule::at_random(0.1, 2), 16);
        one_call_in_10_seed_3 => DeadLetters::new(Schedule::at_random(0.1, 3), 16);
        one_call_in_3_seed_1 => DeadLetters::new(Schedule::at_random(0.3, 1), 16);
        one_call_in_3_seed_2 => DeadLetters::new(Schedule::at_random(0.3, 2), 16);
        one_call_in_3_seed_3 => DeadLetters::new(Schedule::at_random(0.3, 3), 16);
    }
}

mod leak_inside_fluctuation {
    use super::*;
    leak_cases! { AuditedPool, |pool| pool.serve();
        pool_seed_1 => AuditedPool::new(48, 1);
        pool_seed_2 => AuditedPool::new(48, 2);
        pool_seed_3 => AuditedPool::new(48, 3);
    }
    leak_cases! { RememberingQueue, |queue| queue.serve();
        queue_seed_1 => RememberingQueue::new(3, 3, 1);
        queue_seed_2 => RememberingQueue::new(3, 3, 2);
        queue_seed_3 => RememberingQueue::new(3, 3, 3);
    }
}

mod slow_leak_after_a_bump {
    use super::*;
    leak_cases! { Registry, |registry| registry.handle();
        seed_1 => Registry::new(0.5, 1);
        seed_2 => Registry::new(0.5, 2);
        seed_3 => Registry::new(0.5, 3);
        seed_4 => Registry::new(0.5, 4);
        seed_5 => Registry::new(0.5, 5);
        seed_6 => Registry::new(0.5, 6);
        seed_7 => Registry::new(0.5, 7);
        seed_8 => Registry::new(0.5, 8);
        seed_9 => Registry::new(0.5, 9);
        seed_10 => Registry::new(0.5, 10);
    }
}

mod doubling_leak {
    use super::*;
    leak_cases! { ClosedIds, |ids| ids.open_and_close();
        closed_ids_never_pruned => ClosedIds::default();
    }
    leak_cases! { EventHistory, |history| history.record();
        event_history_never_trimmed => EventHistory::default();
        event_history_from_15_never_trimmed => EventHistory::starting_with(15);
        event_history_from_30_never_trimmed => EventHistory::starting_with(30);
    }
    leak_cases! { ParallelHistory, |history| history.record();
        two_vecs_never_trimmed => ParallelHistory::default();
    }
}

mod leak_under_transient_noise {
    use super::*;
    leak_cases! { TimestampedRenderer, |renderer| renderer.render();
        eight_bytes_per_call => TimestampedRenderer::new(1);
    }
    leak_cases! { RetryingRenderer, |renderer| renderer.render();
        block_every_tenth_call => RetryingRenderer::new(2);
    }
}

mod handles {
    use super::*;

    #[leak_test]
    fn file_opened_and_closed() -> Result<(), String> {
        let file = std::fs::File::open("/dev/null").map_err(|error| error.to_string())?;
        drop(black_box(file));
        Ok(())
    }

    #[leak_test(should_leak, setup = HandleKeeper::default)]
    fn file_kept_every_tenth_call(keeper: &mut HandleKeeper) -> Result<(), String> {
        keeper.read_null().map_err(|error| error.to_string())
    }
}

leaktest_core::main!();
