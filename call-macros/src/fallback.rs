//! Output on error: the user's item stays (so the rest of the crate and IDEs keep
//! working), followed by the errors.

use proc_macro2::TokenStream;
use quote::quote;

/// The original item plus `compile_error!`s.
pub(crate) fn item_with_errors(original: TokenStream, error: syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    quote!(#original #errors)
}

/// An expression that is only the errors: its type is the error type, so rustc reports
/// nothing more about the surrounding code.
pub(crate) fn expr_with_errors(error: syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    quote!({ #errors })
}

/// A `#[callable]` or `#[handler]` mark that no `#[continuation]` read: the item, and an
/// error at it.
pub(crate) fn mark_outside_continuation(mark: &str, item: TokenStream) -> TokenStream {
    let message = format!(
        "`#[{mark}]` marks a method inside a `#[continuation]` impl block; put `#[continuation]` on the `impl`"
    );
    // An attribute macro's call site is the attribute: the error points at the mark.
    let error = syn::Error::new(proc_macro2::Span::call_site(), message).to_compile_error();
    quote!(#item #error)
}
