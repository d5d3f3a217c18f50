//! Parses the arguments of `#[leak_test(...)]` into [`LeakTestArgs`].
//!
//! Every argument is checked on its own here (value types, ranges, durations,
//! duplicates); checks that also need the function (`flavor` on a sync fn,
//! `setup` without a parameter) live in [`crate::signature`].

use crate::budgets::{self, Unit};
use crate::errors::Errors;
use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

/// Iterations when the attribute gives none; mirrors
/// `leaktest_core::registry::DEFAULT_ITERATIONS`, used to reject a lone `warmup`
/// that would leave nothing to judge.
pub(crate) const DEFAULT_ITERATIONS: u64 = 100;

/// Every key the attribute accepts besides the budgets, in the order the
/// error message lists them (the budget keys, [`budgets::BUDGETS`], follow).
const KEYS: [&str; 11] = [
    "iterations",
    "warmup",
    "should_leak",
    "ignore",
    "timeout",
    "settle",
    "confirm",
    "flavor",
    "worker_threads",
    "setup",
    "memory_limit",
];

/// Every key the attribute accepts, budgets included, in the order error messages list them.
fn all_keys() -> impl Iterator<Item = &'static str> {
    KEYS.into_iter()
        .chain(budgets::BUDGETS.iter().map(|(key, _, _)| *key))
}
/// The smallest `memory_limit`; mirrors `leaktest_core::protocol::MIN_MEMORY_LIMIT_BYTES`.
const MIN_MEMORY_LIMIT_BYTES: u64 = 16 << 20;

/// How each key is written, for error messages.
fn example(key: &str) -> String {
    match key {
        "iterations" => "iterations = 100",
        "warmup" => "warmup = 10",
        "should_leak" => "should_leak",
        "ignore" => "ignore = \"reason\"",
        "timeout" => "timeout = \"30s\"",
        "settle" => "settle = \"200ms\"",
        "confirm" => "confirm = \"2s\"",
        "flavor" => "flavor = \"multi_thread\"",
        "worker_threads" => "worker_threads = 2",
        "memory_limit" => "memory_limit = \"4 GiB\"",
        "setup" => "setup = make_state",
        budget => return budgets::example(budget),
    }
    .to_owned()
}

/// A value together with the `key = value` it was written as, so later checks
/// can underline the user's own tokens.
pub(crate) struct Keyed<T> {
    /// The parsed value.
    pub(crate) value: T,
    /// The argument as written.
    pub(crate) source: Meta,
}

/// The tokio runtime flavor of an async test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `flavor = "current_thread"` (the default).
    CurrentThread,
    /// `flavor = "multi_thread"`.
    MultiThread,
}

/// The valid arguments of one `#[leak_test(...)]`; invalid ones are left unset
/// and reported through [`Errors`].
#[derive(Default)]
pub(crate) struct LeakTestArgs {
    /// `iterations = N`, N > 0.
    pub(crate) iterations: Option<u64>,
    /// `warmup = N`, N below the iterations.
    pub(crate) warmup: Option<Keyed<u64>>,
    /// `should_leak`.
    pub(crate) should_leak: bool,
    /// `ignore` (empty reason) or `ignore = "reason"`.
    pub(crate) ignore: Option<String>,
    /// `timeout = "30s"`, in milliseconds, > 0.
    pub(crate) timeout_ms: Option<u64>,
    /// `settle = "200ms"`, in milliseconds.
    pub(crate) settle_ms: Option<u64>,
    /// `confirm = "2s"`, in milliseconds (0 turns the wait off).
    pub(crate) confirm_ms: Option<u64>,
    /// `flavor = "..."`.
    pub(crate) flavor: Option<Keyed<Flavor>>,
    /// `worker_threads = N`, N > 0.
    pub(crate) worker_threads: Option<Keyed<usize>>,
    /// `setup = path`, `setup = || expr`, or another expression callable
    /// with no arguments.
    pub(crate) setup: Option<Keyed<Expr>>,
    /// Budgets (`max_peak = "24 MiB"`, `max_fds_growth = 1`, ...): key and
    /// limit in bytes or a count, in the order written.
    pub(crate) budgets: Vec<(&'static str, u64)>,
    /// `memory_limit = "4 GiB"`, in bytes, at least 16 MiB.
    pub(crate) memory_limit_bytes: Option<u64>,
    /// Keys written so far, valid or not, to catch duplicates.
    given: Vec<&'static str>,
}

impl LeakTestArgs {
    /// Parses the attribute's arguments, recording every problem in `errors`.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> LeakTestArgs {
        let mut args = LeakTestArgs::default();
        match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens) {
            Ok(metas) => {
                for meta in metas {
                    args.apply(meta, errors);
                }
                args.check_warmup(errors);
            }
            Err(error) => errors.push(error),
        }
        args
    }

    /// True when `key` was written, even with an invalid value.
    pub(crate) fn was_given(&self, key: &str) -> bool {
        self.given.contains(&key)
    }

    fn apply(&mut self, meta: Meta, errors: &mut Errors) {
        let Some(key) = all_keys().find(|key| meta.path().is_ident(key)) else {
            let written = meta
                .path()
                .segments
                .iter()
                .map(|segment| segment.ident.to_string())
                .collect::<Vec<_>>()
                .join("::");
            errors.at(
                meta.path(),
                format!(
                    "unknown argument `{written}`; valid arguments are: {}",
                    all_keys().collect::<Vec<_>>().join(", ")
                ),
            );
            return;
        };
        if self.was_given(key) {
            errors.at(
                meta.path(),
                format!("duplicate argument `{key}`: it is already given earlier in this attribute; remove one"),
            );
            return;
        }
        self.given.push(key);
        if let Err(error) = self.apply_value(key, meta) {
            errors.push(error);
        }
    }

    fn apply_value(&mut self, key: &'static str, meta: Meta) -> syn::Result<()> {
        match key {
            "iterations" => self.iterations = Some(positive_int(key, &meta)?),
            "warmup" => {
                let value = int(key, &meta)?.0;
                self.warmup = Some(Keyed {
                    value,
                    source: meta,
                });
            }
            "should_leak" => {
                flag(key, &meta)?;
                self.should_leak = true;
            }
            "ignore" => self.ignore = Some(ignore_reason(&meta)?),
            "timeout" => {
                let (timeout_ms, lit) = duration_ms(key, &meta)?;
                if timeout_ms == 0 {
                    return Err(syn::Error::new_spanned(
                        lit,
                        "`timeout` must be longer than zero, like `timeout = \"30s\"`",
                    ));
                }
                self.timeout_ms = Some(timeout_ms);
            }
            "settle" => self.settle_ms = Some(duration_ms(key, &meta)?.0),
            "confirm" => self.confirm_ms = Some(duration_ms(key, &meta)?.0),
            "memory_limit" => self.memory_limit_bytes = Some(memory_limit(&meta)?),
            "flavor" => {
                let value = flavor(&meta)?;
                self.flavor = Some(Keyed {
                    value,
                    source: meta,
                });
            }
            "worker_threads" => {
                let value = positive_int(key, &meta)?;
                self.worker_threads = Some(Keyed {
                    value,
                    source: meta,
                });
            }
            "setup" => {
                let value = setup_callable(&meta)?;
                self.setup = Some(Keyed {
                    value,
                    source: meta,
                });
            }
            budget => {
                let limit = match budgets::unit_of(budget) {
                    Some(Unit::Bytes) => size(budget, &meta)?,
                    _ => int(budget, &meta)?.0,
                };
                self.budgets.push((budget, limit));
            }
        }
        Ok(())
    }

    /// Warm-up iterations are not judged, so at least one judged iteration must remain.
    fn check_warmup(&self, errors: &mut Errors) {
        let Some(warmup) = &self.warmup else { return };
        let message = match self.iterations {
            Some(iterations) if warmup.value >= iterations => format!(
                "`warmup = {}` must be less than `iterations = {iterations}`: warm-up iterations are not judged; lower `warmup` or raise `iterations`",
                warmup.value
            ),
            None if !self.was_given("iterations") && warmup.value >= DEFAULT_ITERATIONS => format!(
                "`warmup = {}` must be less than the default {DEFAULT_ITERATIONS} iterations: warm-up iterations are not judged; lower `warmup` or add `iterations = N` with N above {}",
                warmup.value, warmup.value
            ),
            _ => return,
        };
        errors.at(&warmup.source, message);
    }
}

/// The `value` of `key = value`, or an error saying how to write the key.
fn value<'m>(key: &str, meta: &'m Meta) -> syn::Result<&'m Expr> {
    match meta {
        Meta::NameValue(name_value) => Ok(&name_value.value),
        Meta::Path(path) => Err(syn::Error::new_spanned(
            path,
            format!("`{key}` needs a value: write `{}`", example(key)),
        )),
        Meta::List(list) => Err(syn::Error::new_spanned(
            list,
            format!(
                "`{key}` takes `= value`, not parentheses: write `{}`",
                example(key)
            ),
        )),
    }
}

fn int<'m, T>(key: &str, meta: &'m Meta) -> syn::Result<(T, &'m Expr)>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let expr = value(key, meta)?;
    match expr {
        // A negative literal can reach here as one token when the attribute was
        // written by another macro.
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) if !int.base10_digits().starts_with('-') => Ok((int.base10_parse()?, expr)),
        _ => Err(syn::Error::new_spanned(
            expr,
            format!("`{key}` expects a whole number, like `{}`", example(key)),
        )),
    }
}

fn positive_int<T>(key: &str, meta: &Meta) -> syn::Result<T>
where
    T: std::str::FromStr + Default + PartialEq,
    T::Err: std::fmt::Display,
{
    let (number, expr) = int::<T>(key, meta)?;
    if number == T::default() {
        return Err(syn::Error::new_spanned(
            expr,
            format!("`{key}` must be at least 1, like `{}`", example(key)),
        ));
    }
    Ok(number)
}

fn string<'m>(key: &str, meta: &'m Meta) -> syn::Result<&'m LitStr> {
    match value(key, meta)? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(lit),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` expects a string, like `{}`", example(key)),
        )),
    }
}

fn flag(key: &str, meta: &Meta) -> syn::Result<()> {
    match meta {
        Meta::Path(_) => Ok(()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` is a flag and takes no value: write `{key}` alone"),
        )),
    }
}

fn ignore_reason(meta: &Meta) -> syn::Result<String> {
    match meta {
        Meta::Path(_) => Ok(String::new()),
        _ => Ok(string("ignore", meta)?.value()),
    }
}

fn duration_ms<'m>(key: &str, meta: &'m Meta) -> syn::Result<(u64, &'m LitStr)> {
    let lit = string(key, meta)?;
    match leaktest_units::parse_duration_ms(&lit.value()) {
        Some(ms) => Ok((ms, lit)),
        None => Err(syn::Error::new_spanned(
            lit,
            format!(
                "invalid duration {:?} for `{key}`: write a whole number followed by `ms`, `s` or `m`, like `{}`",
                lit.value(),
                example(key)
            ),
        )),
    }
}

/// A size in bytes: a string with a unit (`"24 MiB"`, `"64 B"`; KiB = 1024,
/// KB = 1000) or a whole number of bytes.
fn size(key: &str, meta: &Meta) -> syn::Result<u64> {
    match value(key, meta)? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => leaktest_units::parse_size(&lit.value()).map_err(|error| {
            syn::Error::new_spanned(lit, format!("invalid size for `{key}`: {error}"))
        }),
        _ => int(key, meta).map(|(bytes, _)| bytes).map_err(|error| {
            syn::Error::new(
                error.span(),
                format!(
                    "`{key}` expects a size, like `{}`, or a whole number of bytes",
                    example(key)
                ),
            )
        }),
    }
}

/// `memory_limit = "4 GiB"` (or a whole number of bytes): at least 16 MiB.
fn memory_limit(meta: &Meta) -> syn::Result<u64> {
    let bytes = size("memory_limit", meta)?;
    if bytes < MIN_MEMORY_LIMIT_BYTES {
        let at = match value("memory_limit", meta) {
            Ok(expr) => syn::Error::new_spanned(
                expr,
                format!(
                    "`memory_limit` must be at least 16 MiB: even an empty test's process holds more, like `{}`",
                    example("memory_limit")
                ),
            ),
            Err(error) => error,
        };
        return Err(at);
    }
    Ok(bytes)
}

fn flavor(meta: &Meta) -> syn::Result<Flavor> {
    let lit = string("flavor", meta)?;
    match lit.value().as_str() {
        "current_thread" => Ok(Flavor::CurrentThread),
        "multi_thread" => Ok(Flavor::MultiThread),
        other => Err(syn::Error::new_spanned(
            lit,
            format!("unknown flavor {other:?}: expected \"current_thread\" (the default) or \"multi_thread\""),
        )),
    }
}

/// The value of `setup`: something called once with no arguments. A path
/// (`make_state`, `Server::start`), a closure without parameters
/// (`|| Lru::new(64)`), or another expression of a callable type. A string,
/// a closure with parameters and a call (which would be called again) are
/// errors at the value.
fn setup_callable(meta: &Meta) -> syn::Result<Expr> {
    let value = value("setup", meta)?;
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Err(syn::Error::new_spanned(
            lit,
            format!("`setup` expects a path to a function, not a string: write `setup = {}`", lit.value()),
        )),
        Expr::Closure(closure) if !closure.inputs.is_empty() => Err(syn::Error::new_spanned(
            &closure.inputs,
            "a `setup` closure takes no arguments: it is called once, with none, before the iterations, and the test receives `&mut` to what it returns",
        )),
        Expr::Call(_) | Expr::MethodCall(_) => Err(syn::Error::new_spanned(
            value,
            "`setup` expects a function or a closure to call once before the iterations, not a call: write `setup = || ...` to build the state with arguments, like `setup = || Lru::new(64)`",
        )),
        Expr::Lit(_) => Err(syn::Error::new_spanned(
            value,
            "`setup` expects a function called once before the iterations, like `setup = make_state`, `setup = Server::start` or `setup = || Lru::new(64)`",
        )),
        other => Ok(other.clone()),
    }
}
