//! The bodies of the wasm-bindgen methods that `#[continuation]` generates on a Durable
//! Object, which the generated JavaScript entry calls:
//!
//! * `__call(envelope)` (the RPC method other objects call): [`serve_now`] answers a plan of
//!   sync methods within the call, so the common case needs no Promise; for a plan with an
//!   async method it answers `undefined`, having run nothing, and the entry calls
//! * `__call_async(envelope)`: [`serve_later`], an `async` method, whose future
//!   wasm-bindgen keeps the object alive for (no `&'static` receiver is ever made);
//! * `__call_core_bind`, `__call_core_resume`, `__call_core_resume_async`: see
//!   [`home`](crate::home). The entry never forwards these (nor `__call_async`) as RPC
//!   methods: nothing outside the object can reach a continuation handler.
//!
//! And one free function, `start` (`__call_core_start`, wasm only), which the entry calls once per
//! wasm instance.

use wasm_bindgen::JsValue;

use crate::dispatch::{self, Callee};
use crate::error::{RemoteError, RemoteErrorKind};
use crate::runtime::now_ms;

/// Creates wasm-bindgen-futures' task queue, which runs every Rust task of the isolate.
/// The generated JavaScript entry calls it once, right after instantiating the wasm, with
/// the global `queueMicrotask` hidden: the queue looks for that function once, when it is
/// created, and schedules its runs with a promise reaction when there is none. In workerd
/// a promise reaction is the cheaper microtask (its `queueMicrotask` wraps every callback
/// in a host function; see the README's Performance section), and the reply of every call
/// wakes a task through this queue.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(js_name = "__call_core_start")]
pub fn start() {
    wasm_bindgen_futures::spawn_local(async {});
}

/// The body of `__call`: the reply string, or `undefined` when the plan needs `__call_async`.
pub fn serve_now<T: Callee>(target: &T, envelope: JsValue) -> JsValue {
    match envelope.as_string() {
        Some(text) => match dispatch::serve_now(target, &text, now_ms()) {
            Some(reply) => JsValue::from_str(&reply),
            None => JsValue::UNDEFINED,
        },
        None => not_a_string(&envelope),
    }
}

/// The body of `__call_async`: the reply string.
pub async fn serve_later<T: Callee>(target: &T, envelope: JsValue) -> JsValue {
    match envelope.as_string() {
        Some(text) => JsValue::from_str(&dispatch::serve_async(target, &text, now_ms()).await),
        None => not_a_string(&envelope),
    }
}

fn not_a_string(envelope: &JsValue) -> JsValue {
    let e = RemoteError::new(
        RemoteErrorKind::Decode,
        format!("the envelope must be a string, got {}", envelope.js_typeof().as_string().unwrap_or_default()),
    );
    JsValue::from_str(&crate::wire::reply_remote(&e))
}
