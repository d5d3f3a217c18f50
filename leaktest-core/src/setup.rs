//! Lets `setup = path` be a sync or an async function for async tests.
//!
//! The macro cannot see whether `path()` returns a future, so its expansion calls
//! `(&&SetupWrap::new(path())).into_setup_future().await`. Method resolution picks
//! [`AsyncSetupValue`] when the value is a future (awaiting it) and falls back to
//! [`SyncSetupValue`] otherwise (the value is ready): autoref specialization.

use std::cell::Cell;
use std::future::{Future, Ready};

/// Holds the value returned by a setup function until it is turned into a future.
pub struct SetupWrap<T>(Cell<Option<T>>);

impl<T> SetupWrap<T> {
    /// Wraps the value returned by the setup function.
    pub fn new(value: T) -> Self {
        SetupWrap(Cell::new(Some(value)))
    }

    fn take(&self) -> T {
        match self.0.take() {
            Some(value) => value,
            None => unreachable!("a setup value is taken once"),
        }
    }
}

/// Chosen when the setup function returned a future: the future itself.
pub trait AsyncSetupValue {
    /// The future returned by the setup function.
    type Output: Future;
    /// Takes the future out to be awaited.
    fn into_setup_future(self) -> Self::Output;
}

impl<F: Future> AsyncSetupValue for &&SetupWrap<F> {
    type Output = F;
    fn into_setup_future(self) -> F {
        self.take()
    }
}

/// Chosen when the setup function returned a plain value: a ready future of it.
pub trait SyncSetupValue {
    /// The value returned by the setup function.
    type Value;
    /// A future that is immediately ready with the value.
    fn into_setup_future(self) -> Ready<Self::Value>;
}

impl<T> SyncSetupValue for &SetupWrap<T> {
    type Value = T;
    fn into_setup_future(self) -> Ready<T> {
        std::future::ready(self.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn async_setup() -> u32 {
        7
    }

    fn sync_setup() -> u32 {
        5
    }

    #[test]
    fn async_and_sync_setups_both_resolve_to_their_value() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let from_async =
            runtime.block_on(async { (&&SetupWrap::new(async_setup())).into_setup_future().await });
        #[allow(clippy::needless_borrow)]
        let from_sync =
            runtime.block_on(async { (&&SetupWrap::new(sync_setup())).into_setup_future().await });
        assert_eq!(from_async, 7);
        assert_eq!(from_sync, 5);
    }
}
