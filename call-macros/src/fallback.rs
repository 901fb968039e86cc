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
