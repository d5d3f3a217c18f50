//! Collects every error found in one attribute so the user sees them all at once.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

/// Spanned errors gathered while parsing and checking one `#[leak_test]`.
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    /// Records an error.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// Records an error underlining `tokens`.
    pub(crate) fn at(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// True when nothing was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.combined.is_none()
    }

    /// One `compile_error!` per recorded error.
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.combined
            .as_ref()
            .map(syn::Error::to_compile_error)
            .unwrap_or_default()
    }

    /// The recorded errors, if any.
    #[cfg(test)]
    pub(crate) fn into_result(self) -> syn::Result<()> {
        self.combined.map_or(Ok(()), Err)
    }
}
