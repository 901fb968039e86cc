//! The object's own alarm beside call-core's: `Alarmed` makes durable calls (so call-core
//! shares its one alarm with it) and has an `alarm()` of its own that records each run in
//! its storage and throws on its first runs. `JsAlarmed` (js/alarmed.mjs) is the same in
//! plain JavaScript, the control: what the platform does with an alarm that throws.
//!
//! * `GET /tally-alarm?c=NAME&ms=MS[&fail=F][&js=1]` arms the object's own alarm MS from now
//!   (its first F runs throw; default 1) and answers `{"at"}`;
//! * `GET /tally-alarm-runs?c=NAME[&js=1]` answers `{"runs","alarm"}`: how many times its
//!   `alarm()` ran (also those that threw) and what `getAlarm()` says.

use call_core::{call, continuation, CallError, CallStub, WorkerError};
use worker::*;

use crate::tally::Tally;

/// Serves `/tally-alarm*` on the object `?c=NAME` (of `JsAlarmed` with `js=1`).
pub(crate) async fn route(req: Request, env: &Env, url: &Url) -> Result<Response> {
    let binding = if crate::param(url, "js").is_some() { "JS_ALARMED" } else { "ALARMED" };
    env.durable_object(binding)?.get_by_name(&crate::controller(url))?.fetch_with_request(req).await
}

/// A durable caller with an alarm of its own.
#[durable_object]
pub struct Alarmed {
    state: State,
    env: Env,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS alarm_runs (run INTEGER PRIMARY KEY, at INTEGER NOT NULL); \
    CREATE TABLE IF NOT EXISTS alarm_fail (id INTEGER PRIMARY KEY CHECK (id = 0), n INTEGER NOT NULL)";

#[derive(serde::Deserialize)]
struct Count {
    n: Option<i64>,
}

impl DurableObject for Alarmed {
    fn new(state: State, env: Env) -> Self {
        let _ = state.storage().sql().exec(SCHEMA, None);
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let number = |key: &str, default: i64| crate::param(&url, key).and_then(|v| v.parse().ok()).unwrap_or(default);
        let sql = self.state.storage().sql();
        match url.path() {
            "/tally-alarm" => {
                sql.exec(
                    "INSERT INTO alarm_fail (id, n) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET n = excluded.n",
                    vec![number("fail", 1).into()],
                )?;
                // A durable call beside it: call-core wants the alarm too.
                if crate::param(&url, "call").is_some() {
                    let tally = CallStub::by_name(&self.env, "TALLY", "tally")?;
                    call!(tally, Tally::bump(), then self.on_bump($result), durable);
                }
                self.state.storage().set_alarm(number("ms", 1_000)).await?;
                Response::from_json(&serde_json::json!({ "at": self.state.storage().get_alarm().await? }))
            }
            "/tally-alarm-runs" => Response::from_json(&serde_json::json!({
                "runs": self.runs()?,
                "alarm": self.state.storage().get_alarm().await?,
            })),
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let sql = self.state.storage().sql();
        sql.exec("INSERT INTO alarm_runs (at) VALUES (?)", vec![(Date::now().as_millis() as i64).into()])?;
        let runs = self.runs()?;
        let fail: Count = sql.exec("SELECT max(n) AS n FROM alarm_fail", None)?.one()?;
        if runs <= fail.n.unwrap_or(0) {
            return Err(Error::RustError(format!("Alarmed: run {runs} of the alarm throws, on purpose")));
        }
        Response::ok("ran")
    }
}

impl Alarmed {
    fn runs(&self) -> Result<i64> {
        let count: Count = self.state.storage().sql().exec("SELECT count(*) AS n FROM alarm_runs", None)?.one()?;
        Ok(count.n.unwrap_or(0))
    }
}

#[continuation(durable)]
impl Alarmed {
    /// The durable call beside the alarm ended.
    #[handler]
    pub fn on_bump(&self, result: std::result::Result<u64, CallError<WorkerError>>) {
        if let Err(e) = result {
            console_error!("Alarmed: the durable call beside the alarm failed: {e}");
        }
    }
}
