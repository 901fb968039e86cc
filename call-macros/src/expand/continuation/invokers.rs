//! The invokers of the `#[handler]`s (what `call!(…, then …)` uses): one method per
//! handler that binds its arguments into a resumption the object runs when the result
//! arrives; a `#[callable]` or broken method gets a refusal instead.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};

use super::Generator;
use crate::model::impl_block::Role;

impl Generator<'_> {
    /// One method per handler: binds its arguments (all but the result, which `call!`
    /// passes later) into a resumption that runs it on the object.
    pub(super) fn invokers(&self) -> TokenStream {
        let krate = self.krate;
        let handlers = self.of_object(&self.handlers_struct());
        let self_ty = &self.model.original.self_ty;
        let never = quote!(#krate::__private::Resume<#self_ty, #krate::__private::NoHandler, fn(&#self_ty)>);
        let fns = self.model.methods.iter().zip(self.broken).map(|(method, broken)| {
            if broken.is_some() {
                return self.broken_refusal(method, never.clone());
            }
            if method.role == Role::Callable {
                return self.refusal(method, "CallableIsNotAHandler", TokenStream::new(), never.clone());
            }
            let name = method.name();
            let marker = self.handler_marker(method);
            let names = Self::param_names(method);
            let types: Vec<_> = method.params.iter().map(|p| p.ty).collect();
            let this = Ident::new("__this", Span::mixed_site());
            let output = match &method.original.sig.output {
                syn::ReturnType::Default => quote!(()),
                syn::ReturnType::Type(_, t) => quote!(#t),
            };
            // `report::<R>` at the return type: a handler returning a value is reported
            // there, once.
            let report = quote_spanned!(method.output_span()=> #krate::__private::report::<#output>);
            let cfgs = &method.cfgs;
            if method.is_async() {
                quote_spanned! {name.span()=>
                    #(#cfgs)*
                    #[doc(hidden)]
                    pub fn #name(self, #(#names: #types),*) -> #krate::__private::ResumeAsync<
                        #self_ty,
                        #marker,
                        impl for<'__a> ::core::ops::FnOnce(&'__a #self_ty) -> #krate::__private::LocalBoxFuture<'__a, ()> + 'static,
                    > {
                        #krate::__private::resume_async::<#self_ty, #marker, _>(move |#this: &#self_ty| -> #krate::__private::LocalBoxFuture<'_, ()> {
                            ::std::boxed::Box::pin(async move {
                                #report(#this.#name(#(#names),*).await)
                            })
                        })
                    }
                }
            } else {
                quote_spanned! {name.span()=>
                    #(#cfgs)*
                    #[doc(hidden)]
                    pub fn #name(self, #(#names: #types),*) -> #krate::__private::Resume<
                        #self_ty,
                        #marker,
                        impl ::core::ops::FnOnce(&#self_ty) + 'static,
                    > {
                        #krate::__private::resume::<#self_ty, #marker, _>(move |#this: &#self_ty| {
                            #report(#this.#name(#(#names),*))
                        })
                    }
                }
            }
        });
        quote! {
            #[allow(unused_qualifications, non_snake_case, dead_code, unreachable_code)]
            #[allow(private_interfaces, private_bounds)]
            #[allow(clippy::too_many_arguments, clippy::wrong_self_convention, clippy::new_ret_no_self)]
            #[allow(clippy::should_implement_trait, clippy::unit_arg)]
            impl #handlers {
                #(#fns)*
            }
        }
    }
}
