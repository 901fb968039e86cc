//! Probes of the life of a pending call, for the end-to-end tests: many controller objects
//! of one isolate at once, an object reset while it has calls pending, the timer memory of
//! finished calls, and attempts to reach a continuation handler from outside.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use call_core::{call, Call, CallError, CallStub, Never};
use futures_util::future::join_all;
use worker::*;

use crate::controller::CallDelayController;
use crate::memory;
use crate::remote::RemoteDo;

thread_local! {
    // Isolate-wide (shared by every object of the isolate, which is the point): how often
    // `on_owned` ran per probe tag.
    static RUNS: RefCell<HashMap<String, u32>> = RefCell::default();
}

/// Counts one run of `on_owned` for `tag`.
pub(crate) fn count_run(tag: &str) {
    RUNS.with(|r| *r.borrow_mut().entry(tag.to_string()).or_default() += 1);
}

fn runs(tag: &str) -> u32 {
    RUNS.with(|r| r.borrow().get(tag).copied().unwrap_or(0))
}

type Reply = Result<Response>;

impl CallDelayController {
    /// Serves the probes of this module.
    pub(crate) async fn lifetime_probe(&self, name: &str, param: &dyn Fn(&str) -> Option<String>) -> Reply {
        let number = |key: &str, default: u64| param(key).and_then(|v| v.parse().ok()).unwrap_or(default);
        match name {
            "mixed" => {
                let (n, slow, timeout) = (number("n", 3) as u32, number("slow", 100) as u32, number("timeout", 300));
                self.probe_mixed(n, slow, Duration::from_millis(timeout), param("early").is_some()).await
            }
            "owned-results" => {
                let tag = param("tag").unwrap_or_default();
                Response::from_json(&serde_json::json!({ "tag": tag, "results": self.probe_results(&tag) }))
            }
            "reset-setup" => self.probe_reset_setup(number("n", 5) as u32, number("slow", 400) as u32),
            "abort" => self.probe_abort(),
            "handler-runs" => {
                let tag = param("tag").unwrap_or_default();
                Response::from_json(&serde_json::json!({ "tag": tag, "runs": runs(&tag) }))
            }
            "finished" => self.probe_finished(number("n", 10_000) as u32).await,
            "handler-ids" => Response::from_json(&call_core::testing::handler_ids::<CallDelayController>()),
            "call-handler" => self.probe_call_handler(&param("victim").unwrap_or_else(|| "victim".into())).await,
            _ => Response::error("unknown probe", 404),
        }
    }

    /// `n` fire-and-continue calls of `RemoteDo::slow(slow)` with `timeout`, continued by
    /// `on_owned` in this object, and (unless `early`) one awaited call; answers at once
    /// with the tag when `early` (the continuations run after the request has ended), else
    /// when all `n` continuations have run.
    async fn probe_mixed(&self, n: u32, slow: u32, timeout: Duration, early: bool) -> Reply {
        let me = self.name.borrow().clone();
        let tag = self.fresh_probe_tag("mixed");
        let remote = self.remote()?;
        for _ in 0..n {
            call!(remote, RemoteDo::slow(slow), then self.on_owned($result, tag.clone(), me.clone()), timeout = timeout);
        }
        if early {
            return Response::from_json(&serde_json::json!({ "tag": tag }));
        }
        let awaited = call!(remote, RemoteDo::slow(slow), timeout = timeout).await;
        let give_up = Date::now().as_millis() + u64::from(slow) + timeout.as_millis() as u64 + 2_000;
        while self.probe_results(&tag).len() < n as usize && Date::now().as_millis() < give_up {
            Delay::from(Duration::from_millis(10)).await;
        }
        let results = self.probe_results(&tag);
        Response::from_json(&serde_json::json!({ "tag": tag, "awaited": awaited, "results": results }))
    }

    /// `n` fire-and-continue calls of `RemoteDo::slow(slow)`, left pending: answers their
    /// tag and call ids (the test then resets this object with `/probe/abort`).
    fn probe_reset_setup(&self, n: u32, slow: u32) -> Reply {
        let me = self.name.borrow().clone();
        let tag = self.fresh_probe_tag("reset");
        let remote = self.remote()?;
        let ids: Vec<u64> = (0..n)
            .map(|_| {
                call!(remote, RemoteDo::slow(slow), then self.on_owned($result, tag.clone(), me.clone())).call_id()
            })
            .collect();
        Response::from_json(&serde_json::json!({ "tag": tag, "call_ids": ids }))
    }

    /// Resets this object (see `resets::abort_soon`), after this request has answered.
    fn probe_abort(&self) -> Reply {
        crate::resets::abort_soon(&self.state, "reset by /probe/abort")?;
        Response::from_json(&serde_json::json!({ "abort": "scheduled" }))
    }

    /// Timer memory before and after `n` finished calls that each had a one-hour timeout.
    async fn probe_finished(&self, n: u32) -> Reply {
        let remote = self.remote()?;
        let measure = || {
            serde_json::json!({
                "timers": call_core::testing::pending_timers(),
                "timer_groups": call_core::testing::timer_groups(),
                "bytes": memory::live_bytes(),
            })
        };
        let before = measure();
        let hour = Duration::from_secs(3600);
        let results = join_all((0..n).map(|i| call!(remote, RemoteDo::echo(i), timeout = hour))).await;
        let ok = results.iter().zip(0..n).filter(|(r, i)| **r == Ok(crate::expected(*i))).count();
        drop(results);
        let after = measure();
        Response::from_json(&serde_json::json!({ "n": n, "ok": ok, "before": before, "after": after }))
    }

    /// From Rust, the way a hostile Durable Object would: sends the `victim` controller an
    /// envelope that names its `on_owned` handler, with a forged result.
    async fn probe_call_handler(&self, victim: &str) -> Reply {
        let id = call_core::testing::handler_ids::<CallDelayController>()
            .iter()
            .find(|id| id.starts_with("CallDelayController::on_owned#"))
            .copied()
            .unwrap_or_default();
        let tag = format!("forged-{victim}");
        let stub = CallStub::by_name(&self.env, "CONTROLLER", victim)?;
        let forged: Call<(), Never> = Call::new(id, &(Ok::<u32, CallError>(1), tag.as_str(), "attacker"));
        let result = call_core::caller::send(&stub, forged).await;
        Response::from_json(&serde_json::json!({ "id": id, "tag": tag, "result": result }))
    }
}
