//! The wasm-bindgen methods of a `#[continuation]` type that the generated JavaScript
//! entry calls: `__call` / `__call_async` (the callee's entry), `__call_core_named` /
//! `__call_core_named_async` (its callable methods by name), `__call_core_bind` and the
//! resume methods (continuations delivered to their object, see `call_core::home`).
//!
//! Their bodies need the object's dispatch table (`Callee`) and, durable, its restore
//! table, whose impls assume every type that travels is data. When one is not, rustc has
//! reported it at the type (`assert_data`); so the bodies are picked by method resolution
//! on a probe (autoref specialization): the real ones when the tables hold, else ones that
//! never run, because the crate does not compile. A failed bound is then reported once, at
//! the type, on wasm32 as on the host, not again at `#[continuation]`.
//!
//! ```text
//! (&Entry::<Remote>).__call_core_serve_now(self, envelope)
//! // impl Serve<T> for &Entry<T> where T::Calls: Dispatch<Object = T>  → serve_now(this, envelope)
//! // impl Serve<T> for Entry<T>                                         → unreachable
//! ```

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use super::Generator;
use crate::model::impl_block::Role;

impl Generator<'_> {
    /// The wasm-bindgen methods the generated JavaScript entry calls, on wasm32 only (they
    /// need the type to be exported by wasm-bindgen, as `#[durable_object]` does): `__call`
    /// and `__call_async` when the type has callable methods, `__call_core_bind` and the
    /// resume methods when it has handlers. Their Rust names carry the block's hash, so
    /// that a second block conflicts only in the `Continuation` impl.
    pub(super) fn wasm_entry(&self) -> TokenStream {
        let krate = self.krate;
        let self_ty = &self.model.original.self_ty;
        let block = &self.block;
        let probe_type = Ident::new("__CallCoreEntry", Span::mixed_site());
        let probe = quote!(#probe_type::<#self_ty>(::core::marker::PhantomData));
        let callable = self.good(Role::Callable).next().is_some();
        let probes = self.entry_probes(&probe_type, callable);
        let mut methods = TokenStream::new();
        if callable {
            let entry = format_ident!("__call_core_entry_{}", block);
            let entry_async = format_ident!("__call_core_entry_async_{}", block);
            let named = format_ident!("__call_core_named_{}", block);
            let named_async = format_ident!("__call_core_named_async_{}", block);
            let manifest = self.js_manifest();
            methods.extend(quote! {
                /// The RPC entry of `#[continuation]`: answers an envelope now, or `undefined`
                /// when its plan needs `__call_async`.
                ///
                /// The callable methods, for call-build:
                #manifest
                #[wasm_bindgen(js_name = "__call")]
                pub fn #entry(&self, envelope: #krate::__private::JsValue) -> #krate::__private::JsValue {
                    (&#probe).__call_core_serve_now(self, envelope)
                }

                /// Answers an envelope whose plan runs async methods.
                #[wasm_bindgen(js_name = "__call_async")]
                pub async fn #entry_async(&self, envelope: #krate::__private::JsValue) -> #krate::__private::JsValue {
                    // Panics in the plan are caught and answered by dispatch; the wrapper only
                    // meets the `UnwindSafe` bound wasm-bindgen puts on futures under unwind.
                    ::core::panic::AssertUnwindSafe((&#probe).__call_core_serve_later(self, envelope)).await
                }

                /// A callable method called by name from JavaScript (its id, its arguments as
                /// a JSON array): the reply now, or `undefined` when the method is async.
                #[wasm_bindgen(js_name = "__call_core_named")]
                pub fn #named(&self, method: &str, args: &str) -> ::core::option::Option<::std::string::String> {
                    (&#probe).__call_core_named_now(self, method, args)
                }

                /// `__call_core_named` for an async method.
                #[wasm_bindgen(js_name = "__call_core_named_async")]
                pub async fn #named_async(&self, method: ::std::string::String, args: ::std::string::String) -> ::std::string::String {
                    ::core::panic::AssertUnwindSafe((&#probe).__call_core_named_later(self, method, args)).await
                }
            });
        }
        let bind = format_ident!("__call_core_bind_{}", block);
        let bind_body = if self.durable {
            quote!((&#probe).__call_core_bind(self, wrapper, ctx, env))
        } else {
            quote!(#krate::__private::bind(self, wrapper, ctx, env))
        };
        methods.extend(quote! {
            /// Called by the generated entry on every object it builds: how call-core
            /// reaches it later, and its storage.
            #[wasm_bindgen(js_name = "__call_core_bind")]
            pub fn #bind(
                &self,
                wrapper: #krate::__private::JsValue,
                ctx: #krate::__private::JsValue,
                env: #krate::__private::JsValue,
            ) -> ::core::result::Result<(), #krate::__private::JsValue> {
                #bind_body
            }
        });
        if self.good(Role::Handler).next().is_some() {
            let resume = format_ident!("__call_core_resume_{}", block);
            let resume_async = format_ident!("__call_core_resume_async_{}", block);
            methods.extend(quote! {
                /// Runs a sync continuation handler of this object.
                #[wasm_bindgen(js_name = "__call_core_resume")]
                pub fn #resume(&self, id: f64) {
                    #krate::__private::resume_now(self, id)
                }

                /// Runs an async continuation handler of this object.
                #[wasm_bindgen(js_name = "__call_core_resume_async")]
                pub async fn #resume_async(&self, id: f64) {
                    // A handler's panic is caught and logged by `resume_later`.
                    ::core::panic::AssertUnwindSafe(#krate::__private::resume_later(self, id)).await
                }
            });
        }
        if self.durable {
            let alarm = format_ident!("__call_core_alarm_{}", block);
            let set_user_alarm = format_ident!("__call_core_set_user_alarm_{}", block);
            let user_alarm = format_ident!("__call_core_user_alarm_{}", block);
            let user_alarm_ran = format_ident!("__call_core_user_alarm_ran_{}", block);
            methods.extend(quote! {
                /// call-core's part of the alarm: recovers pending durable calls; whether the
                /// object's own alarm is due.
                #[wasm_bindgen(js_name = "__call_core_alarm")]
                pub async fn #alarm(&self) -> bool {
                    ::core::panic::AssertUnwindSafe((&#probe).__call_core_alarm(self)).await
                }

                /// The object's own `alarm()` ended (`ok`: it succeeded, and its time is
                /// cleared; otherwise the platform retries it).
                #[wasm_bindgen(js_name = "__call_core_user_alarm_ran")]
                pub fn #user_alarm_ran(&self, ok: bool) {
                    #krate::__private::user_alarm_ran(self, ok)
                }

                /// The object's own `storage.setAlarm` (`undefined`: `deleteAlarm`).
                #[wasm_bindgen(js_name = "__call_core_set_user_alarm")]
                pub fn #set_user_alarm(&self, at: ::core::option::Option<f64>) {
                    #krate::__private::set_user_alarm(self, at)
                }

                /// The object's own `storage.getAlarm()`.
                #[wasm_bindgen(js_name = "__call_core_user_alarm")]
                pub fn #user_alarm(&self) -> ::core::option::Option<f64> {
                    #krate::__private::user_alarm(self)
                }
            });
        }
        quote! {
            #[cfg(target_arch = "wasm32")]
            #[allow(unused_qualifications)]
            const _: () = {
                #probes

                #[#krate::__private::wasm_bindgen::prelude::wasm_bindgen(
                    wasm_bindgen = #krate::__private::wasm_bindgen,
                    wasm_bindgen_futures = #krate::__private::wasm_bindgen_futures
                )]
                impl #self_ty {
                    #methods
                }
            };
        }
    }

    /// The probe type, and the traits that pick the entry's bodies (see the module's doc):
    /// serving calls when the type has callable methods, binding and the alarm when it
    /// makes durable calls.
    fn entry_probes(&self, probe: &Ident, callable: bool) -> TokenStream {
        let krate = self.krate;
        let js = quote!(#krate::__private::JsValue);
        if !callable && !self.durable {
            return TokenStream::new();
        }
        let object = Ident::new("__Object", Span::mixed_site());
        // `Copy`: the fallbacks take the probe by value, out of the reference.
        let mut probes = quote! {
            struct #probe<#object>(::core::marker::PhantomData<fn() -> #object>);

            impl<#object> ::core::clone::Clone for #probe<#object> {
                fn clone(&self) -> Self {
                    *self
                }
            }

            impl<#object> ::core::marker::Copy for #probe<#object> {}
        };
        if callable {
            let serve = Ident::new("__CallCoreServe", Span::mixed_site());
            let string = quote!(::std::string::String);
            let option = quote!(::core::option::Option<#string>);
            probes.extend(quote! {
                trait #serve<#object> {
                    fn __call_core_serve_now(self, this: &#object, envelope: #js) -> #js;
                    fn __call_core_serve_later<'__a>(self, this: &'__a #object, envelope: #js)
                        -> impl ::core::future::Future<Output = #js> + '__a
                    where
                        #object: '__a;
                    fn __call_core_named_now(self, this: &#object, method: &str, args: &str) -> #option;
                    fn __call_core_named_later<'__a>(self, this: &'__a #object, method: #string, args: #string)
                        -> impl ::core::future::Future<Output = #string> + '__a
                    where
                        #object: '__a;
                }

                impl<#object> #serve<#object> for &#probe<#object>
                where
                    #object: #krate::__private::Continuation,
                    <#object as #krate::__private::Continuation>::Calls: #krate::__private::Dispatch<Object = #object>,
                {
                    fn __call_core_serve_now(self, this: &#object, envelope: #js) -> #js {
                        #krate::__private::serve_now(this, envelope)
                    }

                    fn __call_core_serve_later<'__a>(self, this: &'__a #object, envelope: #js)
                        -> impl ::core::future::Future<Output = #js> + '__a
                    where
                        #object: '__a,
                    {
                        #krate::__private::serve_later(this, envelope)
                    }

                    fn __call_core_named_now(self, this: &#object, method: &str, args: &str) -> #option {
                        #krate::__private::serve_named_now(this, method, args)
                    }

                    fn __call_core_named_later<'__a>(self, this: &'__a #object, method: #string, args: #string)
                        -> impl ::core::future::Future<Output = #string> + '__a
                    where
                        #object: '__a,
                    {
                        #krate::__private::serve_named_later(this, method, args)
                    }
                }

                // Picked only when the dispatch table does not hold: its failed bound fails
                // the crate's compile, so these never run.
                impl<#object> #serve<#object> for #probe<#object> {
                    fn __call_core_serve_now(self, _: &#object, _: #js) -> #js {
                        ::core::unreachable!()
                    }

                    fn __call_core_serve_later<'__a>(self, _: &'__a #object, _: #js)
                        -> impl ::core::future::Future<Output = #js> + '__a
                    where
                        #object: '__a,
                    {
                        async { ::core::unreachable!() }
                    }

                    fn __call_core_named_now(self, _: &#object, _: &str, _: &str) -> #option {
                        ::core::unreachable!()
                    }

                    fn __call_core_named_later<'__a>(self, _: &'__a #object, _: #string, _: #string)
                        -> impl ::core::future::Future<Output = #string> + '__a
                    where
                        #object: '__a,
                    {
                        async { ::core::unreachable!() }
                    }
                }
            });
        }
        if self.durable {
            let durable = Ident::new("__CallCoreDurable", Span::mixed_site());
            probes.extend(quote! {
                trait #durable<#object> {
                    fn __call_core_bind(self, this: &#object, wrapper: #js, ctx: #js, env: #js)
                        -> ::core::result::Result<(), #js>;
                    fn __call_core_alarm<'__a>(self, this: &'__a #object)
                        -> impl ::core::future::Future<Output = bool> + '__a
                    where
                        #object: '__a;
                }

                impl<#object> #durable<#object> for &#probe<#object>
                where
                    #object: #krate::__private::DurableCaller,
                    <#object as #krate::__private::Continuation>::Handlers: #krate::__private::Restore<Object = #object>,
                {
                    fn __call_core_bind(self, this: &#object, wrapper: #js, ctx: #js, env: #js)
                        -> ::core::result::Result<(), #js>
                    {
                        #krate::__private::bind_durable(this, wrapper, ctx, env)
                    }

                    fn __call_core_alarm<'__a>(self, this: &'__a #object)
                        -> impl ::core::future::Future<Output = bool> + '__a
                    where
                        #object: '__a,
                    {
                        #krate::__private::alarm(this)
                    }
                }

                // Picked only when the restore table does not hold: never runs (see above).
                impl<#object> #durable<#object> for #probe<#object> {
                    fn __call_core_bind(self, _: &#object, _: #js, _: #js, _: #js) -> ::core::result::Result<(), #js> {
                        ::core::unreachable!()
                    }

                    fn __call_core_alarm<'__a>(self, _: &'__a #object)
                        -> impl ::core::future::Future<Output = bool> + '__a
                    where
                        #object: '__a,
                    {
                        async { ::core::unreachable!() }
                    }
                }
            });
        }
        probes
    }
}
