//! `#[continuation(...)]` arguments.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Path, Token};

/// Parsed attribute arguments.
pub(crate) struct Args {
    /// Path of call-core in generated code.
    pub(crate) krate: TokenStream,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut krate: Option<Path> = None;
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(Token![crate]) {
                let key: Token![crate] = input.parse()?;
                input.parse::<Token![=]>()?;
                let path: Path = input.parse()?;
                if krate.is_some() {
                    return Err(syn::Error::new_spanned(key, "duplicate `crate` argument"));
                }
                krate = Some(path);
            } else {
                return Err(syn::Error::new(
                    input.span(),
                    "unknown argument: `#[continuation]` takes only `crate = path`",
                ));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let krate = match krate {
            Some(path) => quote!(#path),
            None => quote!(::call_core),
        };
        Ok(Args { krate })
    }
}
