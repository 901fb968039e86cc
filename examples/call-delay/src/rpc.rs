//! Hand-written wasm-bindgen bindings for plain Durable Object RPC: the baseline.

use js_sys::Promise;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    /// A stub of `RemoteDo`, seen through its exported `rpcEcho` method.
    pub(crate) type RemoteRpc;

    #[wasm_bindgen(method, js_name = rpcEcho)]
    pub(crate) fn rpc_echo(this: &RemoteRpc, i: u32) -> Promise;

    /// A stub of the JavaScript `JsRemote`.
    pub(crate) type JsRemoteRpc;

    #[wasm_bindgen(method)]
    pub(crate) fn echo(this: &JsRemoteRpc, i: u32) -> Promise;
}
