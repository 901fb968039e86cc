//! The wasm-bindgen methods of a `#[continuation]` type that the generated JavaScript
//! entry calls: `__call` / `__call_async` (the callee's entry), `__call_core_bind` and the
//! resume methods (continuations delivered to their object, see `call_core::home`).

use proc_macro2::TokenStream;
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
        let mut methods = TokenStream::new();
        if self.good(Role::Callable).next().is_some() {
            let entry = format_ident!("__call_core_entry_{}", block);
            let entry_async = format_ident!("__call_core_entry_async_{}", block);
            methods.extend(quote! {
                /// The RPC entry of `#[continuation]`: answers an envelope now, or `undefined`
                /// when its plan needs `__call_async`.
                #[wasm_bindgen(js_name = "__call")]
                pub fn #entry(&self, envelope: #krate::__private::JsValue) -> #krate::__private::JsValue {
                    #krate::__private::serve_now(self, envelope)
                }

                /// Answers an envelope whose plan runs async methods.
                #[wasm_bindgen(js_name = "__call_async")]
                pub async fn #entry_async(&self, envelope: #krate::__private::JsValue) -> #krate::__private::JsValue {
                    // Panics in the plan are caught and answered by dispatch; the wrapper only
                    // meets the `UnwindSafe` bound wasm-bindgen puts on futures under unwind.
                    ::core::panic::AssertUnwindSafe(#krate::__private::serve_later(self, envelope)).await
                }
            });
        }
        let bind = format_ident!("__call_core_bind_{}", block);
        let binder = if self.durable { quote!(bind_durable) } else { quote!(bind) };
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
                #krate::__private::#binder(self, wrapper, ctx, env)
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
            methods.extend(quote! {
                /// call-core's part of the alarm: recovers pending durable calls; whether the
                /// object's own alarm is due.
                #[wasm_bindgen(js_name = "__call_core_alarm")]
                pub async fn #alarm(&self) -> bool {
                    ::core::panic::AssertUnwindSafe(#krate::__private::alarm(self)).await
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
}
