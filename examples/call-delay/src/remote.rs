//! The callee of the experiment.

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

    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::ok("RemoteDo")
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
}
