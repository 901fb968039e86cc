//! Rust strings to JavaScript strings, for the envelope and the reply.
//!
//! wasm-bindgen makes a JavaScript string of a Rust one with workerd's `TextDecoder`, a
//! host call that the profile shows at several µs for a short reply (README, Performance).
//! Envelopes and replies are JSON, nearly always short and ASCII: those are read out of
//! the wasm memory by `String.fromCharCode`, which V8 runs without leaving JavaScript.
//! Anything else still goes through wasm-bindgen.

use std::cell::Cell;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = "
let memory, bytes = new Uint8Array(0);
export function __call_core_text_memory(m) { memory = m; }
export function __call_core_ascii(ptr, len) {
  if (bytes.buffer !== memory.buffer) bytes = new Uint8Array(memory.buffer);
  return String.fromCharCode.apply(null, bytes.subarray(ptr, ptr + len));
}
")]
extern "C" {
    #[wasm_bindgen(js_name = "__call_core_text_memory")]
    fn text_memory(memory: &JsValue);

    #[wasm_bindgen(js_name = "__call_core_ascii")]
    fn ascii(ptr: u32, len: u32) -> JsValue;
}

/// Longest string read by the ASCII path (one argument per byte to `fromCharCode`).
const MAX_ASCII: usize = 4096;

thread_local! {
    static READY: Cell<bool> = const { Cell::new(false) };
}

/// `s` as a JavaScript string.
pub(crate) fn js_string(s: &str) -> JsValue {
    if s.len() > MAX_ASCII || !s.is_ascii() {
        return JsValue::from_str(s);
    }
    if !READY.with(|r| r.replace(true)) {
        text_memory(&wasm_bindgen::memory());
    }
    ascii(s.as_ptr() as u32, s.len() as u32)
}
