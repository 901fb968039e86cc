//! The caller of the experiment.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use call_core::{call, continuation, CallError, CallStub, WorkerError};
use futures_util::future::join_all;
use wasm_bindgen_futures::JsFuture;
use worker::*;

use crate::remote::RemoteDo;
use crate::rpc::RemoteRpc;
use crate::{expected, MODES};

/// The controller Durable Object: runs one batch per `/batch` request.
#[durable_object]
pub struct CallDelayController {
    pub(crate) state: State,
    pub(crate) env: Env,
    /// This object's name (the `c` of the requests that reach it), for the records of the
    /// probes that run many objects at once.
    pub(crate) name: RefCell<String>,
    /// Batches of `mode=continuation` and `mode=fanin` still collecting results, by batch id.
    pub(crate) batches: RefCell<HashMap<u64, Batch>>,
    next_batch: RefCell<u64>,
    /// What the continuations of probes received, by probe tag.
    probes: RefCell<HashMap<String, Vec<serde_json::Value>>>,
    /// The timeout of the calls of `/batch` (its `timeout=MS`; default: call-core's).
    pub(crate) batch_timeout: std::cell::Cell<std::time::Duration>,
}

// Built with `panic = "unwind"` (the Debian toolchain that `cargo xtask setup` installs),
// wasm-bindgen requires every exported type with `&self` methods (workers-rs's `fetch` as
// much as call-core's `__call`) to be `RefUnwindSafe`, and `RefCell` is not. A panic in a
// method is caught and answered as an error, like a JavaScript exception: the object may
// see its state as the panic left it, which is what this declares acceptable.
#[cfg(panic = "unwind")]
impl std::panic::RefUnwindSafe for CallDelayController {}

#[derive(Default)]
pub(crate) struct Batch {
    n: u32,
    arrived: u32,
    ok: u32,
    waker: Option<Waker>,
}

impl Batch {
    /// A batch waiting for `n` results.
    pub(crate) fn of(n: u32) -> Batch {
        Batch { n, ..Batch::default() }
    }
}

impl DurableObject for CallDelayController {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            name: RefCell::default(),
            batches: RefCell::default(),
            next_batch: RefCell::new(0),
            probes: RefCell::default(),
            batch_timeout: std::cell::Cell::new(call_core::DEFAULT_TIMEOUT),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        *self.name.borrow_mut() = param("c").unwrap_or_else(|| "controller".into());
        match url.path() {
            "/batch" => {
                let mode = param("mode").unwrap_or_default();
                let n: u32 = param("n").and_then(|n| n.parse().ok()).unwrap_or(10);
                let rounds: u32 = param("rounds").and_then(|r| r.parse().ok()).unwrap_or(1).max(1);
                // The load tests' batches take a timeout that no machine's speed decides.
                let timeout = param("timeout").and_then(|t| t.parse().ok()).map(std::time::Duration::from_millis);
                self.batch_timeout.set(timeout.unwrap_or(call_core::DEFAULT_TIMEOUT));
                if !MODES.contains(&mode.as_str()) || crate::is_js(&mode) {
                    return Response::error(format!("mode must be one of {MODES:?}"), 400);
                }
                // Date.now() advances only across I/O; every round is N RPCs, so the clock
                // moves with the work. Several rounds make short batches measurable.
                let writes_before = if mode == "durable" { Some(self.durable_writes().await?) } else { None };
                let start = Date::now().as_millis();
                let mut ok = 0;
                for _ in 0..rounds {
                    ok += match mode.as_str() {
                        "rpc" => self.batch_rpc(n).await?,
                        "rpc-string" => self.batch_rpc_string(n).await?,
                        "rpc-bytes" => self.batch_rpc_bytes(n).await?,
                        "rpc-object" => self.batch_rpc_object(n).await?,
                        "rpc-envelope" => self.batch_rpc_envelope(n).await?,
                        "call" => self.batch_call(n).await?,
                        "durable" => self.batch_durable(n).await?,
                        "pipeline" => self.batch_pipeline(n).await?,
                        "pipeline-rpc" => self.batch_pipeline_rpc(n).await?,
                        "fanin" => self.batch_fanin(n).await?,
                        "fanin-join" => self.batch_fanin_join(n).await?,
                        "rust-to-js" => self.batch_rust_to_js(n).await?,
                        "rust-to-js-raw" => self.batch_rust_to_js_raw(n).await?,
                        _ => self.batch_continuation(n).await?,
                    };
                }
                let ms = Date::now().as_millis() - start;
                let mut answer = serde_json::json!({ "mode": mode, "n": n, "rounds": rounds, "ok": ok, "ms": ms });
                if let Some(before) = writes_before {
                    // Read after the clock stopped: what the batch wrote, on each side.
                    answer["writes"] = self.durable_writes().await?.since(&before);
                }
                Response::from_json(&answer)
            }
            path if path.starts_with("/probe/") => self.probe(&path["/probe/".len()..], &param).await,
            path if path.starts_with("/durable/") => self.durable(&path["/durable/".len()..], &param).await,
            _ => Response::error("not found", 404),
        }
    }
}

impl CallDelayController {
    pub(crate) fn remote(&self) -> Result<CallStub> {
        CallStub::by_name(&self.env, "REMOTE", "remote")
    }

    /// `mode=rpc`: N concurrent raw RPC calls on one stub, then validate.
    pub(crate) async fn batch_rpc(&self, n: u32) -> Result<u32> {
        let remote: RemoteRpc = self.env.durable_object("REMOTE")?.get_by_name("remote")?.into_rpc();
        let pending: Vec<JsFuture> = (0..n).map(|i| JsFuture::from(remote.rpc_echo(i))).collect();
        let results = join_all(pending).await;
        let valid = |(r, i): (&std::result::Result<wasm_bindgen::JsValue, _>, u32)| matches!(r, Ok(v) if v.as_f64() == Some(f64::from(expected(i))));
        Ok(results.iter().zip(0..n).filter(|&p| valid(p)).count() as u32)
    }

    /// `mode=call`: N concurrent awaited `call!`s on one stub, then validate.
    async fn batch_call(&self, n: u32) -> Result<u32> {
        let remote = self.remote()?;
        let timeout = self.batch_timeout.get();
        let pending: Vec<_> = (0..n).map(|i| call!(remote, RemoteDo::echo(i), timeout = timeout)).collect();
        let results = join_all(pending).await;
        Ok(results.iter().zip(0..n).filter(|(r, i)| **r == Ok(expected(*i))).count() as u32)
    }

    /// `mode=continuation`: N fire-and-continue `call!`s; `on_echo` records each result and
    /// the batch ends when all N have arrived.
    async fn batch_continuation(&self, n: u32) -> Result<u32> {
        let remote = self.remote()?;
        let batch = self.new_batch(n);
        let timeout = self.batch_timeout.get();
        for i in 0..n {
            call!(remote, RemoteDo::echo(i), then self.on_echo($result, i, batch), timeout = timeout);
        }
        Ok(BatchDone { controller: self, batch }.await)
    }
}

/// The JavaScript `JsRemote` of js/reference.mjs, as `call!` calls it.
#[call_core::remote]
pub(crate) trait JsRemote {
    fn echo(&self, i: u32) -> u32;
}

impl CallDelayController {
    /// `mode=rust-to-js`: N concurrent awaited `call!`s of a JavaScript Durable Object's
    /// method (`#[remote]`), then validate.
    async fn batch_rust_to_js(&self, n: u32) -> Result<u32> {
        let js = CallStub::by_name(&self.env, "JS_REMOTE", "remote")?;
        let timeout = self.batch_timeout.get();
        let pending: Vec<_> = (0..n).map(|i| call!(js, JsRemote::echo(i), timeout = timeout)).collect();
        let results = join_all(pending).await;
        Ok(results.iter().zip(0..n).filter(|(r, i)| **r == Ok(expected(*i))).count() as u32)
    }

    /// `mode=rust-to-js-raw`: the same calls through a hand-written binding.
    async fn batch_rust_to_js_raw(&self, n: u32) -> Result<u32> {
        let js: crate::rpc::JsRemoteRpc = self.env.durable_object("JS_REMOTE")?.get_by_name("remote")?.into_rpc();
        let pending: Vec<JsFuture> = (0..n).map(|i| JsFuture::from(js.echo(i))).collect();
        let results = join_all(pending).await;
        let valid = |(r, i): (&std::result::Result<wasm_bindgen::JsValue, _>, u32)| matches!(r, Ok(v) if v.as_f64() == Some(f64::from(expected(i))));
        Ok(results.iter().zip(0..n).filter(|&p| valid(p)).count() as u32)
    }
}

impl CallDelayController {
    /// A new batch of `n` results to collect (ended by `BatchDone`).
    pub(crate) fn new_batch(&self, n: u32) -> u64 {
        let batch = self.next_id();
        self.batches.borrow_mut().insert(batch, Batch::of(n));
        batch
    }
}

/// Continuations: run when a reply (or a failure) arrives. `durable`: this object makes
/// durable calls (its storage is SQLite; see durable.rs).
#[continuation(durable)]
impl CallDelayController {
    /// Records one result of a `mode=continuation` batch.
    #[handler]
    pub fn on_echo(&self, result: std::result::Result<u32, CallError>, i: u32, batch: u64) {
        self.record(batch, result == Ok(expected(i)));
    }

    /// Records one pair of a `mode=fanin` batch: a fan-in's continuation, run once both
    /// calls have ended.
    #[handler]
    pub fn on_pair(
        &self,
        pair: (std::result::Result<u32, CallError>, std::result::Result<u32, CallError>),
        i: u32,
        batch: u64,
    ) {
        self.record_pair(pair, i, batch);
    }

    /// Records what the continuation of a fan-in probe received.
    #[handler]
    pub fn on_fanin_probe(
        &self,
        pair: (std::result::Result<u32, CallError>, std::result::Result<u32, CallError>),
        tag: String,
    ) {
        let record = serde_json::json!([crate::probes::record(&pair.0), crate::probes::record(&pair.1)]);
        self.probes.borrow_mut().entry(tag).or_default().push(record);
    }

    /// Records what the continuation of a fan-in of `Ledger` balances received.
    #[handler]
    pub fn on_balances(&self, balances: crate::pipeline_probes::Balances, tag: String) {
        let record = serde_json::to_value(&balances).unwrap_or_default();
        self.probes.borrow_mut().entry(tag).or_default().push(record);
    }

    /// Records what the continuation of a nested call received.
    #[handler]
    pub fn on_nested(&self, result: std::result::Result<i64, CallError<crate::MathError>>, tag: String) {
        let record = serde_json::to_value(&result).unwrap_or_default();
        self.probes.borrow_mut().entry(tag).or_default().push(record);
    }

    /// Answers `i` (for `/probe/cost`, which times the wasm side of a call without RPC).
    #[callable]
    pub fn ping(&self, i: u32) -> u32 {
        i
    }

    /// Records one result of a `mode=durable` batch, in memory, like `on_echo` (the bench's
    /// durable mode: the durable call's own cost, not a storage write of the handler's).
    #[handler]
    fn on_durable_echo(&self, result: std::result::Result<u32, CallError>, i: u32, batch: u64) {
        self.on_echo(result, i, batch);
    }

    /// Records that durable call `tag` was handled, in this object's SQLite storage, in the
    /// transaction that finishes the call: a second run would show as `runs = 2`.
    #[handler]
    #[cfg(not(feature = "deploy-v2"))]
    fn on_durable(&self, result: std::result::Result<u64, CallError<WorkerError>>, tag: u64) {
        crate::durable::record_handled(self, tag, &result);
    }

    /// Records that durable fan-in `tag` (of `/durable/fanin`: two bumps) was handled.
    #[handler]
    fn on_durable_pair(&self, results: crate::durable::Pair, tag: u64) {
        let both = match results {
            (Ok(a), Ok(b)) => Ok((a, b)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        crate::durable::record_handled(self, tag, &both);
    }

    /// An async durable handler (of `/durable/async`): its part before the first `await`
    /// (recording `tag`) commits with the call's row, exactly once; its part after the
    /// `await` (waiting `ms`, then recording in `durable_after`) runs at most once: a kill
    /// in between leaves it not run, and it is not run again.
    #[handler]
    async fn on_durable_async(&self, result: std::result::Result<u64, CallError<WorkerError>>, tag: u64, ms: u32) {
        crate::durable::record_handled(self, tag, &result);
        Delay::from(std::time::Duration::from_millis(u64::from(ms))).await;
        crate::durable::record_after_await(self, tag);
    }

    /// Records that durable call `tag` (of `/durable/slow`) was handled.
    #[handler]
    fn on_durable_slow(&self, result: std::result::Result<u32, CallError>, tag: u64) {
        crate::durable::record_handled(self, tag, &result);
    }

    /// Records that durable call `tag` (of `/durable/big`) was handled; `payload` is its
    /// large captured argument.
    #[handler]
    fn on_durable_payload(&self, result: std::result::Result<u64, CallError<WorkerError>>, tag: u64, payload: String) {
        let _ = payload;
        crate::durable::record_handled(self, tag, &result);
    }

    /// Records that durable nested call `tag` (of `/durable/nested`) was handled.
    #[handler]
    fn on_durable_nested(&self, result: std::result::Result<i64, CallError<crate::MathError>>, tag: u64) {
        crate::durable::record_handled(self, tag, &result);
    }

    /// A durable handler that panics (`/durable/panic`): its call becomes a dead letter.
    #[handler]
    fn on_durable_panic(&self, result: std::result::Result<u32, CallError>, tag: u64) {
        panic!("on_durable_panic: handler of durable call {tag} panics on purpose (result {result:?})");
    }

    /// The same handler after a "deploy" that changed its signature (the `deploy-v2`
    /// feature): calls stored by the old build cannot run it and become dead letters.
    #[handler]
    #[cfg(feature = "deploy-v2")]
    fn on_durable(&self, result: std::result::Result<u64, CallError<WorkerError>>, tag: String) {
        let _ = (result, tag);
    }

    /// Records what the continuation of a probe received.
    #[handler]
    pub fn on_probe(&self, result: std::result::Result<u32, CallError>, tag: String) {
        self.probes.borrow_mut().entry(tag).or_default().push(crate::probes::record(&result));
    }

    /// Records what the continuation of a many-objects probe received, and in which object
    /// it ran (`owner` is the object that made the call); counts the run isolate-wide.
    #[handler]
    fn on_owned(&self, result: std::result::Result<u32, CallError>, tag: String, owner: String) {
        crate::lifetimes::count_run(&tag);
        let record = serde_json::json!({
            "result": crate::probes::record(&result), "owner": owner, "ran_in": *self.name.borrow(),
        });
        self.probes.borrow_mut().entry(tag).or_default().push(record);
    }
}

impl CallDelayController {
    /// A fresh id for a batch or a probe run.
    pub(crate) fn next_id(&self) -> u64 {
        let mut next = self.next_batch.borrow_mut();
        *next += 1;
        *next
    }

    /// Counts one arrived result of `batch`; wakes the batch when all have arrived.
    pub(crate) fn record(&self, batch: u64, ok: bool) {
        let mut batches = self.batches.borrow_mut();
        let Some(b) = batches.get_mut(&batch) else { return };
        b.arrived += 1;
        if ok {
            b.ok += 1;
        }
        if b.arrived == b.n {
            if let Some(w) = b.waker.take() {
                w.wake();
            }
        }
    }

    /// A tag for one probe run, so that concurrent or repeated probes do not mix.
    pub(crate) fn fresh_probe_tag(&self, name: &str) -> String {
        let tag = format!("{name}-{}", self.next_id());
        self.probes.borrow_mut().insert(tag.clone(), Vec::new());
        tag
    }

    /// What the continuations of probe `tag` received so far.
    pub(crate) fn probe_results(&self, tag: &str) -> Vec<serde_json::Value> {
        self.probes.borrow().get(tag).cloned().unwrap_or_default()
    }
}

/// Resolves to the number of valid results once every result of `batch` has arrived.
pub(crate) struct BatchDone<'a> {
    pub(crate) controller: &'a CallDelayController,
    pub(crate) batch: u64,
}

impl Future for BatchDone<'_> {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let mut batches = self.controller.batches.borrow_mut();
        let Some(b) = batches.get_mut(&self.batch) else { return Poll::Ready(0) };
        if b.arrived >= b.n {
            let ok = b.ok;
            batches.remove(&self.batch);
            return Poll::Ready(ok);
        }
        b.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}
