//! `#[continuation]`: the impl block, `Dispatch`, the builders and invokers, the RPC entry.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{ItemImpl, Pat};

use crate::attr::Args;
use crate::check;
use crate::fallback;
use crate::model::{Impl, Method, Output};

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: ItemImpl = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(e) => {
            let e = syn::Error::new(e.span(), "`#[continuation]` goes on an `impl` block of a Durable Object");
            return fallback::item_with_errors(input, e);
        }
    };
    let args: Args = match syn::parse2(args) {
        Ok(args) => args,
        Err(e) => return fallback::item_with_errors(input, e),
    };
    let model = Impl::from_syn(&item);
    if let Err(e) = check::continuation(&model) {
        return fallback::item_with_errors(input, e);
    }
    Generator { model: &model, krate: &args.krate }.generate()
}

/// Emits one item per function.
struct Generator<'a> {
    model: &'a Impl<'a>,
    krate: &'a TokenStream,
}

impl Generator<'_> {
    fn generate(&self) -> TokenStream {
        let original = self.model.original;
        let structs = self.structs();
        let builders = self.builders();
        let invokers = self.invokers();
        let traits = self.traits();
        let entry = self.rpc_entry();
        quote! {
            #original
            #structs
            #builders
            #invokers
            #traits
            #entry
        }
    }

    fn type_ident(&self) -> &Ident {
        self.model.self_ident.expect("checked: the self type is a path")
    }

    fn calls_struct(&self) -> Ident {
        format_ident!("__{}_callable_methods", self.type_ident())
    }

    fn then_struct(&self) -> Ident {
        format_ident!("__{}_continuation_methods", self.type_ident())
    }

    fn structs(&self) -> TokenStream {
        let calls = self.calls_struct();
        let then = self.then_struct();
        let krate = self.krate;
        let self_ty = &self.model.original.self_ty;
        let ty = self.type_ident().to_string();
        let calls_doc = format!("Builders of calls to the `#[continuation]` methods of [`{ty}`] (used by `call!`).");
        let then_doc = format!("Invokers of the `#[continuation]` methods of [`{ty}`] (used by `call!(…, then …)`).");
        quote! {
            #[doc = #calls_doc]
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            pub struct #calls { _private: () }

            #[doc = #then_doc]
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            pub struct #then { this: #krate::__private::Bound<#self_ty> }
        }
    }

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
    /// where-clause cannot use `'_`. (Nor can it elide one: a type whose lifetime is
    /// hidden, `Name` for `Name<'a>`, must be written `Name<'static>`.)
    fn data_bounds<'t>(&self, types: impl IntoIterator<Item = &'t syn::Type>) -> TokenStream {
        let krate = self.krate;
        let bounds = types
            .into_iter()
            .filter(|ty| !has_non_static_lifetime(ty.to_token_stream()))
            .map(|ty| quote_spanned!(ty.span()=> for<'__call_core> #ty: #krate::__private::Data));
        quote!(where #(#bounds,)*)
    }

    /// The types of `method` that travel: its parameters, its value and its error.
    fn data_types<'m>(method: &'m Method<'m>) -> Vec<&'m syn::Type> {
        let outputs: Vec<&syn::Type> = match method.output {
            Output::Unit => vec![],
            Output::Value(t) => vec![t],
            Output::Result { ok, err } => vec![ok, err],
        };
        method.params.iter().map(|p| p.ty).chain(outputs).collect()
    }

    /// Parameter names for generated functions: the user's identifiers where they are
    /// plain, so that rustc's notes read like the method.
    fn param_names(method: &Method<'_>) -> Vec<Ident> {
        method
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| match p.pat {
                Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                    Ident::new(&pi.ident.to_string(), pi.ident.span())
                }
                _ => format_ident!("__arg{}", i, span = Span::mixed_site()),
            })
            .collect()
    }

    fn value_and_error(&self, method: &Method<'_>) -> (TokenStream, TokenStream) {
        let krate = self.krate;
        match method.output {
            Output::Unit => (quote!(()), quote!(#krate::__private::Never)),
            Output::Value(t) => (quote!(#t), quote!(#krate::__private::Never)),
            Output::Result { ok, err } => (quote!(#ok), quote!(#err)),
        }
    }

    /// One method per callable method, with its parameters (taking `self`, so that rustc
    /// counts arguments as the user wrote them) and spanned at its name (so that rustc's
    /// "defined here" notes point at the user's method).
    fn builders(&self) -> TokenStream {
        let krate = self.krate;
        let calls = self.calls_struct();
        let fns = self.model.methods.iter().map(|method| {
            let name = method.name();
            let id = method.id(self.type_ident());
            let names = Self::param_names(method);
            let types = method.params.iter().map(|p| p.ty);
            let (value, error) = self.value_and_error(method);
            let bounds = self.data_bounds(method.params.iter().map(|p| p.ty));
            let args = if names.is_empty() { quote!(&[(); 0]) } else { quote!(&(#(#names,)*)) };
            let doc = format!("Builds a call of [`{}::{name}`] (method id `{id}`).", self.type_ident());
            quote_spanned! {name.span()=>
                #[doc = #doc]
                pub fn #name(self, #(#names: #types),*) -> #krate::__private::Call<#value, #error> #bounds {
                    #krate::__private::Call::new(#id, #args)
                }
            }
        });
        quote! {
            // `dead_code`: a method that is never called, or never a continuation, leaves
            // its builder or invoker unused, and rustc would report it at the method's name.
            // The clippy lints: these mirror the user's methods, whose names and argument
            // counts are theirs to choose (and lint), and take a handle `self` by value.
            #[allow(unused_qualifications, non_snake_case, dead_code)]
            #[allow(clippy::too_many_arguments, clippy::wrong_self_convention, clippy::new_ret_no_self)]
            #[allow(clippy::should_implement_trait)]
            impl #calls {
                #(#fns)*
            }
        }
    }

    /// One method per callable method: runs it on the bound object, as a future.
    fn invokers(&self) -> TokenStream {
        let then = self.then_struct();
        let fns = self.model.methods.iter().map(|method| {
            let name = method.name();
            let names = Self::param_names(method);
            let types = method.params.iter().map(|p| p.ty);
            let output = match &method.original.sig.output {
                syn::ReturnType::Default => quote!(()),
                syn::ReturnType::Type(_, t) => quote!(#t),
            };
            let body = if method.is_async() {
                quote!(self.this.get().#name(#(#names),*))
            } else {
                quote!(::core::future::ready(self.this.get().#name(#(#names),*)))
            };
            quote_spanned! {name.span()=>
                #[doc(hidden)]
                pub fn #name(self, #(#names: #types),*) -> impl ::core::future::Future<Output = #output> + 'static {
                    #body
                }
            }
        });
        quote! {
            #[allow(unused_qualifications, non_snake_case, dead_code)]
            #[allow(clippy::too_many_arguments, clippy::wrong_self_convention, clippy::new_ret_no_self)]
            #[allow(clippy::should_implement_trait)]
            impl #then {
                #(#fns)*
            }
        }
    }

    fn traits(&self) -> TokenStream {
        let krate = self.krate;
        let self_ty = &self.model.original.self_ty;
        let calls = self.calls_struct();
        let then = self.then_struct();
        let ids: Vec<String> = self.model.methods.iter().map(|m| m.id(self.type_ident())).collect();
        let this_var = Ident::new("__this", Span::mixed_site());
        let method_var = Ident::new("__method", Span::mixed_site());
        let args_var = Ident::new("__args", Span::mixed_site());
        let arms = self.model.methods.iter().zip(&ids).map(|(method, id)| {
            let name = method.name();
            let vars: Vec<Ident> =
                (0..method.params.len()).map(|i| format_ident!("__a{}", i, span = Span::mixed_site())).collect();
            let types: Vec<_> = method.params.iter().map(|p| p.ty).collect();
            let tuple = if types.is_empty() { quote!([(); 0]) } else { quote!((#(#types,)*)) };
            let pattern = if vars.is_empty() { quote!(_) } else { quote!((#(#vars,)*)) };
            let encode = match method.output {
                Output::Result { .. } => quote!(#krate::__private::result),
                _ => quote!(#krate::__private::ok),
            };
            let run = if method.is_async() {
                quote! {
                    #krate::__private::pending(async move { #encode(&self.#name(#(#vars),*).await) })
                }
            } else {
                quote!(#krate::__private::Dispatched::Ready(#encode(&self.#name(#(#vars),*))))
            };
            quote! {
                #id => {
                    let #pattern = match #krate::__private::decode_args::<#tuple>(#method_var, #args_var) {
                        ::core::result::Result::Ok(__decoded) => __decoded,
                        ::core::result::Result::Err(__failed) => return #krate::__private::Dispatched::Ready(__failed),
                    };
                    #run
                }
            }
        });
        let data_checks = self.model.methods.iter().flat_map(|method| {
            Self::data_types(method)
                .into_iter()
                .map(|ty| quote_spanned!(ty.span()=> #krate::__private::assert_data::<#ty>();))
        });
        let dispatch_bounds = self.data_bounds(self.model.methods.iter().flat_map(Self::data_types));
        quote! {
            #[allow(unused_qualifications)]
            const _: () = {
                #(#data_checks)*

                // No `#[diagnostic::do_not_recommend]` (which would keep rustc from listing
                // this type when another one lacks `#[continuation]`): tool attributes do not
                // resolve under `#![no_implicit_prelude]`.
                #[automatically_derived]
                impl #krate::__private::Callable for #self_ty {
                    type Calls = #calls;
                    type Then = #then;
                    const CALLS: #calls = #calls { _private: () };
                    const THEN: fn(&'static Self) -> #then = |#this_var| #then { this: #krate::__private::Bound::new(#this_var) };
                }

                #[automatically_derived]
                impl #krate::__private::Dispatch for #self_ty #dispatch_bounds {
                    const METHODS: &'static [&'static str] = &[#(#ids),*];

                    fn dispatch<'__a>(&'__a self, #method_var: &str, #args_var: &str) -> #krate::__private::Dispatched<'__a> {
                        match #method_var {
                            #(#arms)*
                            _ => #krate::__private::Dispatched::Ready(#krate::__private::unknown_method::<Self>(#method_var)),
                        }
                    }
                }
            };
        }
    }

    /// The `__call` RPC entry, on wasm32 only: it is a `#[wasm_bindgen]` method, which
    /// requires the type to be exported by wasm-bindgen, as `#[durable_object]` does.
    ///
    /// Under panic=unwind, wasm-bindgen requires `RefUnwindSafe` of every exported type with
    /// `&self` methods. Dispatch catches a method's panic, answers it as a typed error and
    /// keeps the object serving (what a JavaScript exception does), so the type is declared
    /// unwind-safe here rather than by every user.
    fn rpc_entry(&self) -> TokenStream {
        let krate = self.krate;
        let self_ty = &self.model.original.self_ty;
        quote! {
            #[cfg(all(target_arch = "wasm32", panic = "unwind"))]
            #[automatically_derived]
            impl ::core::panic::RefUnwindSafe for #self_ty {}

            #[cfg(target_arch = "wasm32")]
            #[allow(unused_qualifications)]
            const _: () = {
                #[#krate::__private::wasm_bindgen::prelude::wasm_bindgen(wasm_bindgen = #krate::__private::wasm_bindgen)]
                impl #self_ty {
                    /// The RPC entry of `#[continuation]`: answers an envelope with a reply.
                    #[wasm_bindgen(js_name = "__call")]
                    pub fn __call_core_entry(&self, envelope: #krate::__private::JsValue) -> #krate::__private::JsValue {
                        #krate::__private::serve_js(self, envelope)
                    }
                }
            };
        }
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
