//! The arguments of `#[continuation(...)]`: `durable` (the type makes durable calls) and
//! `crate = path` (where call-core is when it is renamed), each accepted once.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Path, Token};

mod kw {
    syn::custom_keyword!(durable);
}

/// Parsed attribute arguments.
pub(crate) struct Args {
    /// Path of call-core in generated code.
    pub(crate) krate: TokenStream,
    /// `durable`: the type makes durable calls.
    pub(crate) durable: bool,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut krate: Option<Path> = None;
        let mut durable = false;
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::durable) {
                let key: kw::durable = input.parse()?;
                if durable {
                    return Err(syn::Error::new(key.span, "duplicate `durable` argument"));
                }
                durable = true;
            } else if lookahead.peek(Token![crate]) {
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
                    "unknown argument: `#[continuation]` takes `durable` and `crate = path`",
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
        Ok(Args { krate, durable })
    }
}
