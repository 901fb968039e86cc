//! The IR of a `#[remote]` trait: a JavaScript Durable Object's methods as Rust declares
//! them, each with its JavaScript name, its parameters (as `#[continuation]` reads them) and
//! its value.

use proc_macro2::Span;
use syn::{Attribute, Ident, ItemTrait, LitStr, TraitItem, TraitItemFn, Type};

use super::impl_block::{params_of, Param};

/// How `js_name` is written.
const JS_NAME_FORM: &str = "`js_name` takes a string: `#[js_name = \"bumpAfter\"]`";

/// A `#[remote]` trait.
pub(crate) struct Remote<'a> {
    pub(crate) original: &'a ItemTrait,
    /// Its methods, in order.
    pub(crate) methods: Vec<RemoteMethod<'a>>,
    /// Items that are not methods (an error each).
    pub(crate) others: Vec<&'a TraitItem>,
}

/// A method of a JavaScript Durable Object.
pub(crate) struct RemoteMethod<'a> {
    pub(crate) original: &'a TraitItemFn,
    /// `#[js_name = "…"]`, or why it cannot be read.
    pub(crate) js_name: Option<syn::Result<LitStr>>,
    pub(crate) params: Vec<Param<'a>>,
    /// The declared return type (`None`: `()`).
    pub(crate) value: Option<&'a Type>,
}

impl<'a> Remote<'a> {
    pub(crate) fn from_syn(original: &'a ItemTrait) -> Self {
        let mut methods = Vec::new();
        let mut others = Vec::new();
        for item in &original.items {
            match item {
                TraitItem::Fn(f) => methods.push(RemoteMethod::from_syn(f)),
                other => others.push(other),
            }
        }
        Remote { original, methods, others }
    }

    pub(crate) fn ident(&self) -> &'a Ident {
        &self.original.ident
    }
}

impl<'a> RemoteMethod<'a> {
    fn from_syn(original: &'a TraitItemFn) -> Self {
        let js_name = original.attrs.iter().find(|a| is_js_name(a)).map(|a| match &a.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }),
                ..
            }) => Ok(s.clone()),
            syn::Meta::NameValue(nv) => Err(syn::Error::new_spanned(&nv.value, JS_NAME_FORM)),
            other => Err(syn::Error::new_spanned(other, JS_NAME_FORM)),
        });
        let params = params_of(&original.sig);
        let value = match &original.sig.output {
            syn::ReturnType::Default => None,
            syn::ReturnType::Type(_, ty) => Some(&**ty),
        };
        RemoteMethod { original, js_name, params, value }
    }

    pub(crate) fn name(&self) -> &'a Ident {
        &self.original.sig.ident
    }

    /// The JavaScript name: `js_name`'s, else the Rust name; and where it is written.
    pub(crate) fn js_name(&self) -> (String, Span) {
        match &self.js_name {
            Some(Ok(lit)) => (lit.value(), lit.span()),
            _ => (syn::ext::IdentExt::unraw(self.name()).to_string(), self.name().span()),
        }
    }

    /// The attributes the generated builder keeps: docs and `cfg`s.
    pub(crate) fn kept_attrs(&self) -> impl Iterator<Item = &'a Attribute> {
        self.original.attrs.iter().filter(|a| a.path().is_ident("doc") || a.path().is_ident("cfg"))
    }
}

/// `#[js_name = …]`.
pub(crate) fn is_js_name(attr: &Attribute) -> bool {
    attr.path().is_ident("js_name")
}
