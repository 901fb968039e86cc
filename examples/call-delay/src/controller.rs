//! The caller of the experiment.

use futures_util::future::join_all;
use wasm_bindgen_futures::JsFuture;
use worker::*;

use crate::rpc::{JsRemoteRpc, RemoteRpc};
use crate::{expected, MODES};

/// The controller Durable Object: runs one batch per `/batch` request.
#[durable_object]
pub struct CallDelayController {
    env: Env,
}

impl DurableObject for CallDelayController {
    fn new(_state: State, env: Env) -> Self {
        Self { env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        match url.path() {
            "/batch" => {
                let mode = param("mode").unwrap_or_default();
                let n: u32 = param("n").and_then(|n| n.parse().ok()).unwrap_or(10);
                let start = Date::now().as_millis();
                let ok = match mode.as_str() {
                    "rpc" => self.batch_rpc(n).await?,
                    _ => return Response::error(format!("mode must be one of {MODES:?}"), 400),
                };
                let ms = Date::now().as_millis() - start;
                Response::from_json(&serde_json::json!({ "mode": mode, "n": n, "ok": ok, "ms": ms }))
            }
            "/probe/rust-to-js" => {
                // A Rust caller invoking a JavaScript Durable Object's method over native RPC.
                let i: u32 = param("i").and_then(|i| i.parse().ok()).unwrap_or(0);
                let remote: JsRemoteRpc = self.env.durable_object("JS_REMOTE")?.get_by_name("remote")?.into_rpc();
                let value = JsFuture::from(remote.echo(i)).await?.as_f64();
                let ok = value == Some(f64::from(expected(i)));
                Response::from_json(&serde_json::json!({ "i": i, "value": value, "ok": ok }))
            }
            _ => Response::error("not found", 404),
        }
    }
}

impl CallDelayController {
    /// `mode=rpc`: N concurrent raw RPC calls on one stub, then validate.
    async fn batch_rpc(&self, n: u32) -> Result<usize> {
        let remote: RemoteRpc = self.env.durable_object("REMOTE")?.get_by_name("remote")?.into_rpc();
        let pending: Vec<JsFuture> = (0..n).map(|i| JsFuture::from(remote.rpc_echo(i))).collect();
        let results = join_all(pending).await;
        let ok = results
            .iter()
            .zip(0..n)
            .filter(|(r, i)| matches!(r, Ok(v) if v.as_f64() == Some(f64::from(expected(*i)))))
            .count();
        Ok(ok)
    }
}
