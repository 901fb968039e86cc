//! Ablation modes of `/batch`: raw RPC carrying what a call carries, to see where the cost
//! of `call` over `rpc` goes, and why the envelope is a JSON string.
//!
//! * `rpc-string`: an envelope-sized JSON string each way (strings over RPC and across
//!   wasm-bindgen);
//! * `rpc-bytes`: the same bytes as a `Uint8Array` each way;
//! * `rpc-object`: the same envelope as a JavaScript object each way (serde-wasm-bindgen);
//! * `rpc-envelope`: a ready envelope to `RemoteDo`'s `__call` entry, the reply decoded: a
//!   call without the caller's executor (deadline, future).

use call_core::{Call, Never, DEFAULT_TIMEOUT};
use futures_util::future::join_all;
use js_sys::Uint8Array;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use worker::{Date, Result};

use crate::controller::CallDelayController;
use crate::expected;
use crate::remote::RemoteDo;
use crate::rpc::RemoteRpc;

type Settled = std::result::Result<JsValue, JsValue>;

/// The envelope that `call!(remote, RemoteDo::echo(i))` sends.
fn echo_envelope(i: u32) -> String {
    let id = call_core::testing::methods::<RemoteDo>().iter().find(|m| m.starts_with("RemoteDo::echo#")).copied();
    let call: Call<u32> = Call::new(id.unwrap_or_default(), &(i,));
    let deadline = Date::now().as_millis() + DEFAULT_TIMEOUT.as_millis() as u64;
    call.plan().map(|plan| call_core::wire::encode_envelope(plan, u64::from(i), deadline, None)).unwrap_or_default()
}

/// Sends one value per call with `send`, then counts the answers that `valid` accepts.
async fn batch<T>(
    n: u32,
    make: impl Fn(u32) -> T,
    send: impl Fn(&T) -> js_sys::Promise,
    valid: impl Fn(&Settled, &T, u32) -> bool,
) -> u32 {
    let sent: Vec<T> = (0..n).map(make).collect();
    let results = join_all(sent.iter().map(|v| JsFuture::from(send(v)))).await;
    results.iter().zip(&sent).zip(0..n).filter(|((r, v), i)| valid(r, v, *i)).count() as u32
}

impl CallDelayController {
    fn remote_rpc(&self) -> Result<RemoteRpc> {
        Ok(self.env.durable_object("REMOTE")?.get_by_name("remote")?.into_rpc())
    }

    pub(crate) async fn batch_rpc_string(&self, n: u32) -> Result<u32> {
        let remote = self.remote_rpc()?;
        let valid = |r: &Settled, sent: &String, _| matches!(r, Ok(v) if v.as_string().as_ref() == Some(sent));
        Ok(batch(n, echo_envelope, |s| remote.rpc_echo_string(s), valid).await)
    }

    pub(crate) async fn batch_rpc_bytes(&self, n: u32) -> Result<u32> {
        let remote = self.remote_rpc()?;
        let valid =
            |r: &Settled, sent: &String, _| matches!(r, Ok(v) if Uint8Array::new(v).to_vec() == sent.as_bytes());
        let send = |s: &String| remote.rpc_echo_bytes(&Uint8Array::from(s.as_bytes()));
        Ok(batch(n, echo_envelope, send, valid).await)
    }

    pub(crate) async fn batch_rpc_object(&self, n: u32) -> Result<u32> {
        let remote = self.remote_rpc()?;
        let make = |i| serde_json::from_str::<serde_json::Value>(&echo_envelope(i)).unwrap_or_default();
        let send = |v: &serde_json::Value| remote.rpc_echo_object(&serde_wasm_bindgen::to_value(v).unwrap_or_default());
        let valid = |r: &Settled, sent: &serde_json::Value, _| matches!(r, Ok(v) if serde_wasm_bindgen::from_value::<serde_json::Value>(v.clone()).ok().as_ref() == Some(sent));
        Ok(batch(n, make, send, valid).await)
    }

    pub(crate) async fn batch_rpc_envelope(&self, n: u32) -> Result<u32> {
        let remote = self.remote_rpc()?;
        let valid = |r: &Settled, _: &String, i| {
            let reply = r.as_ref().ok().and_then(JsValue::as_string).unwrap_or_default();
            call_core::wire::decode_reply::<u32, Never>(&reply) == Ok(expected(i))
        };
        Ok(batch(n, echo_envelope, |s| remote.call_entry(s), valid).await)
    }
}
