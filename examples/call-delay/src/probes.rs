//! Probes for the end-to-end tests: each runs one scenario inside the controller Durable
//! Object and answers what the caller observed, as JSON, for the test to assert on.

use std::future::Future;
use std::time::Duration;

use call_core::{call, CallError, CallStub};
use worker::*;

use crate::controller::CallDelayController;
use crate::ledger::Ledger;
use crate::memory;
use crate::remote::RemoteDo;

type Reply = Result<Response>;

impl CallDelayController {
    /// Serves `/probe/<name>`.
    pub(crate) async fn probe(&self, name: &str, param: &dyn Fn(&str) -> Option<String>) -> Reply {
        match name {
            "mixed" | "owned-results" | "reset-setup" | "abort" | "handler-runs" | "finished" | "handler-ids"
            | "call-handler" => self.lifetime_probe(name, param).await,
            "app-error" => self.probe_app_error().await,
            "nested" => self.probe_nested().await,
            "nested-limits" => self.probe_nested_limits().await,
            "fanin" => self.probe_fanin(&param("account").unwrap_or_else(|| "alice".into())).await,
            "ledger" => self.probe_ledger(&param("account").unwrap_or_else(|| "alice".into())).await,
            "panic" => self.probe_panic().await,
            "timeout" => self.probe_timeout().await,
            "cancel" => self.probe_cancel().await,
            "callee-js-throws" => self.probe_js_callee_throws().await,
            "no-entry" => self.probe_no_entry().await,
            "methods" => Response::from_json(&call_core::testing::methods::<RemoteDo>()),
            "memory" => {
                let n = param("n").and_then(|n| n.parse().ok()).unwrap_or(10_000);
                self.probe_memory(n, param("mode").as_deref() == Some("continuation")).await
            }
            "cost" => self.probe_cost(param("k").and_then(|k| k.parse().ok()).unwrap_or(0)),
            "rust-to-js" => self.probe_rust_to_js(param("i").and_then(|i| i.parse().ok()).unwrap_or(0)).await,
            _ => Response::error("unknown probe", 404),
        }
    }

    async fn probe_app_error(&self) -> Reply {
        let remote = self.remote()?;
        let divided = call!(remote, RemoteDo::divide(7, 0)).await;
        let fine = call!(remote, RemoteDo::divide(7, 2)).await;
        Response::from_json(&serde_json::json!({ "divided": divided, "fine": fine }))
    }

    /// `Ledger`, a Durable Object adopted without changing its methods: `&str` and
    /// `Option<&str>` arguments, `worker::Result` answers (its error arrives as
    /// `CallError::App(WorkerError { message })`), storage behind it.
    async fn probe_ledger(&self, account: &str) -> Reply {
        let ledger = CallStub::by_name(&self.env, "LEDGER", "ledger")?;
        let deposited = call!(ledger, Ledger::deposit(account, 100)).await;
        let refused = call!(ledger, Ledger::withdraw(account, 1_000_000, Some("rent"))).await;
        let withdrawn = call!(ledger, Ledger::withdraw(account, 30, None)).await;
        let balance = call!(ledger, Ledger::balance(account)).await;
        Response::from_json(&serde_json::json!({
            "deposited": deposited, "refused": refused, "withdrawn": withdrawn, "balance": balance,
        }))
    }

    async fn probe_panic(&self) -> Reply {
        let remote = self.remote()?;
        let panicked = call!(remote, RemoteDo::boom("probe".into())).await;
        let after = call!(remote, RemoteDo::echo(5)).await;
        Response::from_json(&serde_json::json!({ "panicked": panicked, "after": after }))
    }

    /// A callee slower than the timeout: the awaited form gets `Timeout`; the continuation
    /// form runs once with `Timeout` and the late reply is dropped.
    async fn probe_timeout(&self) -> Reply {
        let remote = self.remote()?;
        let tag = self.fresh_probe_tag("timeout");
        let awaited = call!(remote, RemoteDo::slow(400), timeout = Duration::from_millis(50)).await;
        call!(remote, RemoteDo::slow(400), then self.on_probe($result, tag.clone()), timeout = Duration::from_millis(50));
        // Long enough for the late replies to arrive (and be dropped).
        Delay::from(Duration::from_millis(700)).await;
        let continued = self.probe_results(&tag);
        Response::from_json(&serde_json::json!({ "awaited": awaited, "continued": continued }))
    }

    /// Cancelling a fire-and-continue call runs its continuation once, with `Cancelled`.
    async fn probe_cancel(&self) -> Reply {
        let remote = self.remote()?;
        let tag = self.fresh_probe_tag("cancel");
        let handle = call!(remote, RemoteDo::slow(300), then self.on_probe($result, tag.clone()));
        let first = handle.cancel();
        let second = handle.cancel();
        Delay::from(Duration::from_millis(500)).await;
        let continued = self.probe_results(&tag);
        let finished = handle.is_finished();
        Response::from_json(&serde_json::json!({
            "first_cancel": first, "second_cancel": second, "finished": finished, "continued": continued,
        }))
    }

    /// A JavaScript Durable Object whose `__call` throws.
    async fn probe_js_callee_throws(&self) -> Reply {
        let js = CallStub::by_name(&self.env, "JS_REMOTE", "remote")?;
        let result = call!(js, RemoteDo::echo(1)).await;
        let after = call!(self.remote()?, RemoteDo::echo(2)).await;
        Response::from_json(&serde_json::json!({ "result": result, "after": after }))
    }

    /// A Durable Object class without a `#[continuation]` entry.
    async fn probe_no_entry(&self) -> Reply {
        let plain = CallStub::by_name(&self.env, "JS_CONTROLLER", "controller")?;
        let result = call!(plain, RemoteDo::echo(1)).await;
        Response::from_json(&serde_json::json!({ "result": result }))
    }

    /// Rust heap bytes held per pending call: live bytes after issuing `n` calls and
    /// letting each register its deadline (before any reply can arrive: only a microtask
    /// passes) minus live bytes before, over `n`. JavaScript-side state (the RPC promise)
    /// is not counted: workerd does not expose the isolate's heap to the Worker.
    async fn probe_memory(&self, n: u32, continuation: bool) -> Reply {
        let remote = self.remote()?;
        let tag = self.fresh_probe_tag("memory");
        let mut pending = Vec::with_capacity(if continuation { 0 } else { n as usize });
        let before = memory::live_bytes();
        for i in 0..n {
            if continuation {
                call!(remote, RemoteDo::echo(i), then self.on_probe($result, tag.clone()));
            } else {
                pending.push(call!(remote, RemoteDo::echo(i)));
            }
        }
        // Let every call register its deadline (first poll) before measuring: spawned
        // continuation tasks run on a microtask; awaited calls are polled once here.
        let mut all = futures_util::future::join_all(pending);
        let _ = std::pin::Pin::new(&mut all).poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
        wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL)).await.ok();
        let after = memory::live_bytes();
        let timers = call_core::testing::pending_timers();
        let groups = call_core::testing::timer_groups();
        let results = all.await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        while continuation && self.probe_results(&tag).len() < n as usize {
            Delay::from(Duration::from_millis(10)).await;
        }
        let continued_ok = self.probe_results(&tag).iter().filter(|r| r.get("Ok").is_some()).count();
        let per_call = (after.saturating_sub(before)) as f64 / f64::from(n.max(1));
        Response::from_json(&serde_json::json!({
            "n": n, "continuation": continuation, "bytes_before": before, "bytes_after": after,
            "bytes_per_pending_call": per_call, "ok": if continuation { continued_ok } else { ok },
            "timers_after_issue": timers, "timers_now": call_core::testing::pending_timers(),
            "timer_groups_after_issue": groups, "timer_groups_now": call_core::testing::timer_groups(),
        }))
    }

    /// The wasm-side work of `k` calls without the RPC hop, for timing from the client
    /// (inside a Worker `Date.now()` does not advance without I/O): build the call, write
    /// the envelope, hand it to the `__call` entry as a JavaScript string (callee side:
    /// decode, dispatch, encode the reply), take the reply back, decode it.
    fn probe_cost(&self, k: u32) -> Reply {
        let id = call_core::testing::methods::<CallDelayController>()
            .iter()
            .find(|m| m.starts_with("CallDelayController::ping#"))
            .copied()
            .unwrap_or_default();
        let mut ok = 0u32;
        for i in 0..k {
            let call: call_core::Call<u32> = call_core::Call::new(id, &(i,));
            let Ok(plan) = call.plan() else { continue };
            let envelope = call_core::wire::encode_envelope(plan, u64::from(i), u64::MAX, None);
            // The string crossings of the `__call` entry, then its work.
            let envelope = wasm_bindgen::JsValue::from_str(&envelope).as_string().unwrap_or_default();
            let Some(reply) = call_core::dispatch::serve_now(self, &envelope, u64::from(i)) else { continue };
            let reply = wasm_bindgen::JsValue::from_str(&reply).as_string().unwrap_or_default();
            if call_core::wire::decode_reply::<u32, call_core::Never>(&reply) == Ok(i) {
                ok += 1;
            }
        }
        Response::from_json(&serde_json::json!({ "k": k, "ok": ok }))
    }

    async fn probe_rust_to_js(&self, i: u32) -> Reply {
        // A Rust caller invoking a JavaScript Durable Object's method over native RPC.
        let remote: crate::rpc::JsRemoteRpc = self.env.durable_object("JS_REMOTE")?.get_by_name("remote")?.into_rpc();
        let value = wasm_bindgen_futures::JsFuture::from(remote.echo(i)).await?.as_f64();
        let ok = value == Some(f64::from(crate::expected(i)));
        Response::from_json(&serde_json::json!({ "i": i, "value": value, "ok": ok }))
    }
}

/// What a probe's continuation received.
pub(crate) fn record(result: &std::result::Result<u32, CallError>) -> serde_json::Value {
    serde_json::to_value(result).unwrap_or(serde_json::Value::Null)
}
