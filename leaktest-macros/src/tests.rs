//! Unit tests of argument parsing and of the expansion's shape; the messages as
//! users see them are pinned by the trybuild UI tests in the `leaktest-e2e` crate.

use crate::args::{Flavor, LeakTestArgs};
use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::quote;

fn parse(tokens: TokenStream) -> (LeakTestArgs, Vec<String>) {
    let mut errors = Errors::default();
    let args = LeakTestArgs::parse(tokens, &mut errors);
    let messages = match errors.into_result() {
        Ok(()) => Vec::new(),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    };
    (args, messages)
}

fn expand(attr: TokenStream, item: TokenStream) -> String {
    crate::expand::leak_test(attr, item).to_string()
}

#[test]
fn no_arguments_leave_everything_unset() {
    let (args, errors) = parse(quote!());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(args.iterations, None);
    assert!(args.warmup.is_none());
    assert!(!args.should_leak);
    assert_eq!(args.ignore, None);
    assert!(args.flavor.is_none() && args.worker_threads.is_none() && args.setup.is_none());
}

#[test]
fn every_key_parses() {
    let (args, errors) = parse(quote!(
        iterations = 200,
        warmup = 20,
        should_leak,
        ignore = "needs a database",
        timeout = "30s",
        settle = "150ms",
        confirm = "5s",
        flavor = "multi_thread",
        worker_threads = 2,
        setup = Server::start,
    ));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(args.iterations, Some(200));
    assert_eq!(args.warmup.map(|w| w.value), Some(20));
    assert!(args.should_leak);
    assert_eq!(args.ignore.as_deref(), Some("needs a database"));
    assert_eq!(args.timeout_ms, Some(30_000));
    assert_eq!(args.settle_ms, Some(150));
    assert_eq!(args.confirm_ms, Some(5_000));
    assert_eq!(args.flavor.map(|f| f.value), Some(Flavor::MultiThread));
    assert_eq!(args.worker_threads.map(|w| w.value), Some(2));
    let setup = args.setup.map(|s| s.value);
    assert_eq!(quote!(#setup).to_string(), "Server :: start");
}

#[test]
fn every_budget_key_parses_sizes_with_their_units() {
    let (args, errors) = parse(quote!(
        max_peak = "24 MiB",
        max_growth = "64 B",
        max_blocks_growth = 1,
        max_native_growth = "1 KiB",
        max_fds_growth = 0,
        max_threads_growth = 2,
        max_children_growth = 3,
        max_tasks_growth = 4,
        max_alloc_per_iter = "4 KB",
        max_allocs_per_iter = 12,
    ));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        args.budgets,
        [
            ("max_peak", 24 * 1024 * 1024),
            ("max_growth", 64),
            ("max_blocks_growth", 1),
            ("max_native_growth", 1024),
            ("max_fds_growth", 0),
            ("max_threads_growth", 2),
            ("max_children_growth", 3),
            ("max_tasks_growth", 4),
            ("max_alloc_per_iter", 4000),
            ("max_allocs_per_iter", 12),
        ]
    );
    let (args, errors) = parse(quote!(max_peak = 1048576));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        args.budgets,
        [("max_peak", 1_048_576)],
        "a bare number is bytes"
    );
}

#[test]
fn budget_values_of_the_wrong_kind_say_how_to_write_them() {
    let cases = [
        (
            quote!(max_peak = "24 MiBs"),
            "invalid size for `max_peak`: unknown unit `MiBs`",
        ),
        (
            quote!(max_peak = "24 mib"),
            "units are case-sensitive: write `MiB`",
        ),
        (quote!(max_growth = "lots"), "is not a size"),
        (
            quote!(max_peak = -1),
            "expects a size, like `max_peak = \"24 MiB\"`",
        ),
        (
            quote!(max_peak),
            "needs a value: write `max_peak = \"24 MiB\"`",
        ),
        (
            quote!(max_fds_growth = "1"),
            "expects a whole number, like `max_fds_growth = 1`",
        ),
        (quote!(max_allocs_per_iter = 1.5), "expects a whole number"),
    ];
    for (tokens, expected) in cases {
        let text = tokens.to_string();
        let (args, errors) = parse(tokens);
        assert_eq!(errors.len(), 1, "{text}: {errors:?}");
        assert!(errors[0].contains(expected), "{text}: {}", errors[0]);
        assert!(args.budgets.is_empty(), "{text}");
    }
}

#[test]
fn budgets_expand_to_core_s_budget_values() {
    let out = expand(
        quote!(max_peak = "1 KiB", max_fds_growth = 2),
        quote!(
            fn a() {}
        ),
    );
    assert!(
        out.contains("budgets : & [(:: leaktest_core :: __private :: Budget :: Peak , 1024u64) , (:: leaktest_core :: __private :: Budget :: Growth (:: leaktest_core :: __private :: Resource :: Fds) , 2u64)]"),
        "{out}"
    );
}

#[test]
fn bare_ignore_has_an_empty_reason() {
    let (args, errors) = parse(quote!(ignore));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(args.ignore.as_deref(), Some(""));
}

#[test]
fn current_thread_flavor_parses() {
    let (args, errors) = parse(quote!(flavor = "current_thread"));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(args.flavor.map(|f| f.value), Some(Flavor::CurrentThread));
}

#[test]
fn unknown_key_lists_the_valid_ones() {
    let (_, errors) = parse(quote!(iteration = 5));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("unknown argument `iteration`"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains("iterations, warmup, should_leak"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains("setup, memory_limit, max_peak, max_growth, max_blocks_growth"),
        "{}",
        errors[0]
    );
}

#[test]
fn duplicate_key_is_reported_once_and_the_first_value_kept() {
    let (args, errors) = parse(quote!(iterations = 5, iterations = 6));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("duplicate argument `iterations`"),
        "{}",
        errors[0]
    );
    assert_eq!(args.iterations, Some(5));
}

#[test]
fn wrong_value_types_are_reported() {
    let cases = [
        (quote!(iterations = "100"), "expects a whole number"),
        (quote!(iterations), "needs a value"),
        (quote!(iterations(100)), "not parentheses"),
        (quote!(iterations = -1), "expects a whole number"),
        (quote!(should_leak = true), "is a flag"),
        (quote!(ignore = 1), "expects a string"),
        (quote!(timeout = 30), "expects a string"),
        (quote!(setup = "make_state"), "not a string"),
        (
            quote!(setup = |capacity| Lru::new(capacity)),
            "takes no arguments",
        ),
        (quote!(setup = Lru::new(64)), "not a call"),
        (quote!(setup = 64), "expects a function"),
        (quote!(flavor = multi_thread), "expects a string"),
    ];
    for (tokens, expected) in cases {
        let text = tokens.to_string();
        let (_, errors) = parse(tokens);
        assert_eq!(errors.len(), 1, "{text}: {errors:?}");
        assert!(errors[0].contains(expected), "{text}: {}", errors[0]);
    }
}

#[test]
fn out_of_range_values_are_reported() {
    let cases = [
        (quote!(iterations = 0), "`iterations` must be at least 1"),
        (
            quote!(worker_threads = 0),
            "`worker_threads` must be at least 1",
        ),
        (
            quote!(iterations = 10, warmup = 10),
            "must be less than `iterations = 10`",
        ),
        (
            quote!(warmup = 100),
            "must be less than the default 100 iterations",
        ),
        (quote!(timeout = "0s"), "longer than zero"),
        (quote!(timeout = "30"), "invalid duration \"30\""),
        (quote!(settle = "1h"), "invalid duration \"1h\""),
        (quote!(flavor = "multi"), "unknown flavor \"multi\""),
        (quote!(iterations = 99999999999999999999), "too large"),
    ];
    for (tokens, expected) in cases {
        let text = tokens.to_string();
        let (_, errors) = parse(tokens);
        assert_eq!(errors.len(), 1, "{text}: {errors:?}");
        assert!(errors[0].contains(expected), "{text}: {}", errors[0]);
    }
}

#[test]
fn settle_may_be_zero_and_warmup_may_precede_iterations() {
    let (args, errors) = parse(quote!(settle = "0ms", warmup = 99, iterations = 100));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(args.settle_ms, Some(0));
    let (_, errors) = parse(quote!(warmup = 99));
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn a_warmup_against_invalid_iterations_is_not_judged() {
    let (_, errors) = parse(quote!(iterations = 0, warmup = 5));
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let (_, errors) = parse(quote!(
        iterations = 0,
        bogus,
        timeout = "soon",
        warmup = 1,
        warmup = 2
    ));
    assert_eq!(errors.len(), 4, "{errors:?}");
}

#[test]
fn sync_test_registers_a_sync_run() {
    let out = expand(
        quote!(iterations = 200),
        quote!(
            fn a() {}
        ),
    );
    assert!(out.starts_with("fn a () { }"), "{out}");
    assert!(out.contains("run_sync (|| { let __leaktest_returned = a () ; :: leaktest_core :: __private :: IntoTestResult :: into_test_result (__leaktest_returned) })"), "{out}");
    assert!(out.contains("name : \"a\""), "{out}");
    assert!(
        out.contains("iterations : :: core :: option :: Option :: Some (200u64)"),
        "{out}"
    );
    assert!(
        out.contains("runtime : :: core :: option :: Option :: None"),
        "{out}"
    );
    assert!(!out.contains("__require_tokio"), "{out}");
}

#[test]
fn async_test_requires_tokio_and_picks_the_flavor() {
    let out = expand(
        quote!(flavor = "multi_thread", worker_threads = 2),
        quote!(
            async fn g() {}
        ),
    );
    assert!(
        out.contains(":: leaktest_core :: __require_tokio ! {"),
        "{out}"
    );
    assert!(out.contains("run_async (|| async {"), "{out}");
    assert!(
        out.contains("Option :: Some (:: leaktest_core :: __private :: Flavor :: MultiThread)"),
        "{out}"
    );
    assert!(
        out.contains("worker_threads : :: core :: option :: Option :: Some (2usize)"),
        "{out}"
    );

    let out = expand(
        quote!(),
        quote!(
            async fn f() {}
        ),
    );
    assert!(out.contains("Flavor :: CurrentThread"), "{out}");
}

#[test]
fn a_setup_closure_is_called_through_call_setup() {
    let out = expand(
        quote!(setup = || Lru::new(64)),
        quote!(
            fn i(lru: &mut Lru) {}
        ),
    );
    assert!(
        out.contains(
            "run_sync_with_setup (|| :: leaktest_core :: __private :: call_setup (| | Lru :: new (64)) ,"
        ),
        "{out}"
    );
    let out = expand(
        quote!(setup = move || async move { Server::start().await }),
        quote!(
            async fn j(server: &mut Server) {}
        ),
    );
    assert!(
        out.contains(
            "SetupWrap :: new (:: leaktest_core :: __private :: call_setup (move | | async move { Server :: start () . await }))"
        ),
        "{out}"
    );
}

#[test]
fn setup_tests_pass_the_state_to_the_function() {
    let out = expand(
        quote!(setup = Cache::new),
        quote!(
            fn i(cache: &mut Cache) {}
        ),
    );
    assert!(
        out.contains(
            "run_sync_with_setup (|| Cache :: new () , | __leaktest_state | { let __leaktest_returned = i (__leaktest_state) ;"
        ),
        "{out}"
    );
    assert!(out.contains("has_setup : true"), "{out}");

    let out = expand(
        quote!(setup = Server::start),
        quote!(
            async fn h(server: &mut Server) {}
        ),
    );
    assert!(out.contains("AsyncSetupValue as _"), "{out}");
    assert!(
        out.contains("SetupWrap :: new (Server :: start ())"),
        "{out}"
    );
    assert!(out.contains("run_async_with_setup"), "{out}");
}

#[test]
fn raw_identifiers_are_registered_without_the_prefix() {
    let out = expand(
        quote!(),
        quote!(
            fn r#loop() {}
        ),
    );
    assert!(out.contains("name : \"loop\""), "{out}");
}

#[test]
fn errors_keep_the_item_and_add_compile_errors() {
    let out = expand(
        quote!(iterations = 0),
        quote!(
            fn a() {}
        ),
    );
    assert!(out.starts_with("fn a () { }"), "{out}");
    assert!(out.contains("compile_error"), "{out}");
    assert!(!out.contains("inventory"), "{out}");

    let out = expand(
        quote!(),
        quote!(
            struct S;
        ),
    );
    assert!(out.starts_with("struct S ;"), "{out}");
    assert!(out.contains("applies only to functions"), "{out}");
}

#[test]
fn signature_and_argument_errors_are_combined() {
    let out = expand(
        quote!(iterations = 0, flavor = "multi_thread"),
        quote!(
            const fn a<T>(x: T, y: T) {}
        ),
    );
    // iterations, const, generics, extra parameter, missing setup, flavor on a sync fn.
    assert_eq!(out.matches("compile_error").count(), 6, "{out}");
}
