//! `/conversion?via=json|swb&shape=S&k=K`: how a call by name from JavaScript could carry its
//! values, measured (`cargo xtask bench`, xtask/src/bench/conversion.rs). K times, the
//! arguments of one call (a JavaScript array holding one value of shape S) are decoded as
//! the Rust parameter type and the value is encoded back as a JavaScript value:
//!
//! * `json`: what call-core does: `JSON.stringify` the arguments, the text into wasm,
//!   `serde_json` both ways, the reply text out, `JSON.parse`;
//! * `swb`: serde-wasm-bindgen (the JavaScript value read field by field from wasm, the
//!   result built the same way, maps as objects: its JSON-compatible serializer).
//!
//! Inside a Worker `Date.now()` does not advance without I/O, so the client times the
//! request (minus the fastest `k=0` one). The answer is the last result's JSON, which must be
//! the same for both ways.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{Response, Result, Url};

/// The shapes measured: a value of each kind a method takes or returns.
pub(crate) const SHAPES: [&str; 6] = ["number", "string", "struct", "array", "map", "bytes"];

#[derive(Serialize, Deserialize)]
struct Stats {
    count: u32,
    total: u64,
    max: Option<u32>,
}

pub(crate) fn route(url: &Url) -> Result<Response> {
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let k: u32 = param("k").and_then(|k| k.parse().ok()).unwrap_or(1);
    let json = match param("via").as_deref() {
        Some("json") => true,
        Some("swb") => false,
        _ => return Response::error("via must be json or swb", 400),
    };
    let shape = param("shape").unwrap_or_default();
    let args = match arguments(&shape) {
        Some(args) => args,
        None => return Response::error(format!("shape must be one of {SHAPES:?}"), 400),
    };
    let last = match shape.as_str() {
        "number" => run::<i64>(&args, k, json),
        "string" => run::<String>(&args, k, json),
        "struct" => run::<Stats>(&args, k, json),
        "array" => run::<Vec<u32>>(&args, k, json),
        "map" => run::<BTreeMap<String, u32>>(&args, k, json),
        _ => run::<Vec<u8>>(&args, k, json),
    };
    match last {
        Ok(value) => {
            // `k=0` (the client's empty request) leaves `undefined`: no text.
            let text = match value.is_undefined() {
                true => String::new(),
                false => js_sys::JSON::stringify(&value).map(String::from).unwrap_or_default(),
            };
            Response::from_json(&serde_json::json!({ "k": k, "last": text }))
        }
        Err(e) => Response::error(e, 500),
    }
}

/// The arguments of one call of shape `shape`, as a JavaScript caller passes them.
fn arguments(shape: &str) -> Option<JsValue> {
    let text = match shape {
        "number" => "[4096]".to_string(),
        "string" => r#"["hello, Grüße, 世界: a short message"]"#.to_string(),
        "struct" => r#"[{"count":3,"total":16,"max":9}]"#.to_string(),
        "array" => format!("[[{}]]", (0..100).map(|i| (i * 7).to_string()).collect::<Vec<_>>().join(",")),
        "map" => format!("[{{{}}}]", (0..10).map(|i| format!(r#""key{i}":{i}"#)).collect::<Vec<_>>().join(",")),
        "bytes" => format!("[[{}]]", (0..1024).map(|i| (i % 256).to_string()).collect::<Vec<_>>().join(",")),
        _ => return None,
    };
    js_sys::JSON::parse(&text).ok()
}

/// `k` conversions of `args` to `(T,)` and of the `T` back; the last result.
fn run<T: Serialize + DeserializeOwned>(args: &JsValue, k: u32, json: bool) -> std::result::Result<JsValue, String> {
    let mut last = JsValue::UNDEFINED;
    for _ in 0..k {
        last = if json { via_json::<T>(args)? } else { via_swb::<T>(args)? };
    }
    Ok(last)
}

fn via_json<T: Serialize + DeserializeOwned>(args: &JsValue) -> std::result::Result<JsValue, String> {
    let text: String = js_sys::JSON::stringify(args).map_err(|e| format!("{e:?}"))?.into();
    let (value,): (T,) = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let reply = serde_json::to_string(&value).map_err(|e| e.to_string())?;
    js_sys::JSON::parse(&reply).map_err(|e| format!("{e:?}"))
}

fn via_swb<T: Serialize + DeserializeOwned>(args: &JsValue) -> std::result::Result<JsValue, String> {
    let (value,): (T,) = serde_wasm_bindgen::from_value(args.clone()).map_err(|e| e.to_string())?;
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| e.to_string())
}
