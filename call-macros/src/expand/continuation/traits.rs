//! The traits a `#[continuation]` type gets: `Continuation`, the dispatch of its
//! `#[callable]` methods (what `__call` reaches: nothing else), the dispatch of its
//! `#[handler]`s (reached only through a continuation of its own calls), and `Restore`,
//! a stored durable continuation back to a handler's invocation.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::Generator;
use crate::model::impl_block::{Form, Method, Output, Role};

impl Generator<'_> {
    /// The type's `Continuation` impl (its builders' and handlers' types), the dispatch
    /// tables of its callable methods and of its handlers, and `Restore`.
    pub(super) fn traits(&self) -> TokenStream {
        let krate = self.krate;
        let self_ty = &self.model.original.self_ty;
        let (calls, handlers) = (self.of_object(&self.calls_struct()), self.of_object(&self.handlers_struct()));
        let calls_value = self.object_value(&self.calls_struct());
        let handlers_value = self.object_value(&self.handlers_struct());
        let callables: Vec<&Method<'_>> = self.good(Role::Callable).collect();
        let ids: Vec<String> = callables.iter().map(|m| m.id(self.type_ident())).collect();
        // Each id carries its method's `#[cfg]`s: array elements and match arms may.
        let id_items: Vec<TokenStream> = callables
            .iter()
            .zip(&ids)
            .map(|(m, id)| {
                let cfgs = &m.cfgs;
                quote!(#(#cfgs)* #id)
            })
            .collect();
        let async_arms: Vec<TokenStream> = callables
            .iter()
            .zip(&ids)
            .filter(|(m, _)| m.is_async())
            .map(|(m, id)| {
                let cfgs = &m.cfgs;
                quote!(#(#cfgs)* #id => true,)
            })
            .collect();
        let this_var = Ident::new("__this", Span::mixed_site());
        let method_var = Ident::new("__method", Span::mixed_site());
        let args_var = Ident::new("__args", Span::mixed_site());
        let arms = callables.iter().zip(&ids).map(|(method, id)| {
            let name = method.name();
            let vars: Vec<Ident> =
                (0..method.params.len()).map(|i| format_ident!("__a{}", i, span = Span::mixed_site())).collect();
            let owned: Vec<TokenStream> = method.params.iter().map(|p| p.owned()).collect();
            let tuple = if owned.is_empty() { quote!([(); 0]) } else { quote!((#(#owned,)*)) };
            let pattern = if vars.is_empty() { quote!(_) } else { quote!((#(#vars,)*)) };
            let param_names: Vec<String> = Self::param_names(method).iter().map(|n| n.unraw().to_string()).collect();
            let passed = method.params.iter().zip(&vars).map(|(p, v)| match p.form {
                Form::Owned | Form::Unsupported(_) => quote!(#v),
                Form::Str | Form::Slice(_) | Form::Ref(_) => quote!(&#v),
                Form::OptionStr => quote!(#v.as_deref()),
                Form::OptionRef(_) => quote!(#v.as_ref()),
            });
            let encode = match method.output {
                Output::Result { .. } => quote!(#krate::__private::result),
                Output::Message { .. } => quote!(#krate::__private::message_result),
                _ => quote!(#krate::__private::ok),
            };
            let run = if method.is_async() {
                quote! {
                    #krate::__private::pending(async move { #encode(&#this_var.#name(#(#passed),*).await) })
                }
            } else {
                quote!(#krate::__private::Dispatched::Ready(#encode(&#this_var.#name(#(#passed),*))))
            };
            let cfgs = &method.cfgs;
            quote! {
                #(#cfgs)*
                #id => {
                    let #pattern = match #krate::__private::decode_args::<#tuple>(#method_var, #args_var, &[#(#param_names),*]) {
                        ::core::result::Result::Ok(__decoded) => __decoded,
                        ::core::result::Result::Err(__failed) => return #krate::__private::Dispatched::Ready(__failed),
                    };
                    #run
                }
            }
        });
        let handler_ids: Vec<TokenStream> = self
            .good(Role::Handler)
            .map(|m| {
                let (cfgs, id) = (&m.cfgs, m.id(self.type_ident()));
                quote!(#(#cfgs)* #id)
            })
            .collect();
        let good: Vec<&Method<'_>> =
            self.model.methods.iter().zip(self.broken).filter(|(_, e)| e.is_none()).map(|(m, _)| m).collect();
        let data_checks = good.iter().flat_map(|method| {
            let cfgs = &method.cfgs;
            Self::data_types(method)
                .into_iter()
                .map(move |ty| quote_spanned!(ty.span()=> #(#cfgs)* #krate::__private::assert_data::<#ty>();))
        });
        // A method under `#[cfg]` keeps its types out of the impl's where-clause (they may not
        // exist in this configuration).
        let dispatch_bounds =
            self.data_bounds(callables.iter().filter(|m| m.cfgs.is_empty()).flat_map(|m| Self::data_types(m)));
        let restore = self.restore();
        let durable_caller = self.durable.then(|| {
            quote! {
                #[automatically_derived]
                impl #krate::__private::DurableCaller for #self_ty {}
            }
        });
        let async_match = quote! {
            match #method_var {
                #(#async_arms)*
                _ => false,
            }
        };
        quote! {
            #[allow(unused_qualifications)]
            const _: () = {
                #(#data_checks)*

                // The one impl per type: a second `#[continuation]` block of the type
                // conflicts here, and only here.
                #[automatically_derived]
                impl #krate::__private::Continuation for #self_ty {
                    type Calls = #calls;
                    type Handlers = #handlers;
                    const CALLS: #calls = #calls_value;
                    const HANDLERS: #handlers = #handlers_value;
                    const HANDLER_IDS: &'static [&'static str] = &[#(#handler_ids),*];
                    type Callee = #krate::__private::RustObject;
                }

                #[automatically_derived]
                impl #krate::__private::Dispatch for #calls #dispatch_bounds {
                    type Object = #self_ty;
                    const METHODS: &'static [&'static str] = &[#(#id_items),*];

                    fn is_async(#method_var: &str) -> bool {
                        #async_match
                    }

                    fn dispatch<'__a>(#this_var: &'__a #self_ty, #method_var: &str, #args_var: &str) -> #krate::__private::Dispatched<'__a> {
                        match #method_var {
                            #(#arms)*
                            _ => #krate::__private::Dispatched::Ready(#krate::__private::unknown_method::<Self>(#method_var)),
                        }
                    }
                }

                #restore
                #durable_caller
            };
        }
    }

    /// `Restore` for the invokers: a stored continuation (handler id, all its arguments as
    /// JSON) back to a resumption, for durable calls finished after a restart.
    fn restore(&self) -> TokenStream {
        let krate = self.krate;
        let self_ty = &self.model.original.self_ty;
        let handlers = self.of_object(&self.handlers_struct());
        let handlers_value = self.object_value(&self.handlers_struct());
        let handler_var = Ident::new("__handler", Span::mixed_site());
        let args_var = Ident::new("__args", Span::mixed_site());
        let good: Vec<&Method<'_>> = self.good(Role::Handler).collect();
        let arms = good.iter().map(|method| {
            let name = method.name();
            let id = method.id(self.type_ident());
            let vars: Vec<Ident> =
                (0..method.params.len()).map(|i| format_ident!("__a{}", i, span = Span::mixed_site())).collect();
            let types: Vec<&syn::Type> = method.params.iter().map(|p| p.ty).collect();
            let tuple = if types.is_empty() { quote!([(); 0]) } else { quote!((#(#types,)*)) };
            let pattern = if vars.is_empty() { quote!(_) } else { quote!((#(#vars,)*)) };
            let cfgs = &method.cfgs;
            quote! {
                #(#cfgs)*
                #id => {
                    let #pattern = #krate::__private::decode_stored::<#tuple>(#handler_var, #args_var)?;
                    ::core::result::Result::Ok(#krate::__private::stored((#handlers_value).#name(#(#vars),*)))
                }
            }
        });
        let bounds =
            self.data_bounds(good.iter().filter(|m| m.cfgs.is_empty()).flat_map(|m| m.params.iter().map(|p| p.ty)));
        quote! {
            #[automatically_derived]
            impl #krate::__private::Restore for #handlers #bounds {
                type Object = #self_ty;

                fn restore(
                    #handler_var: &str,
                    #args_var: &str,
                ) -> ::core::result::Result<#krate::__private::Stored<#self_ty>, ::std::string::String> {
                    match #handler_var {
                        #(#arms)*
                        _ => ::core::result::Result::Err(::std::format!("no handler `{}` in this build", #handler_var)),
                    }
                }
            }
        }
    }
}
