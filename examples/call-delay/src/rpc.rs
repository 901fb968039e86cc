//! Hand-written wasm-bindgen bindings for plain Durable Object RPC: the baseline.

use js_sys::Promise;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    /// A stub of `RemoteDo`, seen through its exported `rpcEcho` method.
    pub(crate) type RemoteRpc;

    #[wasm_bindgen(method, js_name = rpcEcho)]
    pub(crate) fn rpc_echo(this: &RemoteRpc, i: u32) -> Promise;

    #[wasm_bindgen(method, js_name = rpcEchoString)]
    pub(crate) fn rpc_echo_string(this: &RemoteRpc, s: &str) -> Promise;

    /// `RemoteDo`'s `#[continuation]` entry, called by hand (the `rpc-envelope` ablation).
    #[wasm_bindgen(method, js_name = "__call")]
    pub(crate) fn call_entry(this: &RemoteRpc, envelope: &str) -> Promise;

    #[wasm_bindgen(method, js_name = rpcEchoBytes)]
    pub(crate) fn rpc_echo_bytes(this: &RemoteRpc, s: &js_sys::Uint8Array) -> Promise;

    #[wasm_bindgen(method, js_name = rpcEchoObject)]
    pub(crate) fn rpc_echo_object(this: &RemoteRpc, s: &wasm_bindgen::JsValue) -> Promise;

    /// A stub of the JavaScript `JsRemote`.
    pub(crate) type JsRemoteRpc;

    #[wasm_bindgen(method)]
    pub(crate) fn echo(this: &JsRemoteRpc, i: u32) -> Promise;
}
