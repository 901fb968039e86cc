//! The callee's records of durable calls: one row per `(caller, key)` received, bound to a
//! hash of the call's plan, with the reply once the plan has ended (`NULL` while it runs),
//! kept until a minute after the call's deadline. The callee owns them: it clamps how long
//! it keeps them, caps them per caller and in total ([`Records`]), and sweeps the expired
//! ones on arrival and from its alarm.
//!
//! ```sql
//! _call_core_records(caller, key, hash, reply NULL, expires, PRIMARY KEY (caller, key))
//! _call_core_key(id = 0, k0, k1)   -- the object's secret key of the plan hash
//! ```

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

use super::store::{stored_time, Value};
use super::Durable;
use crate::error::{RemoteError, RemoteErrorKind};
use crate::runtime::log_error;
use crate::wire::{self, DurableId, Envelope};

/// The largest record row (bytes of its texts): SQLite storage in workerd holds rows of at
/// most 2 MB. A larger reply is not recorded; a short `Limit` marker is, and answered.
pub const MAX_ROW_BYTES: usize = 1_900_000;
/// How long after a call's deadline its record is kept (milliseconds): a re-send that left
/// the caller before the deadline may arrive after it.
const KEEP_AFTER_DEADLINE: u64 = 60_000;
/// How often expired records are swept on arrival, at most (milliseconds).
const SWEEP_EVERY: u64 = 60_000;
/// How often they are swept while the records are full, at most (milliseconds).
const SWEEP_FULL_EVERY: u64 = 1_000;
/// What a row costs beyond its texts (bytes), for the byte cap.
const ROW_OVERHEAD: u64 = 32;

/// The resources a callee gives to its records of durable calls (per isolate; see
/// [`set_records`]). A call that would exceed them, after a sweep of the expired records,
/// is refused before it runs with [`RemoteErrorKind::Limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Records {
    /// Most records in one object (default 100,000).
    pub max_rows: u64,
    /// Most records of one caller id in one object (default 20,000).
    pub max_rows_per_caller: u64,
    /// Most bytes of records in one object (default 128 MiB).
    pub max_bytes: u64,
    /// The furthest deadline a call may have: a record is kept until a minute after its
    /// call's deadline, so a call whose deadline is further away is refused (default 24 h).
    pub max_keep: Duration,
}

impl Default for Records {
    fn default() -> Self {
        Records {
            max_rows: 100_000,
            max_rows_per_caller: 20_000,
            max_bytes: 128 << 20,
            max_keep: Duration::from_secs(24 * 3600),
        }
    }
}

thread_local! {
    static RECORDS: Cell<Records> = Cell::new(Records::default());
}

/// Sets the resources of the records of every callee in this isolate (call it from a
/// Durable Object's constructor, or the Worker's start). Records already kept stay.
pub fn set_records(records: Records) {
    RECORDS.with(|r| r.set(records));
}

/// The resources of the records of the callees in this isolate.
pub fn records() -> Records {
    RECORDS.with(Cell::get)
}

/// What the records of one object use, as this instance knows it.
#[derive(Default)]
pub(crate) struct Usage {
    /// Rows and bytes (loaded on first use).
    totals: Cell<Option<(u64, u64)>>,
    /// Rows per caller (loaded per caller on first use; cleared by a sweep).
    per_caller: RefCell<HashMap<String, u64>>,
    /// When records were last swept.
    swept: Cell<u64>,
    /// The earliest expiry of a record, if any (for the alarm).
    next: Cell<Option<u64>>,
    /// The key of the plan hash.
    key: Cell<Option<[u64; 2]>>,
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
    Ok(expires)
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
            usage.totals.set(Some((t.rows, t.bytes)));
            usage.next.set(t.next);
            (t.rows, t.bytes)
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
        .and_then(|rows| rows.first().and_then(|n| n.parse().ok()))
        .unwrap_or(0);
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

/// The expiry of the record of a call with `deadline`, received at `now`; or why it is
/// refused (its deadline is beyond what the callee keeps records for).
fn expiry(limits: &Records, deadline: Option<u64>, now: u64) -> Result<u64, String> {
    let keep = u64::try_from(limits.max_keep.as_millis()).unwrap_or(u64::MAX);
    let furthest = now.saturating_add(keep);
    match deadline {
        Some(deadline) if deadline > furthest => Err(format!(
            "the call's deadline is {} ms away; this callee keeps the records of durable calls for at most {keep} ms",
            deadline - now
        )),
        Some(deadline) => Ok(deadline.saturating_add(KEEP_AFTER_DEADLINE)),
        None => Ok(furthest.saturating_add(KEEP_AFTER_DEADLINE)),
    }
}

/// Why one more record would exceed `limits`, given the records' rows and bytes and the
/// caller's rows.
fn over_caps(limits: &Records, (rows, bytes): (u64, u64), caller_rows: u64) -> Option<String> {
    if caller_rows >= limits.max_rows_per_caller {
        return Some(format!(
            "this caller has {caller_rows} durable calls recorded here, the most a callee keeps per caller"
        ));
    }
    if rows >= limits.max_rows {
        return Some(format!("{rows} durable calls are recorded here, the most this callee keeps"));
    }
    if bytes >= limits.max_bytes {
        return Some(format!("the records of durable calls here hold {bytes} bytes, the most this callee keeps"));
    }
    None
}

fn row_bytes(id: DurableId<'_>, reply: usize) -> u64 {
    (id.caller.len() + id.key.len() + HASH_LEN + reply) as u64 + ROW_OVERHEAD
}

/// Length of a plan hash (hex digits).
const HASH_LEN: usize = 32;

/// The hash of `env`'s plan (its method ids, arguments and references; not its call id nor
/// deadline), under the object's secret key.
pub(crate) fn hash(durable: &Durable, env: &Envelope<'_>) -> String {
    plan_hash(key(durable), env)
}

/// The hash of `env`'s plan under `key`: 128 bits of SipHash, as hex.
#[allow(deprecated)] // `SipHasher`: std's keyed SipHash-2-4, deprecated only for hash maps.
pub(crate) fn plan_hash(key: [u64; 2], env: &Envelope<'_>) -> String {
    use std::hash::{Hasher, SipHasher};
    let mut out = String::with_capacity(HASH_LEN);
    for (k0, k1) in [(key[0], key[1]), (key[1] ^ 0x6d65_7468_6f64_7321, key[0].rotate_left(17))] {
        let mut h = SipHasher::new_with_keys(k0, k1);
        h.write_usize(env.p.len());
        for step in &env.p {
            for text in [&*step.method, &*step.args] {
                h.write_usize(text.len());
                h.write(text.as_bytes());
            }
            h.write_usize(step.refs.len());
            for &(arg, from) in &step.refs {
                h.write_u32(arg);
                h.write_u32(from);
            }
        }
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// The object's secret key of the plan hash (made once, kept in its storage).
fn key(durable: &Durable) -> [u64; 2] {
    let usage = &durable.callee.usage;
    if let Some(key) = usage.key.get() {
        return key;
    }
    let stored = durable.sql.texts("SELECT k0 || ' ' || k1 FROM _call_core_key WHERE id = 0", &[]).ok();
    let parsed = stored.as_ref().and_then(|rows| rows.first()).and_then(|t| {
        let (a, b) = t.split_once(' ')?;
        Some([a.parse().ok()?, b.parse().ok()?])
    });
    let key = parsed.unwrap_or_else(|| {
        let key = [random_u64(), random_u64()];
        let _ = durable.sql.run(
            "INSERT OR REPLACE INTO _call_core_key (id, k0, k1) VALUES (0, ?, ?)",
            &[Value::Text(&key[0].to_string()), Value::Text(&key[1].to_string())],
        );
        key
    });
    usage.key.set(Some(key));
    key
}

fn random_u64() -> u64 {
    #[cfg(target_arch = "wasm32")]
    let half = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
    #[cfg(not(target_arch = "wasm32"))]
    let half = || 0u64;
    (half() << 32) | half()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{decode_envelope, Limits};

    fn env(text: &str) -> Envelope<'_> {
        decode_envelope(text, &Limits::DEFAULT).unwrap()
    }

    #[test]
    fn the_plan_hash_binds_methods_arguments_and_references_not_the_deadline() {
        let key = [1, 2];
        let a = r#"{"v":1,"id":1,"dl":100,"d":{"c":"x","k":"1"},"p":[{"m":"T::bump#1","a":[]}]}"#;
        let same = r#"{"v":1,"id":9,"dl":999,"d":{"c":"y","k":"2"},"p":[{"m":"T::bump#1","a":[]}]}"#;
        let method = r#"{"v":1,"id":1,"dl":100,"p":[{"m":"T::count#1","a":[]}]}"#;
        let args = r#"{"v":1,"id":1,"dl":100,"p":[{"m":"T::bump#1","a":[1]}]}"#;
        let refs1 = r#"{"v":1,"id":1,"dl":1,"p":[{"m":"T::a#1","a":[1]},{"m":"T::a#1","a":[null,2],"r":[[0,0]]}]}"#;
        let refs2 = r#"{"v":1,"id":1,"dl":1,"p":[{"m":"T::a#1","a":[1]},{"m":"T::a#1","a":[null,2],"r":[[1,0]]}]}"#;
        let h = |t| plan_hash(key, &env(t));
        assert_eq!(h(a), h(same));
        assert_eq!(h(a).len(), HASH_LEN);
        for other in [method, args] {
            assert_ne!(h(a), h(other));
        }
        assert_ne!(h(refs1), h(refs2));
        // Split points do not collide: ("ab", "c") and ("a", "bc").
        let s1 = r#"{"v":1,"id":1,"dl":1,"p":[{"m":"ab","a":["c"]}]}"#;
        let s2 = r#"{"v":1,"id":1,"dl":1,"p":[{"m":"a","a":["bc"]}]}"#;
        assert_ne!(h(s1), h(s2));
        // Another object's key gives another hash.
        assert_ne!(plan_hash([3, 4], &env(a)), h(a));
    }

    #[test]
    fn records_are_kept_a_minute_past_the_deadline_within_the_keep() {
        let limits = Records { max_keep: Duration::from_secs(10), ..Records::default() };
        assert_eq!(expiry(&limits, Some(5_000), 1_000), Ok(65_000));
        assert_eq!(expiry(&limits, Some(11_000), 1_000), Ok(71_000));
        assert!(expiry(&limits, Some(11_001), 1_000).unwrap_err().contains("at most 10000 ms"));
        assert!(expiry(&limits, Some(u64::MAX), 1_000).is_err());
        // A passed deadline (a late re-send of a recorded call is answered before this).
        assert_eq!(expiry(&limits, Some(0), 1_000), Ok(60_000));
        assert_eq!(expiry(&limits, None, 1_000), Ok(71_000));
        let forever = Records { max_keep: Duration::MAX, ..Records::default() };
        assert_eq!(expiry(&forever, Some(u64::MAX), u64::MAX - 5), Ok(u64::MAX));
    }

    #[test]
    fn caps_bound_rows_per_caller_rows_and_bytes() {
        let limits = Records { max_rows: 10, max_rows_per_caller: 3, max_bytes: 1_000, ..Records::default() };
        assert_eq!(over_caps(&limits, (0, 0), 0), None);
        assert_eq!(over_caps(&limits, (9, 999), 2), None);
        assert!(over_caps(&limits, (9, 999), 3).unwrap().contains("per caller"));
        assert!(over_caps(&limits, (10, 0), 0).unwrap().contains("10 durable calls"));
        assert!(over_caps(&limits, (1, 1_000), 0).unwrap().contains("1000 bytes"));
        assert_eq!(Records::default().max_rows, 100_000);
        assert_eq!(Records::default().max_rows_per_caller, 20_000);
        assert_eq!(Records::default().max_bytes, 128 << 20);
        assert_eq!(Records::default().max_keep, Duration::from_secs(86_400));
    }

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

    #[test]
    fn set_records_is_per_isolate() {
        let small = Records { max_rows: 5, ..Records::default() };
        set_records(small);
        assert_eq!(records(), small);
        set_records(Records::default());
    }
}
