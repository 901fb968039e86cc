//! The callee of the experiment.

use std::time::Duration;

use call_core::continuation;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;
use worker::*;

/// The remote Durable Object: answers `expected(i)` for call `i`.
#[durable_object]
pub struct RemoteDo {
    _state: State,
}

impl DurableObject for RemoteDo {
    fn new(state: State, _env: Env) -> Self {
        Self { _state: state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        if req.path() != "/remote-records" {
            return Response::ok("RemoteDo");
        }
        // The durable calls this callee has answered (its reply records with a reply), for
        // tests that kill the caller once the callee has answered.
        #[derive(Serialize, Deserialize)]
        struct Records {
            rows: u64,
            answered: u64,
        }
        let sql = self._state.storage().sql();
        let query = "SELECT count(*) AS rows, ifnull(sum(reply IS NOT NULL), 0) AS answered FROM _call_core_records";
        let records: Records = match sql.exec(query, None) {
            Ok(cursor) => cursor.one()?,
            // No durable call has arrived yet: call-core has not made its table.
            Err(_) => Records { rows: 0, answered: 0 },
        };
        Response::from_json(&records)
    }
}

/// The application error of [`RemoteDo::divide`]. `Tsify` declares it in TypeScript, so
/// that a TypeScript caller reads it from the thrown error typed (`Typed.Errors["divide"]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
pub enum MathError {
    /// Division by zero.
    DivideByZero,
}

/// Callable with `call!` from other Durable Objects.
#[continuation]
impl RemoteDo {
    /// The experiment's method: the same answer as `rpcEcho`.
    #[callable]
    pub fn echo(&self, i: u32) -> u32 {
        crate::expected(i)
    }

    /// Fails with a typed application error on `b == 0`.
    #[callable]
    pub async fn divide(&self, a: i64, b: i64) -> std::result::Result<i64, MathError> {
        if b == 0 {
            return Err(MathError::DivideByZero);
        }
        Ok(a / b)
    }

    /// Panics: the caller gets `CallError::Remote` of kind `Panic`, and this object keeps
    /// serving.
    #[callable]
    pub fn boom(&self, why: String) -> u32 {
        panic!("boom: {why}")
    }

    /// Answers after `ms` milliseconds.
    #[callable]
    pub async fn slow(&self, ms: u32) -> u32 {
        Delay::from(Duration::from_millis(u64::from(ms))).await;
        ms
    }

    /// What call-core wrote to this object's storage since it started, as `(rows, commits)`:
    /// the callee's side of the bench's durable figures (its at-most-once records).
    #[callable]
    pub fn durable_writes(&self) -> std::result::Result<(u64, u64), String> {
        call_core::testing::writes(self).map(|w| (w.rows, w.commits))
    }

    /// `n`, negated: an infallible method that nested calls can feed.
    #[callable]
    pub fn negate(&self, n: i64) -> i64 {
        -n
    }

    /// The decimal digits of `i` (a `String` for the `&str` methods below).
    #[callable]
    pub fn word(&self, i: u32) -> String {
        format!("call-{i}")
    }

    /// `s` in upper case.
    #[callable]
    pub fn upper(&self, s: &str) -> String {
        s.to_uppercase()
    }

    /// The length of `s` in bytes.
    #[callable]
    pub fn len(&self, s: &str) -> u32 {
        s.len() as u32
    }

    /// `a` then `b`.
    #[callable]
    pub fn concat(&self, a: &str, b: &str) -> String {
        format!("{a}{b}")
    }

    /// [`divide`](Self::divide) after `ms` milliseconds: a step that fails with a typed
    /// error while a test kills workerd (see caller_routes.rs).
    #[callable]
    pub async fn divide_after(&self, a: i64, b: i64, ms: u32) -> std::result::Result<i64, MathError> {
        Delay::from(Duration::from_millis(u64::from(ms))).await;
        self.divide(a, b).await
    }

    /// Resets this object (`ctx.abort()`, as a deploy or a broken object does) `ms`
    /// milliseconds after it answers: the calls it is running then fail in the caller's
    /// transport (see caller_routes.rs).
    #[callable]
    pub fn reset(&self, ms: u32) -> std::result::Result<u32, String> {
        crate::caller_routes::abort_later(&self._state, ms, "reset by RemoteDo::reset")
            .map_err(|e| format!("{e:?}"))?;
        Ok(ms)
    }
}

#[wasm_bindgen]
impl RemoteDo {
    /// The raw-RPC baseline's method: exported by wasm-bindgen and forwarded by the
    /// generated entry, so JavaScript and Rust callers reach it with native RPC.
    #[wasm_bindgen(js_name = rpcEcho)]
    pub fn rpc_echo(&self, i: u32) -> u32 {
        crate::expected(i)
    }

    #[wasm_bindgen(js_name = rpcEchoBytes)]
    pub fn rpc_echo_bytes(&self, b: js_sys::Uint8Array) -> js_sys::Uint8Array {
        let v = b.to_vec();
        js_sys::Uint8Array::from(&v[..])
    }

    /// The `rpc-object` ablation's method: answers its argument, decoded into Rust and
    /// encoded again with serde-wasm-bindgen.
    #[wasm_bindgen(js_name = rpcEchoObject)]
    pub fn rpc_echo_object(&self, value: wasm_bindgen::JsValue) -> wasm_bindgen::JsValue {
        let value: serde_json::Value = serde_wasm_bindgen::from_value(value).unwrap_or_default();
        serde_wasm_bindgen::to_value(&value).unwrap_or_default()
    }

    /// The `rpc-string` ablation's method: answers its argument.
    #[wasm_bindgen(js_name = rpcEchoString)]
    pub fn rpc_echo_string(&self, s: String) -> String {
        s
    }
}
