//! Turns a checked `#[leak_test]` function into the function itself plus a
//! registration that calls it through `leaktest_core::__private`.

use crate::args::{Flavor, LeakTestArgs};
use crate::errors::Errors;
use crate::signature::{self, TestFn};
use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Item, ItemFn, ReturnType};

/// Expands `#[leak_test(attr)] item`. On any error the item is emitted
/// unchanged next to the errors, so the rest of the crate still type-checks.
pub(crate) fn leak_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = LeakTestArgs::parse(attr, &mut errors);
    let item_fn = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(item_fn)) => item_fn,
        Ok(other) => {
            errors.at(
                other,
                "`#[leak_test]` applies only to functions: put it on a `fn` or `async fn` whose body is one iteration of the test",
            );
            return with_errors(item, &errors);
        }
        Err(error) => {
            errors.push(error);
            return with_errors(item, &errors);
        }
    };
    let test_fn = signature::check(&item_fn.sig, &args, &mut errors);
    if !errors.is_empty() {
        return with_errors(item, &errors);
    }
    let registration = registration(&item_fn, &args, &test_fn);
    quote! {
        #item
        #registration
    }
}

fn with_errors(item: TokenStream, errors: &Errors) -> TokenStream {
    let errors = errors.to_compile_errors();
    quote! {
        #item
        #errors
    }
}

/// The hidden item that registers the test with leaktest-core.
fn registration(item: &ItemFn, args: &LeakTestArgs, test_fn: &TestFn) -> TokenStream {
    let name = &item.sig.ident;
    let name_text = name.unraw().to_string();
    // `line!()` spanned at the name reports the function's line, not the attribute's.
    let line = quote_spanned!(name.span()=> ::core::line!());
    let setup_traits = (test_fn.is_async && args.setup.is_some()).then(|| {
        quote! {
            #[allow(unused_imports)]
            use ::leaktest_core::__private::{AsyncSetupValue as _, SyncSetupValue as _};
        }
    });
    let run = run_call(item, args, test_fn);
    let config = config(args, test_fn);
    let registration = quote! {
        #setup_traits
        fn __leaktest_run(__leaktest_driver: &mut ::leaktest_core::__private::Driver) {
            #run
        }
        ::leaktest_core::__private::inventory::submit! {
            ::leaktest_core::__private::LeakTest {
                name: #name_text,
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: #line,
                config: #config,
                run: __leaktest_run,
            }
        }
    };
    // Async registrations pass through `__require_tokio!`, which keeps them when
    // leaktest-core has its `tokio` feature and replaces them with one clear
    // error when it does not.
    let registration = if test_fn.is_async {
        quote!(::leaktest_core::__require_tokio! { #registration })
    } else {
        registration
    };
    quote! {
        #[doc(hidden)]
        const _: () = {
            #registration
        };
    }
}

/// The driver call that runs the body, for each of the four test shapes.
fn run_call(item: &ItemFn, args: &LeakTestArgs, test_fn: &TestFn) -> TokenStream {
    let name = &item.sig.ident;
    let output = &item.sig.output;
    // `signature::check` has made sure `setup` and the parameter come together.
    let setup_and_state = args
        .setup
        .as_ref()
        .zip(test_fn.state_type)
        .map(|(setup, state_type)| {
            let callable = &setup.value;
            // A path is called as written; any other expression (a closure)
            // through `call_setup`, not in place: `(|| ..)()` in the user's
            // code is what clippy's `redundant_closure_call` flags.
            let call = match callable {
                syn::Expr::Path(path) => quote_spanned!(path.span()=> #path()),
                other => {
                    quote_spanned!(other.span()=> ::leaktest_core::__private::call_setup(#other))
                }
            };
            (call, state_arg(state_type))
        });
    match (test_fn.is_async, setup_and_state) {
        (false, None) => {
            let result = into_test_result(quote!(#name()), output);
            quote! {
                __leaktest_driver.run_sync(|| #result);
            }
        }
        (false, Some((setup, state))) => {
            let result = into_test_result(quote!(#name(#state)), output);
            quote! {
                __leaktest_driver.run_sync_with_setup(|| #setup, |__leaktest_state| #result);
            }
        }
        (true, None) => {
            let result = into_test_result(quote!(#name().await), output);
            quote! {
                __leaktest_driver.run_async(|| async { #result });
            }
        }
        (true, Some((setup, state))) => {
            let result = into_test_result(quote!(#name(#state).await), output);
            quote! {
                __leaktest_driver.run_async_with_setup(
                    || async {
                        (&&::leaktest_core::__private::SetupWrap::new(#setup))
                            .into_setup_future()
                            .await
                    },
                    |__leaktest_state| ::std::boxed::Box::pin(async move { #result })
                        as ::std::pin::Pin<::std::boxed::Box<
                            dyn ::std::future::Future<
                                Output = ::leaktest_core::__private::TestResult,
                            > + '_,
                        >>,
                );
            }
        }
    }
}

/// The setup value passed to the test, spanned at the user's parameter type so
/// a mismatch with what `setup` returns is reported at that parameter.
fn state_arg(state_type: &syn::Type) -> TokenStream {
    quote_spanned!(state_type.span()=> __leaktest_state)
}

/// `into_test_result(call)`. The returned value is bound to a name spanned at
/// the return type, so an unsupported return type is reported there.
fn into_test_result(call: TokenStream, output: &ReturnType) -> TokenStream {
    let span = match output {
        ReturnType::Default => Span::call_site(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let returned = quote_spanned!(span=> __leaktest_returned);
    let convert =
        quote_spanned!(span=> ::leaktest_core::__private::IntoTestResult::into_test_result);
    quote! {{
        let #returned = #call;
        #convert(#returned)
    }}
}

/// The `TestConfig` literal.
fn config(args: &LeakTestArgs, test_fn: &TestFn) -> TokenStream {
    let iterations = option(args.iterations.map(Literal::u64_suffixed));
    let warmup = option(args.warmup.as_ref().map(|w| Literal::u64_suffixed(w.value)));
    let should_leak = args.should_leak;
    let ignore = option(args.ignore.as_deref().map(Literal::string));
    let timeout_ms = option(args.timeout_ms.map(Literal::u64_suffixed));
    let settle_ms = option(args.settle_ms.map(Literal::u64_suffixed));
    let confirm_ms = option(args.confirm_ms.map(Literal::u64_suffixed));
    let flavor = quote!(::leaktest_core::__private::Flavor);
    let runtime = match (test_fn.is_async, args.flavor.as_ref().map(|f| f.value)) {
        (false, _) => None,
        (true, None | Some(Flavor::CurrentThread)) => Some(quote!(#flavor::CurrentThread)),
        (true, Some(Flavor::MultiThread)) => Some(quote!(#flavor::MultiThread)),
    };
    let runtime = option(runtime);
    let worker_threads = option(
        args.worker_threads
            .as_ref()
            .map(|w| Literal::usize_suffixed(w.value)),
    );
    let has_setup = args.setup.is_some();
    let budgets = args.budgets.iter().map(|(key, limit)| {
        let budget = crate::budgets::budget_path(key);
        let limit = Literal::u64_suffixed(*limit);
        quote!((#budget, #limit))
    });
    let memory_limit_bytes = option(args.memory_limit_bytes.map(Literal::u64_suffixed));
    quote! {
        ::leaktest_core::__private::TestConfig {
            iterations: #iterations,
            warmup: #warmup,
            should_leak: #should_leak,
            ignore: #ignore,
            timeout_ms: #timeout_ms,
            settle_ms: #settle_ms,
            confirm_ms: #confirm_ms,
            runtime: #runtime,
            worker_threads: #worker_threads,
            has_setup: #has_setup,
            budgets: &[#(#budgets),*],
            memory_limit_bytes: #memory_limit_bytes,
        }
    }
}

fn option(value: Option<impl ToTokens>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}
