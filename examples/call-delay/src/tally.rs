//! The callee of the durable experiment: a counter in SQLite storage. Every effect of its
//! methods is one count (`callee_effects` of `/durable/status`). `bump` is a sync method, so
//! its write and call-core's record of its reply commit together: a retried durable call is
//! answered from the record and never counted twice. `write_then_wait` counts, then awaits:
//! its write commits with call-core's record of the call's arrival, so a re-send after a
//! kill during the wait is answered `OutcomeUnknown` and never counted twice either.
//!
//! `#[continuation(durable)]` although it makes no durable calls: the object's alarm then
//! reaches call-core, which sweeps expired records from it (see callee_routes.rs for the
//! routes that look at the records).

use call_core::continuation;
use worker::*;

/// Counts the calls it received, in its SQLite storage.
#[durable_object]
pub struct Tally {
    pub(crate) state: State,
}

impl DurableObject for Tally {
    fn new(state: State, _env: Env) -> Self {
        let _ =
            state.storage().sql().exec("CREATE TABLE IF NOT EXISTS tally (id INTEGER PRIMARY KEY, n INTEGER)", None);
        let _ = state.storage().sql().exec("INSERT OR IGNORE INTO tally (id, n) VALUES (0, 0)", None);
        Self { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        if let Some(answer) = crate::callee_routes::tally_fetch(self, &req)? {
            return Ok(answer);
        }
        if req.path() == "/tally-reset" {
            crate::resets::abort_soon(&self.state, "reset by /tally-reset")?;
            return Response::from_json(&serde_json::json!({ "abort": "scheduled" }));
        }
        Response::from_json(&serde_json::json!({ "count": self.count()? }))
    }
}

#[continuation(durable)]
impl Tally {
    /// Counts one call; answers the new count.
    #[callable]
    fn bump(&self) -> Result<u64> {
        self.state.storage().sql().exec("UPDATE tally SET n = n + 1 WHERE id = 0", None)?;
        self.count()
    }

    /// Counts one call after `ms` milliseconds (a callee that is still running when workerd
    /// is killed). Its write and the record of its reply still happen in one turn, after
    /// the wait.
    #[callable]
    async fn bump_after(&self, ms: u32) -> Result<u64> {
        Delay::from(std::time::Duration::from_millis(u64::from(ms))).await;
        self.bump()
    }

    /// Counts one call now, then waits `ms` milliseconds (a callee killed while it awaits,
    /// after its effect): answers the count after its write.
    #[callable]
    async fn write_then_wait(&self, ms: u32) -> Result<u64> {
        let count = self.bump()?;
        Delay::from(std::time::Duration::from_millis(u64::from(ms))).await;
        Ok(count)
    }

    /// Counts one call and answers `bytes` bytes of text (a reply too large to record).
    #[callable]
    fn big(&self, bytes: u32) -> Result<String> {
        self.bump()?;
        Ok("x".repeat(bytes as usize))
    }

    /// The count.
    #[callable]
    fn count(&self) -> Result<u64> {
        #[derive(serde::Deserialize)]
        struct Row {
            n: u64,
        }
        let row: Row = self.state.storage().sql().exec("SELECT n FROM tally WHERE id = 0", None)?.one()?;
        Ok(row.n)
    }
}
