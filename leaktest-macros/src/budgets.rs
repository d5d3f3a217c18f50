//! The budget keys of the attribute (`max_peak = "24 MiB"`, `max_fds_growth = 1`,
//! ...), their values, and the `leaktest_core::model::Budget` each one names
//! in the expansion. The keys mirror `Budget::key` in leaktest-core, which
//! cannot be used here (leaktest-core depends on this crate); the UI test
//! `pass_every_form.rs` compiles every one of them against leaktest-core.

use proc_macro2::TokenStream;
use quote::quote;

/// What a budget's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// A size: `"24 MiB"`, `"64 B"` or a whole number of bytes.
    Bytes,
    /// A whole number.
    Count,
}

/// Every budget key, its unit, and the resource of a growth budget.
pub(crate) const BUDGETS: [(&str, Unit, Option<&str>); 10] = [
    ("max_peak", Unit::Bytes, None),
    ("max_growth", Unit::Bytes, Some("HeapBytes")),
    ("max_blocks_growth", Unit::Count, Some("HeapBlocks")),
    ("max_native_growth", Unit::Bytes, Some("NativeHeapBytes")),
    ("max_fds_growth", Unit::Count, Some("Fds")),
    ("max_threads_growth", Unit::Count, Some("Threads")),
    ("max_children_growth", Unit::Count, Some("ChildProcesses")),
    ("max_tasks_growth", Unit::Count, Some("TokioTasks")),
    ("max_alloc_per_iter", Unit::Bytes, None),
    ("max_allocs_per_iter", Unit::Count, None),
];

/// The unit of a budget key, if `key` is one.
pub(crate) fn unit_of(key: &str) -> Option<Unit> {
    BUDGETS
        .iter()
        .find(|(name, _, _)| *name == key)
        .map(|(_, unit, _)| *unit)
}

/// How a budget key is written, for error messages.
pub(crate) fn example(key: &str) -> String {
    match unit_of(key) {
        Some(Unit::Bytes) if key == "max_peak" => format!("{key} = \"24 MiB\""),
        Some(Unit::Bytes) if key == "max_growth" => format!("{key} = \"64 B\""),
        Some(Unit::Bytes) => format!("{key} = \"4 KiB\""),
        _ => format!("{key} = 1"),
    }
}

/// The `leaktest_core::__private::Budget` expression of a budget key.
pub(crate) fn budget_path(key: &str) -> TokenStream {
    let budget = quote!(::leaktest_core::__private::Budget);
    let resource = quote!(::leaktest_core::__private::Resource);
    match key {
        "max_peak" => quote!(#budget::Peak),
        "max_alloc_per_iter" => quote!(#budget::AllocationBytesPerIteration),
        "max_allocs_per_iter" => quote!(#budget::AllocationsPerIteration),
        _ => {
            let variant = BUDGETS
                .iter()
                .find(|(name, _, _)| *name == key)
                .and_then(|(_, _, resource)| *resource)
                .unwrap_or("HeapBytes");
            let variant = proc_macro2::Ident::new(variant, proc_macro2::Span::call_site());
            quote!(#budget::Growth(#resource::#variant))
        }
    }
}
