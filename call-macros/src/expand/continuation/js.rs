//! What call-build needs to make every callable method an RPC method of the object's
//! JavaScript class, and to declare it in TypeScript: one doc line per method on the
//! `__call` entry, which wasm-bindgen copies into its `index.d.ts`, where call-build reads
//! it (`call-core-method: {json}`). A method under `#[cfg]` carries its line under the same
//! condition (`#[cfg_attr(all(…), doc = …)]`), so that the list is the compiled one.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{Meta, Pat};

use super::{ts, Generator};
use crate::model::impl_block::{Method, Output, Role};

/// The prefix of a manifest line (call-build looks for it).
const PREFIX: &str = "call-core-method: ";

impl Generator<'_> {
    /// The doc attributes that list the callable methods for call-build.
    pub(super) fn js_manifest(&self) -> TokenStream {
        self.good(Role::Callable)
            .map(|method| {
                let line = format!("{PREFIX}{}", self.manifest_line(method));
                let conditions: Vec<TokenStream> = method
                    .cfgs
                    .iter()
                    .filter_map(|a| match &a.meta {
                        Meta::List(list) => Some(list.tokens.clone()),
                        _ => None,
                    })
                    .collect();
                if conditions.is_empty() {
                    quote!(#[doc = #line])
                } else {
                    quote!(#[cfg_attr(all(#(#conditions),*), doc = #line)])
                }
            })
            .collect()
    }

    /// `{"name":…,"id":…,"params":[{"name":…,"ts":…,"optional":…}],"result":…,"error":…}`. Names are
    /// identifiers and TypeScript types come from `ts` (no quotes, no backslashes), so the
    /// text needs no escaping.
    fn manifest_line(&self, method: &Method<'_>) -> String {
        let types: Vec<String> = method.params.iter().map(|p| ts::of_param(p.ty)).collect();
        // Trailing `Option` parameters may be left out (JSON `null`).
        let required = method.params.iter().rposition(|p| !ts::is_nullable(p.ty)).map_or(0, |i| i + 1);
        let params: Vec<String> = method
            .params
            .iter()
            .zip(&types)
            .enumerate()
            .map(|(i, (p, ts))| {
                let name = match p.pat {
                    Pat::Ident(pi) => pi.ident.unraw().to_string(),
                    _ => format!("arg{i}"),
                };
                format!(r#"{{"name":"{name}","ts":"{ts}","optional":{}}}"#, i >= required)
            })
            .collect();
        let result = match method.output {
            Output::Unit => "void".into(),
            Output::Value(t) | Output::Result { ok: t, .. } | Output::Message { ok: t } => ts::of(t),
        };
        // The typed error a JavaScript caller finds in the thrown Error's `app`.
        let error = match method.output {
            Output::Unit | Output::Value(_) => "never".into(),
            Output::Result { err, .. } => ts::of(err),
            Output::Message { .. } => "{ message: string }".into(),
        };
        format!(
            r#"{{"name":"{}","id":"{}","params":[{}],"result":"{result}","error":"{error}"}}"#,
            method.name().unraw(),
            method.id(self.type_ident()),
            params.join(",")
        )
    }
}
