//! The durable experiment: durable calls from the controller (which is
//! `#[continuation(durable)]`, with SQLite storage) to `Tally`, whose handler records in the
//! controller's own storage which call it finished, so that duplicates and losses show after
//! a kill and a restart.
//!
//! * `GET /durable/start?n=N[&after=MS]` starts N durable calls of `Tally::bump` (of
//!   `Tally::bump_after(MS)`), each continued by `on_durable`, and answers once they are
//!   written (before any is handled);
//! * `GET /durable/hold?ms=MS` holds the controller's input gate for MS (replies wait);
//! * `GET /durable/fanin?n=N` starts N durable fan-ins, each of two `Tally::bump`s,
//!   continued by `on_durable_pair` (a handled fan-in counts once; the callee counts two);
//! * `GET /durable/slow?n=N&ms=M&timeout=T` starts N durable calls of `RemoteDo::slow(M)`
//!   with timeout T (a callee that answers after the deadline, or never within a test; any
//!   T up to `u64::MAX` ms, which call-core clamps to its `MAX_TIMEOUT`, 24 h);
//! * `GET /durable/async?n=N&ms=MS` starts N durable calls of `Tally::bump` continued by the
//!   async handler `on_durable_async`, which records the call (its part before its first
//!   `await`), waits MS, then records its part after the `await` in `durable_after`;
//! * `GET /durable/status` answers `{"started","pending","handled","duplicates","ok","dead",
//!   "callee_effects","after_await","after_await_runs"}` from storage: `started` durable
//!   calls ever written, `pending` not yet finished, `handled` distinct calls whose handler
//!   ran, `duplicates` handler runs beyond the first, `ok` handled with `Ok`, `dead` dead
//!   letters, `callee_effects` Tally's count, `after_await` distinct async handlers whose part
//!   after the `await` ran, `after_await_runs` how many times it ran;
//! * `GET /durable/results` lists each handled call's last result;
//! * `GET /durable/dead` lists the dead letters, `GET /durable/dead-clear` clears them;
//! * the durable caller's routes under adversity (a callee reset, nested typed errors,
//!   calls too large to store, corrupt rows) are in caller_routes.rs.
//!
//! `GET /batch?mode=durable&n=N` (the bench's mode) makes N durable calls of
//! `RemoteDo::echo`, handled in memory like `mode=continuation`, and answers when all are.

use std::time::Duration;

use call_core::durable::{clear_dead_letters, dead_letters, pending_calls};
use call_core::{call, CallError, CallStub, WorkerError};
use worker::*;

use crate::controller::{BatchDone, CallDelayController};
use crate::remote::RemoteDo;
use crate::tally::Tally;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS durable_handled (tag INTEGER PRIMARY KEY, ok INTEGER NOT NULL, \
    runs INTEGER NOT NULL, result TEXT NOT NULL); \
    CREATE TABLE IF NOT EXISTS durable_started (id INTEGER PRIMARY KEY CHECK (id = 0), n INTEGER NOT NULL); \
    CREATE TABLE IF NOT EXISTS durable_after (tag INTEGER PRIMARY KEY, runs INTEGER NOT NULL)";

/// Records that durable call `tag` was handled with `result` (in the turn call-core finishes
/// the call: one transaction with the call's row).
pub(crate) fn record_handled<T: serde::Serialize, E: serde::Serialize>(
    controller: &CallDelayController,
    tag: u64,
    result: &std::result::Result<T, CallError<E>>,
) {
    let sql = controller.state.storage().sql();
    let json = serde_json::to_string(result).unwrap_or_default();
    let recorded = sql.exec(SCHEMA, None).and_then(|_| {
        sql.exec(
            "INSERT INTO durable_handled (tag, ok, runs, result) VALUES (?, ?, 1, ?) ON CONFLICT (tag) DO UPDATE \
             SET runs = runs + 1, ok = excluded.ok, result = excluded.result",
            vec![(tag as i64).into(), i64::from(result.is_ok()).into(), json.into()],
        )
    });
    if let Err(e) = recorded {
        console_error!("cannot record durable call {tag}: {e}");
    }
}

/// Records that the part after the first `await` of durable call `tag`'s async handler ran.
pub(crate) fn record_after_await(controller: &CallDelayController, tag: u64) {
    let recorded = controller.state.storage().sql().exec(
        "INSERT INTO durable_after (tag, runs) VALUES (?, 1) ON CONFLICT (tag) DO UPDATE SET runs = runs + 1",
        vec![(tag as i64).into()],
    );
    if let Err(e) = recorded {
        console_error!("cannot record the second part of durable call {tag}: {e}");
    }
}

/// The results of a durable fan-in of two `Tally::bump`s.
pub(crate) type Pair =
    (std::result::Result<u64, CallError<WorkerError>>, std::result::Result<u64, CallError<WorkerError>>);

/// The tag argument of `on_durable`, whose type the "deploy" (`deploy-v2`) changes.
#[cfg(not(feature = "deploy-v2"))]
pub(crate) fn tag_arg(tag: u64) -> u64 {
    tag
}

#[cfg(feature = "deploy-v2")]
pub(crate) fn tag_arg(tag: u64) -> String {
    tag.to_string()
}

#[derive(serde::Deserialize)]
struct Count {
    n: Option<i64>,
}

impl CallDelayController {
    /// Serves `/durable/<name>`.
    pub(crate) async fn durable(&self, name: &str, param: &dyn Fn(&str) -> Option<String>) -> Result<Response> {
        let number = |key: &str, default: u64| param(key).and_then(|v| v.parse().ok()).unwrap_or(default);
        self.state.storage().sql().exec(SCHEMA, None)?;
        match name {
            "start" => self.durable_start(number("n", 100), param("after").and_then(|a| a.parse().ok())),
            "hold" => {
                // Holds this object's input gate (`blockConcurrencyWhile`) for `ms`: replies to
                // its calls are not delivered meanwhile, so its handlers cannot run.
                let ms = number("ms", 1_000);
                self.state
                    .block_concurrency_while(async move {
                        Delay::from(Duration::from_millis(ms)).await;
                        Ok::<(), Error>(())
                    })
                    .await?;
                Response::from_json(&serde_json::json!({ "held": ms }))
            }
            "slow" => self.durable_slow(number("n", 1), number("ms", 60_000) as u32, number("timeout", 1_000)),
            "fanin" => self.durable_fanin(number("n", 100)),
            "async" => self.durable_async(number("n", 10), number("ms", 1_000) as u32),
            "status" => self.durable_status().await,
            "results" => {
                let rows: Vec<serde_json::Value> = self
                    .state
                    .storage()
                    .sql()
                    .exec("SELECT tag, runs, result FROM durable_handled", None)?
                    .to_array()?;
                Response::from_json(&rows)
            }
            "dead" => Response::from_json(&serde_json::json!({
                "dead": dead_letters(self).map_err(Error::RustError)?.iter().map(|d| serde_json::json!({
                    "key": d.key, "handler": d.handler, "reason": d.reason, "args": d.args, "result": d.result,
                })).collect::<Vec<_>>(),
            })),
            "dead-clear" => {
                let cleared = clear_dead_letters(self, None).map_err(Error::RustError)?;
                Response::from_json(&serde_json::json!({ "cleared": cleared }))
            }
            _ => self.caller_route(name, param).await,
        }
    }

    /// The next `n` tags, counted in `durable_started` (one write for the batch).
    pub(crate) fn next_tags(&self, n: u64) -> Result<std::ops::Range<u64>> {
        let sql = self.state.storage().sql();
        let before: Count = sql.exec("SELECT max(n) AS n FROM durable_started", None)?.one()?;
        let first = before.n.unwrap_or(0) as u64;
        sql.exec(
            "INSERT INTO durable_started (id, n) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET n = excluded.n",
            vec![((first + n) as i64).into()],
        )?;
        Ok(first..first + n)
    }

    /// `n` durable calls of `Tally::bump` (of `Tally::bump_after(ms)` with `after`).
    fn durable_start(&self, n: u64, after: Option<u32>) -> Result<Response> {
        let tally = CallStub::by_name(&self.env, "TALLY", "tally")?;
        let tags = self.next_tags(n)?;
        for tag in tags.clone() {
            match after {
                None => call!(tally, Tally::bump(), then self.on_durable($result, tag_arg(tag)), durable),
                Some(ms) => call!(tally, Tally::bump_after(ms), then self.on_durable($result, tag_arg(tag)), durable),
            };
        }
        Response::from_json(&serde_json::json!({ "first": tags.start, "n": n }))
    }

    /// `n` durable fan-ins, each of two `Tally::bump`s, continued by `on_durable_pair`.
    fn durable_fanin(&self, n: u64) -> Result<Response> {
        let tally = CallStub::by_name(&self.env, "TALLY", "tally")?;
        let tags = self.next_tags(n)?;
        for tag in tags.clone() {
            call!(all(tally => Tally::bump(), tally => Tally::bump()), then self.on_durable_pair($result, tag), durable);
        }
        Response::from_json(&serde_json::json!({ "first": tags.start, "n": n }))
    }

    /// `n` durable calls of `Tally::bump`, each continued by the async `on_durable_async`
    /// that waits `ms` between its two parts.
    fn durable_async(&self, n: u64, ms: u32) -> Result<Response> {
        let tally = CallStub::by_name(&self.env, "TALLY", "tally")?;
        let tags = self.next_tags(n)?;
        for tag in tags.clone() {
            call!(tally, Tally::bump(), then self.on_durable_async($result, tag, ms), durable);
        }
        Response::from_json(&serde_json::json!({ "first": tags.start, "n": n }))
    }

    fn durable_slow(&self, n: u64, ms: u32, timeout: u64) -> Result<Response> {
        let remote = self.remote()?;
        let tags = self.next_tags(n)?;
        let timeout = Duration::from_millis(timeout);
        for tag in tags.clone() {
            call!(remote, RemoteDo::slow(ms), then self.on_durable_slow($result, tag), timeout = timeout, durable);
        }
        Response::from_json(&serde_json::json!({ "first": tags.start, "n": n }))
    }

    async fn durable_status(&self) -> Result<Response> {
        let sql = self.state.storage().sql();
        let one = |query: &str| -> Result<i64> { Ok(sql.exec(query, None)?.one::<Count>()?.n.unwrap_or(0)) };
        let started = one("SELECT max(n) AS n FROM durable_started")?;
        let handled = one("SELECT count(*) AS n FROM durable_handled")?;
        let duplicates = one("SELECT sum(runs - 1) AS n FROM durable_handled")?;
        let ok = one("SELECT sum(ok) AS n FROM durable_handled")?;
        let after_await = one("SELECT count(*) AS n FROM durable_after")?;
        let after_await_runs = one("SELECT sum(runs) AS n FROM durable_after")?;
        let pending = pending_calls(self).map_err(Error::RustError)?.len();
        let dead = dead_letters(self).map_err(Error::RustError)?.len();
        let tally = CallStub::by_name(&self.env, "TALLY", "tally")?;
        let effects: std::result::Result<u64, CallError<WorkerError>> = call!(tally, Tally::count()).await;
        let writes = call_core::testing::writes(self).map_err(Error::RustError)?;
        Response::from_json(&serde_json::json!({
            "started": started, "pending": pending, "handled": handled, "duplicates": duplicates, "ok": ok,
            "dead": dead, "callee_effects": effects.ok(), "writes": writes,
            "after_await": after_await, "after_await_runs": after_await_runs,
        }))
    }

    /// What call-core wrote so far to this controller's storage and to `RemoteDo`'s, for
    /// the `writes` of a `mode=durable` answer.
    pub(crate) async fn durable_writes(&self) -> Result<Wrote> {
        let caller = call_core::testing::writes(self).map_err(Error::RustError)?;
        let callee = call!(self.remote()?, RemoteDo::durable_writes())
            .await
            .map_err(|e| Error::RustError(format!("RemoteDo::durable_writes: {e}")))?;
        Ok(Wrote { caller: (caller.rows, caller.commits), callee })
    }

    /// `mode=durable`: N durable calls of `RemoteDo::echo`, handled in memory; ends when all
    /// N have been handled.
    pub(crate) async fn batch_durable(&self, n: u32) -> Result<u32> {
        let remote = self.remote()?;
        let batch = self.new_batch(n);
        for i in 0..n {
            call!(remote, RemoteDo::echo(i), then self.on_durable_echo($result, i, batch), durable);
        }
        Ok(BatchDone { controller: self, batch }.await)
    }
}

/// Rows and commits call-core wrote, as `(rows, commits)`, on each side of a durable call.
pub(crate) struct Wrote {
    caller: (u64, u64),
    callee: (u64, u64),
}

impl Wrote {
    /// What was written since `before`, as the bench reads it:
    /// `{"caller": {"rows", "commits"}, "callee": {"rows", "commits"}}`.
    pub(crate) fn since(&self, before: &Wrote) -> serde_json::Value {
        let side = |now: (u64, u64), then: (u64, u64)| serde_json::json!({ "rows": now.0 - then.0, "commits": now.1 - then.1 });
        serde_json::json!({ "caller": side(self.caller, before.caller), "callee": side(self.callee, before.callee) })
    }
}
