//! Routes that drive the callee's side of durable calls from outside (issue 18's tests):
//!
//! * `GET /durable/write-then-wait?c=NAME&n=N&ms=MS`: controller NAME starts N durable calls
//!   of `Tally::write_then_wait(MS)` (counts, then awaits MS), continued by `on_durable`;
//! * `GET /durable/raw?caller=C&key=K&n=N&method=M&args=A&dl=OFFSET|dl_at=MS`: posts
//!   hand-written durable envelopes to Tally's `__call`, as another (or a hostile) caller
//!   would: caller id C, key K (with N > 1, keys `K-0` … `K-(N-1)`), method `Tally::M`
//!   (default `count`) with arguments A (a JSON array, default `[]`), deadline `dl_at`
//!   (milliseconds since the epoch) or now + OFFSET (default 30,000; may be negative).
//!   Answers `{"dl", "replies": {KIND: count}, "first": {KIND: reply}}`, KIND being `ok`,
//!   `app`, a remote error's kind, or `transport`;
//! * `GET /tally-records`: `{"rows", "bytes", "started"}` of Tally's records (`started`:
//!   rows whose reply is not recorded);
//! * `GET /tally-limit?rows=&per_caller=&bytes=&keep_ms=&tick_ms=`: sets the isolate's
//!   [`Records`](call_core::durable::Records) (the defaults for what is not given), and
//!   delays the objects' group-commit tick by `tick_ms` (default 0), which holds admitted
//!   calls before their records are written.

use std::collections::BTreeMap;

use call_core::durable::{set_records, Records};
use call_core::{call, CallStub, Transport};
use worker::*;

use crate::controller::CallDelayController;
use crate::durable::tag_arg;
use crate::tally::Tally;

impl CallDelayController {
    /// Serves the `/durable/<name>` routes of this module.
    pub(crate) async fn callee_route(&self, name: &str, param: &dyn Fn(&str) -> Option<String>) -> Result<Response> {
        let number = |key: &str, default: i64| param(key).and_then(|v| v.parse().ok()).unwrap_or(default);
        match name {
            "write-then-wait" => {
                let tally = CallStub::by_name(&self.env, "TALLY", "tally")?;
                let ms = number("ms", 1_000) as u32;
                let tags = self.next_tags(number("n", 10) as u64)?;
                for tag in tags.clone() {
                    call!(tally, Tally::write_then_wait(ms), then self.on_durable($result, tag_arg(tag)), durable);
                }
                Response::from_json(&serde_json::json!({ "first": tags.start, "n": tags.end - tags.start }))
            }
            "raw" => {
                let dl = match param("dl_at").and_then(|v| v.parse::<u64>().ok()) {
                    Some(at) => at,
                    None => (Date::now().as_millis() as i64 + number("dl", 30_000)).max(0) as u64,
                };
                let method = param("method").unwrap_or_else(|| "count".into());
                let envelope = Raw {
                    caller: param("caller").unwrap_or_else(|| "hostile".into()),
                    key: param("key").unwrap_or_else(|| "k".into()),
                    method: method_id(&method)?,
                    args: param("args").unwrap_or_else(|| "[]".into()),
                    dl,
                };
                let (replies, first) =
                    envelope.send(&CallStub::by_name(&self.env, "TALLY", "tally")?, number("n", 1)).await;
                Response::from_json(&serde_json::json!({ "dl": dl, "replies": replies, "first": first }))
            }
            _ => Response::error("unknown durable endpoint", 404),
        }
    }
}

/// The id of `Tally`'s callable method `name`.
fn method_id(name: &str) -> Result<&'static str> {
    let prefix = format!("Tally::{name}#");
    call_core::dispatch::methods::<Tally>()
        .iter()
        .copied()
        .find(|m| m.starts_with(&prefix))
        .ok_or_else(|| Error::RustError(format!("Tally has no callable method `{name}`")))
}

/// A hand-written durable envelope.
struct Raw {
    caller: String,
    key: String,
    method: &'static str,
    args: String,
    dl: u64,
}

impl Raw {
    fn text(&self, key: &str) -> String {
        let args: Box<serde_json::value::RawValue> = serde_json::value::RawValue::from_string(self.args.clone())
            .unwrap_or_else(|_| serde_json::value::RawValue::from_string("[]".into()).expect("[] is JSON"));
        serde_json::json!({
            "v": 1, "id": 1, "dl": self.dl, "d": { "c": self.caller, "k": key },
            "p": [{ "m": self.method, "a": args }],
        })
        .to_string()
    }

    /// Sends `n` envelopes (keys `key-i` when `n > 1`), 500 at a time; the count of each
    /// kind of reply, and the first reply of each kind.
    async fn send(&self, tally: &CallStub, n: i64) -> (BTreeMap<String, u64>, BTreeMap<String, serde_json::Value>) {
        let (mut counts, mut first) = (BTreeMap::new(), BTreeMap::new());
        let keys: Vec<String> =
            if n <= 1 { vec![self.key.clone()] } else { (0..n).map(|i| format!("{}-{i}", self.key)).collect() };
        for chunk in keys.chunks(500) {
            let sent: Vec<_> = chunk.iter().map(|key| tally.send(&self.text(key))).collect();
            for reply in sent {
                let (kind, reply) = match reply.await {
                    Ok(text) => {
                        let reply: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                        (kind_of(&reply), reply)
                    }
                    Err(e) => ("transport".to_string(), serde_json::json!(e.to_string())),
                };
                *counts.entry(kind.clone()).or_default() += 1;
                first.entry(kind).or_insert(reply);
            }
        }
        (counts, first)
    }
}

/// `ok`, `app`, `step`, or a remote error's kind.
fn kind_of(reply: &serde_json::Value) -> String {
    if reply.get("ok").is_some() {
        return "ok".into();
    }
    let err = &reply["err"];
    match err["remote"]["kind"].as_str() {
        Some(kind) => kind.into(),
        None if err.get("app").is_some() => "app".into(),
        None => "other".into(),
    }
}

/// Routes `/tally-*` to the Tally object.
pub(crate) async fn tally(env: &Env, req: Request) -> Result<Response> {
    env.durable_object("TALLY")?.get_by_name("tally")?.fetch_with_request(req).await
}

/// Tally's `/tally-*` routes; `None` for its other requests.
pub(crate) fn tally_fetch(tally: &Tally, req: &Request) -> Result<Option<Response>> {
    let url = req.url()?;
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).and_then(|(_, v)| v.parse::<u64>().ok());
    match url.path() {
        "/tally-records" => {
            #[derive(serde::Deserialize, serde::Serialize)]
            struct Usage {
                rows: u64,
                bytes: Option<u64>,
                started: Option<u64>,
            }
            let usage: Usage = tally
                .state
                .storage()
                .sql()
                .exec(
                    "SELECT count(*) AS rows, sum(length(CAST(caller AS BLOB)) + length(CAST(key AS BLOB)) + \
                     length(hash) + ifnull(length(CAST(reply AS BLOB)), 0)) AS bytes, \
                     sum(reply IS NULL) AS started FROM _call_core_records",
                    None,
                )?
                .one()?;
            Ok(Some(Response::from_json(&usage)?))
        }
        "/tally-limit" => {
            let defaults = Records::default();
            let records = Records {
                max_rows: param("rows").unwrap_or(defaults.max_rows),
                max_rows_per_caller: param("per_caller").unwrap_or(defaults.max_rows_per_caller),
                max_bytes: param("bytes").unwrap_or(defaults.max_bytes),
                max_keep: param("keep_ms").map_or(defaults.max_keep, std::time::Duration::from_millis),
            };
            set_records(records);
            // Held between arrival and write (the object's group-commit tick), for the caps test.
            call_core::testing::set_tick_delay(u32::try_from(param("tick_ms").unwrap_or(0)).unwrap_or(u32::MAX));
            Ok(Some(Response::from_json(&serde_json::json!({
                "rows": records.max_rows, "per_caller": records.max_rows_per_caller,
                "bytes": records.max_bytes, "keep_ms": records.max_keep.as_millis() as u64,
            }))?))
        }
        _ => Ok(None),
    }
}
