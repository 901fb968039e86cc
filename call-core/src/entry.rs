//! The bodies of the wasm-bindgen methods that `#[continuation]` generates on a Durable
//! Object, which call-build's generated JavaScript entry calls. The top of the crate: each
//! composes the layers below for one entry point.
//!
//! * `__call(envelope)` (the RPC method other objects call): [`serve_now`] answers a plan of
//!   sync methods within the call, so the common case needs no Promise; for a plan with an
//!   async method, or a durable call to an object that keeps reply records, it answers
//!   `undefined`, having run nothing, and the entry calls
//! * `__call_async(envelope)`: [`serve_later`], an `async` method, whose future
//!   wasm-bindgen keeps the object alive for (no `&'static` receiver is ever made);
//! * `__call_core_named(method, args)`, `__call_core_named_async` ([`serve_named_now`],
//!   [`serve_named_later`]): a callable method called by name from JavaScript (the class's
//!   generated method of that name calls them): no envelope, the value's JSON as the reply;
//! * `__call_core_bind` ([`bind`], [`bind_durable`]): registers the object's home, and its
//!   durable state;
//! * `__call_core_resume`, `__call_core_resume_async` ([`resume_now`], [`resume_later`]):
//!   run a continuation delivered to the object (see [`home`](crate::home));
//! * `__call_core_alarm`, `__call_core_user_alarm_ran`, `__call_core_set_user_alarm`,
//!   `__call_core_user_alarm`: the alarm the object shares with call-core (see
//!   [`durable`](crate::durable)).
//!
//! The entry never forwards the internal ones (nor `__call_async`) as RPC methods: nothing
//! outside the object can reach a continuation handler. And one free function, [`start`]
//! (`__call_core_start`, wasm only), which the entry calls once per wasm instance.

use wasm_bindgen::JsValue;

use crate::dispatch::{self, Callee};
use crate::durable;
use crate::error::{RemoteError, RemoteErrorKind};
use crate::runtime::now_ms;

/// Creates wasm-bindgen-futures' task queue, which runs every Rust task of the isolate,
/// and records that call-build's entry started the isolate. The generated JavaScript entry
/// calls it once, right after instantiating the wasm, with the global `queueMicrotask`
/// hidden: the queue looks for that function once, when it is created, and schedules its
/// runs with a promise reaction when there is none. In workerd a promise reaction is the
/// cheaper microtask (its `queueMicrotask` wraps every callback in a host function; see
/// docs/performance.md), and the reply of every call wakes a task through this queue.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(js_name = "__call_core_start")]
// Exported to JavaScript by wasm-bindgen, not to Rust.
#[allow(unreachable_pub)]
pub fn start() {
    crate::runtime::mark_entry_started();
    wasm_bindgen_futures::spawn_local(async {});
}

/// The body of `__call`: the reply string, or `undefined` when the plan needs `__call_async`.
pub fn serve_now<T: Callee>(target: &T, envelope: JsValue) -> JsValue {
    let Some(text) = envelope.as_string() else { return not_a_string(&envelope) };
    let env = match dispatch::decode(&text) {
        Ok(env) => env,
        Err(reply) => return JsValue::from_str(&reply),
    };
    // A durable call to an object that keeps reply records is answered from, or into, its
    // record (before any refusal), in `__call_async` at the object's next tick.
    if durable::keeps_records(target, env.d) {
        return JsValue::UNDEFINED;
    }
    let env = match dispatch::check_deadline(env, now_ms()) {
        Ok(env) => env,
        Err(reply) => return JsValue::from_str(&reply),
    };
    if dispatch::is_async::<T>(&env) {
        return JsValue::UNDEFINED;
    }
    JsValue::from_str(&dispatch::run_now(target, &env))
}

/// The body of `__call_async`: the reply string.
pub async fn serve_later<T: Callee>(target: &T, envelope: JsValue) -> JsValue {
    let Some(text) = envelope.as_string() else { return not_a_string(&envelope) };
    let reply = match dispatch::decode(&text) {
        Ok(env) if durable::keeps_records(target, env.d) => durable::serve(target, env, now_ms()).await,
        _ => dispatch::serve_async(target, &text, now_ms()).await,
    };
    JsValue::from_str(&reply)
}

/// The body of `__call_core_named`: a call of the callable method `method` (its id) by name
/// from JavaScript, `args` its arguments as a JSON array; the reply (see
/// [`dispatch::serve_named_now`]), or `None` when the method needs `__call_core_named_async`.
pub fn serve_named_now<T: Callee>(target: &T, method: &str, args: &str) -> Option<String> {
    dispatch::serve_named_now(target, method, args)
}

/// The body of `__call_core_named_async`: [`serve_named_now`] for an async method.
pub async fn serve_named_later<T: Callee>(target: &T, method: String, args: String) -> String {
    dispatch::serve_named_async(target, &method, &args).await
}

fn not_a_string(envelope: &JsValue) -> JsValue {
    let e = RemoteError::new(
        RemoteErrorKind::Decode,
        format!("the envelope must be a string, got {}", envelope.js_typeof().as_string().unwrap_or_default()),
    );
    JsValue::from_str(&crate::wire::reply_remote(&e))
}

/// Binds an object built by the generated entry: `wrapper` is its wasm-bindgen wrapper,
/// `ctx` and `env` what its constructor got. The body of `__call_core_bind`.
#[cfg(target_arch = "wasm32")]
pub fn bind<S: 'static>(this: &S, wrapper: JsValue, ctx: JsValue, env: JsValue) -> Result<(), JsValue> {
    let (object, durable) = durable::bind::<S>(ctx, env, false)?;
    let durable = durable.map(|d| d as std::rc::Rc<dyn std::any::Any>);
    crate::home::register(this, crate::home::imp::handle(wrapper), Some(object), durable);
    Ok(())
}

/// [`bind`] for a type that makes durable calls (`#[continuation(durable)]`): its storage
/// must be SQLite, and it recovers its pending durable calls as it starts.
#[cfg(target_arch = "wasm32")]
pub fn bind_durable<S>(this: &S, wrapper: JsValue, ctx: JsValue, env: JsValue) -> Result<(), JsValue>
where
    S: durable::DurableCaller,
    S::Handlers: durable::Restore<Object = S>,
{
    let (object, durable) = durable::bind::<S>(ctx, env, true)?;
    let durable = durable.map(|d| d as std::rc::Rc<dyn std::any::Any>);
    let home = crate::home::register(this, crate::home::imp::handle(wrapper), Some(object), durable);
    durable::recover_later::<S>(home);
    Ok(())
}

/// The body of `__call_core_resume`: runs a sync handler on `this`.
#[cfg(target_arch = "wasm32")]
pub fn resume_now<S: 'static>(this: &S, id: f64) {
    if let Some(delivery) = crate::home::imp::take::<S>(id) {
        // A sync handler's run leaves no future.
        let _ = crate::home::run_on(this, delivery);
    }
}

/// The body of `__call_core_resume_async`: runs an async handler on `this` (wasm-bindgen
/// keeps `this` alive until the returned future ends).
#[cfg(target_arch = "wasm32")]
pub async fn resume_later<S: 'static>(this: &S, id: f64) {
    let Some(delivery) = crate::home::imp::take::<S>(id) else { return };
    if let Some(future) = crate::home::run_on(this, delivery) {
        future.await;
    }
}

/// The body of `__call_core_alarm`: recovers the pending durable calls; whether the
/// object's own alarm is due (then the entry runs the object's `alarm`).
#[cfg(target_arch = "wasm32")]
pub async fn alarm<S>(this: &S) -> bool
where
    S: durable::DurableCaller,
    S::Handlers: durable::Restore<Object = S>,
{
    durable::alarm(this).await
}

/// The body of `__call_core_user_alarm_ran`: the object's own `alarm()` ended (`ok`: it
/// succeeded, so its time is cleared; otherwise it stays for the platform's retry).
#[cfg(target_arch = "wasm32")]
pub fn user_alarm_ran<S: 'static>(this: &S, ok: bool) {
    durable::user_alarm_ran(this, ok)
}

/// The body of `__call_core_set_user_alarm`: the object's own `storage.setAlarm(at)`
/// (`None`: `deleteAlarm()`).
#[cfg(target_arch = "wasm32")]
pub fn set_user_alarm<S: 'static>(this: &S, at: Option<f64>) {
    durable::set_user_alarm(this, at)
}

/// The body of `__call_core_user_alarm`: the object's own `storage.getAlarm()`.
#[cfg(target_arch = "wasm32")]
pub fn user_alarm<S: 'static>(this: &S) -> Option<f64> {
    durable::user_alarm(this)
}
