//! Checks that the annotated function can be called by the harness, and that the
//! arguments fit it (`flavor` needs `async fn`, `setup` needs one parameter).

use crate::args::{Flavor, LeakTestArgs};
use crate::errors::Errors;
use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::{FnArg, PatType, Signature, Type};

/// What the expansion needs to know about a function that passed the checks.
pub(crate) struct TestFn<'a> {
    /// `async fn`: the body runs on a tokio runtime.
    pub(crate) is_async: bool,
    /// The type of the parameter that receives the `setup` value, if any.
    pub(crate) state_type: Option<&'a Type>,
}

/// Checks the function and its fit with `args`, recording every problem in `errors`.
pub(crate) fn check<'a>(
    sig: &'a Signature,
    args: &LeakTestArgs,
    errors: &mut Errors,
) -> TestFn<'a> {
    check_qualifiers(sig, errors);
    let state = check_parameters(sig, args, errors);
    check_runtime(sig, args, errors);
    TestFn {
        is_async: sig.asyncness.is_some(),
        state_type: state.map(|pat_type| &*pat_type.ty),
    }
}

/// The harness calls the test as a plain, safe, non-generic Rust function.
fn check_qualifiers(sig: &Signature, errors: &mut Errors) {
    if let Some(constness) = &sig.constness {
        errors.at(
            constness,
            "a leak test cannot be a `const fn`; remove `const`",
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.at(
            unsafety,
            "a leak test cannot be an `unsafe fn`: the harness calls it from safe code; remove `unsafe` and use an `unsafe` block inside the body",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, "a leak test cannot have an `extern` ABI; remove it");
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "a leak test cannot be variadic; remove `...`");
    }
    if !sig.generics.params.is_empty() {
        errors.at(
            &sig.generics,
            "a leak test cannot be generic: the harness calls it without type arguments; remove the generic parameters",
        );
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        errors.at(
            where_clause,
            "a leak test cannot have a `where` clause; remove it",
        );
    }
}

/// No parameter, or exactly one receiving the value built by `setup`.
/// Returns that parameter.
fn check_parameters<'a>(
    sig: &'a Signature,
    args: &LeakTestArgs,
    errors: &mut Errors,
) -> Option<&'a PatType> {
    let name = &sig.ident;
    let mut typed = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.at(
                receiver,
                "a leak test cannot take `self`: the harness calls it as a free function; move it out of the `impl` block",
            ),
            FnArg::Typed(pat_type) => typed.push(pat_type),
        }
    }
    if typed.len() > 1 {
        let extra = &typed[1..];
        errors.at(
            quote!(#(#extra),*),
            "a leak test takes at most one parameter, the value built by `setup`; gather these into one struct that `setup` returns",
        );
    }
    let state = typed.first().copied();
    if let Some(state) = state {
        if contains_impl_trait(state.ty.to_token_stream()) {
            errors.at(
                &state.ty,
                "a leak test cannot be generic: name the type `setup` returns instead of `impl Trait`",
            );
        }
        if !args.was_given("setup") {
            errors.at(
                &sig.inputs,
                format!(
                    "`{name}` takes a parameter but the attribute has no `setup`: add `setup = path` naming a function that builds the value once, like `#[leak_test(setup = make_state)]`"
                ),
            );
        }
    } else if let Some(setup) = &args.setup {
        // A lone `self` is already reported; asking for a parameter would mislead.
        if sig.inputs.is_empty() {
            errors.at(
                &setup.source,
                format!(
                    "`setup` is given but `{name}` has no parameter to receive its value: add one, like `fn {name}(state: &mut State)`, or remove `setup`"
                ),
            );
        }
    }
    state
}

/// `flavor` and `worker_threads` configure the tokio runtime of an `async fn`.
fn check_runtime(sig: &Signature, args: &LeakTestArgs, errors: &mut Errors) {
    let name = &sig.ident;
    if sig.asyncness.is_none() {
        if let Some(flavor) = &args.flavor {
            errors.at(
                &flavor.source,
                format!("`flavor` applies only to `async fn` tests; remove it, or make `{name}` an `async fn`"),
            );
        }
        if let Some(worker_threads) = &args.worker_threads {
            errors.at(
                &worker_threads.source,
                format!("`worker_threads` applies only to `async fn` tests; remove it, or make `{name}` an `async fn`"),
            );
        }
        return;
    }
    let is_multi_thread =
        matches!(&args.flavor, Some(flavor) if flavor.value == Flavor::MultiThread);
    // An unknown flavor is already reported; the user may have meant "multi_thread".
    let flavor_is_unknown = args.was_given("flavor") && args.flavor.is_none();
    if let Some(worker_threads) = &args.worker_threads {
        if !is_multi_thread && !flavor_is_unknown {
            errors.at(
                &worker_threads.source,
                "`worker_threads` needs `flavor = \"multi_thread\"`: the default current-thread runtime has no worker threads; add `flavor = \"multi_thread\"` or remove `worker_threads`",
            );
        }
    }
}

/// Argument-position `impl Trait` makes a function generic without `<...>`.
fn contains_impl_trait(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => contains_impl_trait(group.stream()),
        _ => false,
    })
}
