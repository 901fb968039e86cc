//! The callee's records of durable calls: one row per `(caller, key)` received, bound to a
//! hash of the call's plan, with the reply once the plan has ended (`NULL` while it runs),
//! kept until a minute after the call's deadline. The callee owns them: it clamps how long
//! it keeps them, caps them per caller and in total ([`Records`](super::Records)), and sweeps the expired
//! ones on arrival and from its alarm.
//!
//! ```sql
//! _call_core_records(caller, key, hash, reply NULL, expires, PRIMARY KEY (caller, key))
//! _call_core_key(id = 0, k0, k1)   -- the object's secret key of the plan hash
//! ```

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use serde::Deserialize;

use super::caps::{expiry, over_caps, records};
use super::plan_hash::HASH_LEN;
use super::store::{stored_time, Value};
use super::Durable;
use crate::error::{RemoteError, RemoteErrorKind};
use crate::runtime::log_error;
use crate::wire::{self, DurableId};

/// The largest row call-core writes (bytes of its texts): SQLite storage in workerd holds
/// rows of at most 2 MB. A durable call whose row (envelope, the handler's captured
/// arguments, …) would be larger is refused before it is sent, with `CallError::Limit`; a
/// callee's reply that is larger is not recorded: a short `Limit` marker is, and answered.
pub const MAX_ROW_BYTES: usize = 1_900_000;
/// How often expired records are swept on arrival, at most (milliseconds).
const SWEEP_EVERY: u64 = 60_000;
/// How often they are swept while the records are full, at most (milliseconds).
const SWEEP_FULL_EVERY: u64 = 1_000;
/// What a row costs beyond its texts (bytes), for the byte cap.
const ROW_OVERHEAD: u64 = 32;

/// What the records of one object use, as this instance knows it.
#[derive(Default)]
pub(crate) struct Usage {
    /// Rows and bytes (loaded on first use).
    totals: Cell<Option<(u64, u64)>>,
    /// Rows per caller (loaded per caller on first use; cleared by a sweep).
    per_caller: RefCell<HashMap<String, u64>>,
    /// Calls admitted whose row is not written yet (it is written at the object's next
    /// tick), per caller: rows and bytes. Counted in `totals` and `per_caller`, and added
    /// again when those are read back from the table (after a sweep), which does not hold
    /// them yet: else a sweep in that window would let the caps be exceeded by them.
    unwritten: RefCell<HashMap<String, (u64, u64)>>,
    /// When records were last swept.
    swept: Cell<u64>,
    /// The earliest expiry of a record, if any (for the alarm).
    next: Cell<Option<u64>>,
    /// The key of the plan hash.
    pub(super) key: Cell<Option<[u64; 2]>>,
}

/// What the records say about a durable call.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// No record: a first delivery.
    Nothing,
    /// Answered: this reply.
    Reply(String),
    /// Started and not finished (its instance ended meanwhile).
    Started,
    /// Recorded for another plan.
    Conflict,
}

/// Looks up the record of `id` for a plan of hash `hash`.
pub(crate) fn lookup(durable: &Durable, id: DurableId<'_>, hash: &str) -> Result<Found, String> {
    #[derive(Deserialize)]
    struct Row {
        hash: String,
        reply: Option<String>,
    }
    let rows = durable.sql.texts(
        "SELECT json_object('hash', hash, 'reply', reply) FROM _call_core_records WHERE caller = ? AND key = ?",
        &[Value::Text(id.caller), Value::Text(id.key)],
    )?;
    let Some(row) = rows.first() else { return Ok(Found::Nothing) };
    let row: Row = serde_json::from_str(row).map_err(|e| e.to_string())?;
    Ok(match row.reply {
        _ if row.hash != hash => Found::Conflict,
        Some(reply) => Found::Reply(reply),
        None => Found::Started,
    })
}

/// The answer to a call whose key is recorded for another plan.
pub(crate) fn conflict(id: DurableId<'_>) -> String {
    wire::reply_remote(&RemoteError::new(
        RemoteErrorKind::KeyConflict,
        format!("durable call {} of caller {} is recorded for another plan: not run", id.key, id.caller),
    ))
}

/// The answer to a re-send of a call that started and has no recorded reply.
pub(crate) fn outcome_unknown(id: DurableId<'_>) -> String {
    wire::reply_remote(&RemoteError::new(
        RemoteErrorKind::OutcomeUnknown,
        format!(
            "durable call {} started in an earlier instance of the callee, which ended before the call did: \
             it ran at least in part and is not run again",
            id.key
        ),
    ))
}

/// Admits a first delivery of `id` (deadline `deadline`) at `now`: the expiry of its
/// record, with its row counted; or the `Limit` answer that refuses it. Sweeps the expired
/// records first when it is time to, or when they are full.
pub(crate) fn admit(durable: &Durable, id: DurableId<'_>, deadline: Option<u64>, now: u64) -> Result<u64, String> {
    let limits = records();
    let expires = expiry(&limits, deadline, now).map_err(limit)?;
    let usage = &durable.callee.usage;
    if now.saturating_sub(usage.swept.get()) >= SWEEP_EVERY {
        sweep(durable, now);
    }
    let mut over = over_caps(&limits, totals(durable), caller_rows(durable, id.caller));
    if over.is_some() && now.saturating_sub(usage.swept.get()) >= SWEEP_FULL_EVERY {
        sweep(durable, now);
        over = over_caps(&limits, totals(durable), caller_rows(durable, id.caller));
    }
    if let Some(message) = over {
        return Err(limit(message));
    }
    let (rows, bytes) = totals(durable);
    usage.totals.set(Some((rows + 1, bytes + row_bytes(id, 0))));
    *usage.per_caller.borrow_mut().entry(id.caller.to_string()).or_default() += 1;
    let mut unwritten = usage.unwritten.borrow_mut();
    let pending = unwritten.entry(id.caller.to_string()).or_default();
    *pending = (pending.0 + 1, pending.1 + row_bytes(id, 0));
    Ok(expires)
}

/// The row of an admitted call is in the table now.
fn written(durable: &Durable, id: DurableId<'_>) {
    let mut unwritten = durable.callee.usage.unwritten.borrow_mut();
    if let Some(pending) = unwritten.get_mut(id.caller) {
        *pending = (pending.0.saturating_sub(1), pending.1.saturating_sub(row_bytes(id, 0)));
        if pending.0 == 0 {
            unwritten.remove(id.caller);
        }
    }
}

/// Writes the record of `id`: `reply` (`None`: started, running). The answer to give: the
/// reply, or the `Limit` marker when the reply is too large for a row.
pub(crate) fn write(
    durable: &Durable,
    id: DurableId<'_>,
    hash: &str,
    reply: Option<String>,
    expires: u64,
) -> Option<String> {
    let reply = reply.map(|reply| fit(id, reply));
    let written = durable.sql.run(
        "INSERT OR REPLACE INTO _call_core_records (caller, key, hash, reply, expires) VALUES (?, ?, ?, ?, ?)",
        &[
            Value::Text(id.caller),
            Value::Text(id.key),
            Value::Text(hash),
            reply.as_deref().map_or(Value::Null, Value::Text),
            Value::Int(stored_time(expires)),
        ],
    );
    if let Err(e) = written {
        log_error(&format!("call-core: cannot record durable call {}: {e}", id.key));
    }
    self::written(durable, id);
    grow(durable, reply.as_deref().map_or(0, str::len));
    let usage = &durable.callee.usage;
    if usage.next.get().is_none_or(|next| expires < next) {
        usage.next.set(Some(expires));
        wake_at(durable, expires);
    }
    reply
}

/// Records the reply of `id`, which started (its row says so). The answer to give.
pub(crate) fn finish(durable: &Durable, id: DurableId<'_>, reply: String) -> String {
    let reply = fit(id, reply);
    let written = durable.sql.run(
        "UPDATE _call_core_records SET reply = ? WHERE caller = ? AND key = ?",
        &[Value::Text(&reply), Value::Text(id.caller), Value::Text(id.key)],
    );
    if let Err(e) = written {
        log_error(&format!("call-core: cannot record the reply of durable call {}: {e}", id.key));
    }
    grow(durable, reply.len());
    reply
}

/// `reply`, or the marker that says the method ran and its reply is too large to record.
fn fit(id: DurableId<'_>, reply: String) -> String {
    if row_bytes(id, reply.len()) as usize <= MAX_ROW_BYTES {
        return reply;
    }
    too_large(reply.len())
}

/// The `Limit` answer for a reply of `len` bytes, too large to record (recorded instead).
pub(crate) fn too_large(len: usize) -> String {
    limit(format!(
        "the method ran; its reply of {len} bytes is too large to record (a record holds at most {MAX_ROW_BYTES} \
         bytes), so it is not sent either"
    ))
}

fn limit(message: String) -> String {
    wire::reply_remote(&RemoteError::new(RemoteErrorKind::Limit, message))
}

/// Adds `bytes` to the known total.
fn grow(durable: &Durable, bytes: usize) {
    let usage = &durable.callee.usage;
    if let Some((rows, total)) = usage.totals.get() {
        usage.totals.set(Some((rows, total + bytes as u64)));
    }
}

/// Deletes the expired records; reloads what the records use; asks for the alarm at the
/// next expiry.
pub(crate) fn sweep(durable: &Durable, now: u64) {
    let usage = &durable.callee.usage;
    usage.swept.set(now);
    let deleted = durable.sql.run("DELETE FROM _call_core_records WHERE expires < ?", &[Value::Int(stored_time(now))]);
    if let Err(e) = deleted {
        log_error(&format!("call-core: cannot sweep the durable call records: {e}"));
    }
    usage.totals.set(None);
    usage.per_caller.borrow_mut().clear();
    totals(durable);
    if let Some(next) = usage.next.get() {
        wake_at(durable, next);
    }
}

/// The rows and bytes of the records (read once, then kept).
fn totals(durable: &Durable) -> (u64, u64) {
    #[derive(Deserialize)]
    struct Totals {
        rows: u64,
        bytes: u64,
        next: Option<u64>,
    }
    let usage = &durable.callee.usage;
    if let Some(totals) = usage.totals.get() {
        return totals;
    }
    // No bound number in the arithmetic: workerd binds a JavaScript number as a REAL, and
    // the sum would come back as `1.0e5`, which is no `u64`.
    let read = durable.sql.texts(
        &format!(
            "SELECT json_object('rows', count(*), 'bytes', ifnull(sum(length(CAST(caller AS BLOB)) + \
             length(CAST(key AS BLOB)) + length(CAST(hash AS BLOB)) + ifnull(length(CAST(reply AS BLOB)), 0)), 0) + \
             count(*) * {ROW_OVERHEAD}, 'next', CAST(min(expires) AS INTEGER)) FROM _call_core_records"
        ),
        &[],
    );
    let read = read.and_then(|rows| {
        serde_json::from_str::<Totals>(rows.first().map_or("", String::as_str)).map_err(|e| e.to_string())
    });
    match read {
        Ok(t) => {
            let (rows, bytes) =
                usage.unwritten.borrow().values().fold((t.rows, t.bytes), |a, p| (a.0 + p.0, a.1 + p.1));
            usage.totals.set(Some((rows, bytes)));
            usage.next.set(t.next);
            (rows, bytes)
        }
        Err(e) => {
            log_error(&format!("call-core: cannot read the size of the durable call records: {e}"));
            (0, 0)
        }
    }
}

/// The records of `caller` (read once, then kept).
fn caller_rows(durable: &Durable, caller: &str) -> u64 {
    if let Some(&n) = durable.callee.usage.per_caller.borrow().get(caller) {
        return n;
    }
    let n = durable
        .sql
        .texts("SELECT CAST(count(*) AS TEXT) FROM _call_core_records WHERE caller = ?", &[Value::Text(caller)])
        .ok()
        .and_then(|rows| rows.first().and_then(|n| n.parse::<u64>().ok()))
        .unwrap_or(0);
    let n = n + durable.callee.usage.unwritten.borrow().get(caller).map_or(0, |p| p.0);
    durable.callee.usage.per_caller.borrow_mut().insert(caller.to_string(), n);
    n
}

/// The earliest expiry of a record, for the object's alarm.
pub(crate) fn next_expiry(durable: &Durable) -> Option<u64> {
    durable.callee.usage.next.get()
}

/// Asks for the alarm at `at`, if the object's alarm reaches call-core (a durable caller's:
/// see [`alarm`](super::alarm)); a callee that makes no durable calls sweeps on arrival.
fn wake_at(durable: &Durable, at: u64) {
    if durable.alarm_entry {
        super::alarm::arm(durable, at.saturating_add(1));
    }
}

fn row_bytes(id: DurableId<'_>, reply: usize) -> u64 {
    (id.caller.len() + id.key.len() + HASH_LEN + reply) as u64 + ROW_OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_too_large_for_a_row_becomes_a_limit_marker() {
        let id = DurableId { caller: "c", key: "k" };
        assert_eq!(fit(id, "{\"ok\":1}".into()), "{\"ok\":1}");
        let big = format!("{{\"ok\":\"{}\"}}", "x".repeat(MAX_ROW_BYTES));
        let marker = fit(id, big.clone());
        assert!(marker.len() < 400, "{marker}");
        let decoded: Result<(), crate::CallError> = wire::decode_reply(&marker);
        let Err(crate::CallError::Remote(e)) = decoded else { panic!("{decoded:?}") };
        assert_eq!(e.kind, RemoteErrorKind::Limit);
        assert!(e.message.contains("the method ran"), "{}", e.message);
        assert!(e.message.contains(&big.len().to_string()), "{}", e.message);
    }
}
