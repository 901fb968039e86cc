//! Probes of nested calls and fan-in for the end-to-end tests: each runs its scenario in the
//! controller and answers what the caller observed, as JSON.

use std::time::Duration;

use call_core::{call, CallError, CallStub, WorkerError};
use worker::*;

use crate::controller::CallDelayController;
use crate::ledger::Ledger;
use crate::remote::RemoteDo;

type Reply = Result<Response>;

/// What a fan-in of two `Ledger` balances yields.
pub(crate) type Balances =
    (std::result::Result<i64, CallError<WorkerError>>, std::result::Result<i64, CallError<WorkerError>>);

/// Waits until the probe `tag` has `n` records (or 2 s have passed).
async fn records(controller: &CallDelayController, tag: &str, n: usize) -> Vec<serde_json::Value> {
    for _ in 0..200 {
        if controller.probe_results(tag).len() >= n {
            break;
        }
        Delay::from(Duration::from_millis(10)).await;
    }
    controller.probe_results(tag)
}

impl CallDelayController {
    /// `/probe/nested`: nested calls, awaited and continued, their typed errors, a timeout,
    /// and plans at the limits.
    pub(crate) async fn probe_nested(&self) -> Reply {
        let remote = self.remote()?;
        // A chain with borrowed parameters: String feeds &str.
        let chain = call!(remote, RemoteDo::len(RemoteDo::upper(RemoteDo::word(7)))).await;
        // Literals, a captured value and nested calls in one plan.
        let seven = 7;
        let mixed = call!(remote, RemoteDo::divide(RemoteDo::negate(RemoteDo::divide(seven * 10, 2)), -5)).await;
        // A failing inner step: the plan stops there; its error arrives typed.
        let inner_fails = call!(remote, RemoteDo::divide(RemoteDo::divide(7, 0), 1)).await;
        // An outer method that cannot fail takes the inner error type.
        let outer_infallible = call!(remote, RemoteDo::negate(RemoteDo::divide(1, 0))).await;
        // A panic in an inner step.
        let inner_panics = call!(remote, RemoteDo::echo(RemoteDo::boom("inner".into()))).await;
        // The timeout covers the whole plan.
        let timeout = call!(remote, RemoteDo::echo(RemoteDo::slow(400)), timeout = Duration::from_millis(50)).await;
        // With `then`.
        let tag = self.fresh_probe_tag("nested");
        call!(remote, RemoteDo::negate(RemoteDo::divide(9, 3)), then self.on_nested($result, tag.clone()));
        call!(remote, RemoteDo::negate(RemoteDo::divide(9, 0)), then self.on_nested($result, tag.clone()));
        let continued = records(self, &tag, 2).await;
        Response::from_json(&serde_json::json!({
            "chain": chain, "mixed": mixed, "inner_fails": inner_fails, "outer_infallible": outer_infallible,
            "inner_panics": inner_panics, "timeout": timeout, "continued": continued,
        }))
    }

    /// `/probe/nested-limits`: a chain of 16 (the depth limit) and a plan of 64 steps (the
    /// step limit) run in one round trip each; a plan whose arguments together exceed the
    /// 32 MiB envelope limit is refused before it is sent.
    pub(crate) async fn probe_nested_limits(&self) -> Reply {
        let remote = self.remote()?;
        let deep = call!(
            remote,
            RemoteDo::echo(RemoteDo::echo(RemoteDo::echo(RemoteDo::echo(RemoteDo::echo(RemoteDo::echo(
                RemoteDo::echo(RemoteDo::echo(RemoteDo::echo(RemoteDo::echo(RemoteDo::echo(RemoteDo::echo(
                    RemoteDo::echo(RemoteDo::echo(RemoteDo::echo(RemoteDo::echo(0))))
                ))))))
            ))))))
        )
        .await;
        // 32 words, 31 concatenations and a length: 64 steps.
        let wide = call!(
            remote,
            RemoteDo::len(RemoteDo::concat(
                RemoteDo::concat(
                    RemoteDo::concat(
                        RemoteDo::concat(
                            RemoteDo::concat(RemoteDo::word(1), RemoteDo::word(2)),
                            RemoteDo::concat(RemoteDo::word(3), RemoteDo::word(4)),
                        ),
                        RemoteDo::concat(
                            RemoteDo::concat(RemoteDo::word(5), RemoteDo::word(6)),
                            RemoteDo::concat(RemoteDo::word(7), RemoteDo::word(8)),
                        ),
                    ),
                    RemoteDo::concat(
                        RemoteDo::concat(
                            RemoteDo::concat(RemoteDo::word(9), RemoteDo::word(10)),
                            RemoteDo::concat(RemoteDo::word(11), RemoteDo::word(12)),
                        ),
                        RemoteDo::concat(
                            RemoteDo::concat(RemoteDo::word(13), RemoteDo::word(14)),
                            RemoteDo::concat(RemoteDo::word(15), RemoteDo::word(16)),
                        ),
                    ),
                ),
                RemoteDo::concat(
                    RemoteDo::concat(
                        RemoteDo::concat(
                            RemoteDo::concat(RemoteDo::word(17), RemoteDo::word(18)),
                            RemoteDo::concat(RemoteDo::word(19), RemoteDo::word(20)),
                        ),
                        RemoteDo::concat(
                            RemoteDo::concat(RemoteDo::word(21), RemoteDo::word(22)),
                            RemoteDo::concat(RemoteDo::word(23), RemoteDo::word(24)),
                        ),
                    ),
                    RemoteDo::concat(
                        RemoteDo::concat(
                            RemoteDo::concat(RemoteDo::word(25), RemoteDo::word(26)),
                            RemoteDo::concat(RemoteDo::word(27), RemoteDo::word(28)),
                        ),
                        RemoteDo::concat(
                            RemoteDo::concat(RemoteDo::word(29), RemoteDo::word(30)),
                            RemoteDo::concat(RemoteDo::word(31), RemoteDo::word(32)),
                        ),
                    ),
                ),
            ))
        )
        .await;
        let half = "x".repeat(call_core::Limits::DEFAULT.max_bytes / 2 + 1);
        let too_big =
            call!(remote, RemoteDo::len(RemoteDo::concat(RemoteDo::upper(&half), RemoteDo::upper(&half)))).await;
        let too_big = too_big.map_err(|e| match e {
            CallError::Limit(m) => format!("limit: {m}"),
            other => format!("{other:?}"),
        });
        Response::from_json(&serde_json::json!({ "deep": deep, "wide": wide, "too_big": too_big }))
    }

    /// `/probe/fanin`: a fan-in of two `Ledger` balances, awaited and continued; a fan-in
    /// whose member times out; a cancelled fan-in.
    pub(crate) async fn probe_fanin(&self, account: &str) -> Reply {
        let (a, b) =
            (CallStub::by_name(&self.env, "LEDGER", "ledger-a")?, CallStub::by_name(&self.env, "LEDGER", "ledger-b")?);
        let deposits = call!(all(a => Ledger::deposit(account, 100), b => Ledger::deposit(account, 50))).await;
        let balances: Balances = call!(all(a => Ledger::balance(account), b => Ledger::balance(account))).await;
        let tag = self.fresh_probe_tag("balances");
        call!(all(a => Ledger::balance(account), b => Ledger::balance(account)), then self.on_balances($result, tag.clone()));
        let continued = records(self, &tag, 1).await;
        // One member slower than the timeout: it times out, the other keeps its result, and
        // the continuation runs once with both.
        let remote = self.remote()?;
        let tag = self.fresh_probe_tag("fanin-timeout");
        call!(
            all(remote => RemoteDo::slow(400), remote => RemoteDo::echo(3)),
            then self.on_fanin_probe($result, tag.clone()),
            timeout = Duration::from_millis(50)
        );
        // Long enough for the late reply to arrive (and be dropped).
        Delay::from(Duration::from_millis(700)).await;
        let timed_out = self.probe_results(&tag);
        let tag = self.fresh_probe_tag("fanin-cancel");
        let handle = call!(all(remote => RemoteDo::slow(300), remote => RemoteDo::slow(300)), then self.on_fanin_probe($result, tag.clone()));
        let (first, second) = (handle.cancel(), handle.cancel());
        Delay::from(Duration::from_millis(500)).await;
        let cancelled = self.probe_results(&tag);
        Response::from_json(&serde_json::json!({
            "deposits": deposits, "balances": balances, "continued": continued, "timed_out": timed_out,
            "cancelled": cancelled, "first_cancel": first, "second_cancel": second, "finished": handle.is_finished(),
        }))
    }
}
