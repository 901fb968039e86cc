//! Resetting an object from outside, as workerd does to a broken object and a deploy does to
//! every object: `ctx.abort()`. For the end-to-end tests and the chaos soak: `/probe/abort`
//! resets a controller (a caller), `/tally-reset` resets `Tally` (a callee).

use wasm_bindgen::{JsCast, JsValue};
use worker::*;

/// Resets the object of `state` (`ctx.abort(why)`) from a timer callback of its own
/// (`setTimeout(ctx.abort, 0)`), after the current request has answered.
///
/// Not from Rust code directly: `ctx.abort()` ends the JavaScript turn that calls it, and in
/// the middle of wasm-bindgen-futures' task loop that leaves the loop unfinished, after
/// which no Rust task of the isolate runs again (seen here: every later request to any
/// object of the isolate hung until workerd cancelled it).
pub(crate) fn abort_soon(state: &State, why: &str) -> Result<()> {
    let state: &JsValue = state.as_raw().as_ref();
    let abort: js_sys::Function = js_sys::Reflect::get(state, &JsValue::from_str("abort"))?.dyn_into()?;
    let abort = abort.bind1(state, &JsValue::from_str(why));
    let set_timeout: js_sys::Function =
        js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("setTimeout"))?.dyn_into()?;
    set_timeout.call2(&JsValue::UNDEFINED, &abort, &JsValue::from_f64(0.0))?;
    Ok(())
}
