//! The types of a method that travel, and the where-clauses that assume them to be data,
//! so that a type that is not data is reported once, at the type (by `assert_data`), not
//! again by every generated body that encodes or decodes it.

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use super::Generator;
use crate::model::impl_block::{Method, Output, Role};

impl Generator<'_> {
    /// `where for<'__call_core> T: Data, …` over `types`, each bound spanned at its type.
    ///
    /// The generated items that encode or decode these types carry these bounds, so that
    /// a type that is not data is reported once, by the `assert_data` check at the type,
    /// not again by each body that serializes it. The `for<'__call_core>` is what makes
    /// that work: rustc rejects a where-clause on concrete types that does not hold
    /// (rust-lang/rust#48214), but not one under a binder; inside the item the bound is
    /// assumed, and every caller still has to prove it.
    ///
    /// A type with a lifetime other than `'static` (`Cow<'_, str>`) gets no bound: a
    /// where-clause cannot use `'_`.
    pub(super) fn data_bounds<'t>(&self, types: impl IntoIterator<Item = &'t syn::Type>) -> TokenStream {
        let krate = self.krate;
        let bounds = types
            .into_iter()
            .filter(|ty| !has_non_static_lifetime(ty.to_token_stream()))
            .map(|ty| quote_spanned!(ty.span()=> for<'__call_core> #ty: #krate::__private::Data));
        quote!(where #(#bounds,)*)
    }

    /// The types of `method` that travel: its parameters' owned forms, and a callable
    /// method's value and error (a handler's result stays on the object: it is logged).
    pub(super) fn data_types<'m>(method: &'m Method<'m>) -> Vec<&'m syn::Type> {
        let outputs: Vec<&syn::Type> = match (method.role, &method.output) {
            (Role::Handler, _) | (_, Output::Unit) => vec![],
            (_, Output::Value(t) | Output::Message { ok: t }) => vec![t],
            (_, Output::Result { ok, err }) => vec![ok, err],
        };
        method.params.iter().filter_map(|p| p.data_type()).chain(outputs).collect()
    }
}

/// Whether `tokens` contain a lifetime other than `'static`.
fn has_non_static_lifetime(tokens: TokenStream) -> bool {
    let mut after_quote = false;
    for tt in tokens {
        match tt {
            TokenTree::Punct(p) => after_quote = p.as_char() == '\'',
            TokenTree::Ident(i) if after_quote => {
                if i != "static" {
                    return true;
                }
                after_quote = false;
            }
            TokenTree::Group(g) => {
                if has_non_static_lifetime(g.stream()) {
                    return true;
                }
                after_quote = false;
            }
            _ => after_quote = false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::has_non_static_lifetime;
    use quote::quote;

    #[test]
    fn finds_lifetimes_a_where_clause_cannot_name() {
        assert!(has_non_static_lifetime(quote!(Cow<'_, str>)));
        assert!(has_non_static_lifetime(quote!(Vec<(u8, Cow<'a, str>)>)));
        assert!(!has_non_static_lifetime(quote!(Cow<'static, str>)));
        assert!(!has_non_static_lifetime(quote!(Result<Vec<u8>, String>)));
    }
}
