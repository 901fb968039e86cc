//! Routes that drive the durable caller under adversity (tests/tests/durable/caller.rs),
//! served by the controller under `/durable/`:
//!
//! * `GET /durable/remote-reset?ms=MS` resets `RemoteDo` (`ctx.abort()`) MS milliseconds
//!   after it answered: the durable calls it is running fail in transport and are sent
//!   again with their keys;
//! * `GET /durable/nested?n=N&ms=MS` starts N durable nested calls
//!   `RemoteDo::negate(RemoteDo::divide_after(1, 0, MS))`, whose step 0 fails with the typed
//!   `MathError::DivideByZero` after MS, continued by `on_durable_nested`;
//! * `GET /durable/big?kb=KB[&envelope=1]` starts one durable call whose handler captures
//!   KB kilobytes (`Tally::bump`, continued by `on_durable_payload`), or, with `envelope=1`,
//!   whose envelope carries them (`RemoteDo::len`, continued by `on_durable_slow`);
//! * `GET /durable/corrupt` writes two rows into call-core's table of pending calls that
//!   no longer decode (deadlines `-1` and `9.3e18`, as a build that stored `Duration::MAX`
//!   did): recovery must move them to the dead letters, the status must keep answering.

use call_core::{call, CallStub};
use wasm_bindgen::{JsCast, JsValue};
use worker::*;

use crate::controller::CallDelayController;
use crate::remote::RemoteDo;
use crate::tally::Tally;

impl CallDelayController {
    /// Serves the `/durable/<name>` routes of this module (404 for other names).
    pub(crate) async fn caller_route(&self, name: &str, param: &dyn Fn(&str) -> Option<String>) -> Result<Response> {
        let number = |key: &str, default: u64| param(key).and_then(|v| v.parse().ok()).unwrap_or(default);
        match name {
            "remote-reset" => {
                let reset = call!(self.remote()?, RemoteDo::reset(number("ms", 0) as u32)).await;
                Response::from_json(&serde_json::json!({ "reset": reset.is_ok(), "error": reset.err() }))
            }
            "panic" => {
                let remote = self.remote()?;
                let tags = self.next_tags(number("n", 1))?;
                for tag in tags.clone() {
                    call!(remote, RemoteDo::echo(tag as u32), then self.on_durable_panic($result, tag), durable);
                }
                Response::from_json(&serde_json::json!({ "first": tags.start, "n": tags.end - tags.start }))
            }
            "nested" => {
                let (remote, ms) = (self.remote()?, number("ms", 3_000) as u32);
                let tags = self.next_tags(number("n", 1))?;
                for tag in tags.clone() {
                    call!(remote, RemoteDo::negate(RemoteDo::divide_after(1, 0, ms)),
                        then self.on_durable_nested($result, tag), durable);
                }
                Response::from_json(&serde_json::json!({ "first": tags.start, "n": tags.end - tags.start }))
            }
            "big" => {
                let payload = "x".repeat(number("kb", 2_000) as usize * 1_000);
                let tag = self.next_tags(1)?.start;
                if number("envelope", 0) == 1 {
                    call!(self.remote()?, RemoteDo::len(&payload), then self.on_durable_slow($result, tag), durable);
                } else {
                    let tally = CallStub::by_name(&self.env, "TALLY", "tally")?;
                    call!(tally, Tally::bump(), then self.on_durable_payload($result, tag, payload), durable);
                }
                Response::from_json(&serde_json::json!({ "tag": tag }))
            }
            "corrupt" => {
                let sql = self.state.storage().sql();
                for (key, deadline) in [("corrupt-negative", "-1"), ("corrupt-huge", "9.3e18")] {
                    sql.exec(
                        &format!(
                            "INSERT INTO _call_core_calls (key, binding, object, by_id, envelope, handler, args, \
                             result_at, deadline, attempt, created) VALUES (?, 'REMOTE', 'remote', 0, '{{}}', \
                             'corrupt', '[null]', 0, {deadline}, 0, 0)"
                        ),
                        vec![key.into()],
                    )?;
                }
                Response::from_json(&serde_json::json!({ "corrupt": 2 }))
            }
            name => self.callee_route(name, param).await,
        }
    }
}

/// Calls `ctx.abort(why)` of the object with `state` `ms` milliseconds from now, from a timer
/// callback of its own (see `probe_abort` in lifetimes.rs for why not from Rust code).
pub(crate) fn abort_later(state: &State, ms: u32, why: &str) -> std::result::Result<(), JsValue> {
    let state: &JsValue = state.as_raw().as_ref();
    let abort: js_sys::Function = js_sys::Reflect::get(state, &JsValue::from_str("abort"))?.dyn_into()?;
    let abort = abort.bind1(state, &JsValue::from_str(why));
    let set_timeout: js_sys::Function =
        js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("setTimeout"))?.dyn_into()?;
    set_timeout.call2(&JsValue::UNDEFINED, &abort, &JsValue::from_f64(f64::from(ms)))?;
    Ok(())
}
