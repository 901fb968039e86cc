//! What a durable object can be asked about its durable calls: the pending ones, the dead
//! letters (stored continuations this build could not run), what call-core wrote.

use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::store::{Sql, Value, Writes};
use super::Durable;

/// A pending durable call, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PendingCall {
    /// Its key.
    pub key: String,
    /// The callee's namespace binding.
    pub binding: String,
    /// The callee: its name, or its id when `by_id`.
    pub object: String,
    /// Whether `object` is an id.
    pub by_id: bool,
    /// The handler's id.
    pub handler: String,
    /// Its deadline (milliseconds since the epoch).
    pub deadline: u64,
    /// How often recovery has sent it again.
    pub attempt: u32,
    /// When it was made (milliseconds since the epoch).
    pub created: u64,
}

/// A stored continuation that this build could not run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeadLetter {
    /// The call's key.
    pub key: String,
    /// The handler id it named.
    pub handler: String,
    /// Its stored arguments (JSON), the result in place when it had arrived.
    pub args: String,
    /// The reply it had received (JSON), if any.
    pub result: Option<String>,
    /// Why it could not run.
    pub reason: String,
    /// When it was moved here (milliseconds since the epoch).
    pub at: u64,
}

fn durable_of<S: 'static>(this: &S) -> Result<Rc<Durable>, String> {
    Durable::of_object(this)
        .ok_or_else(|| "this object has no durable state (not bound, or no SQLite storage)".to_string())
}

/// The rows `query` answers that decode; one that does not (written by another build, or
/// with a deadline that is not a time) is logged and left out, never failing the others:
/// recovery moves such a call to the dead letters.
fn rows<T: DeserializeOwned>(sql: &Sql, query: &str) -> Result<Vec<T>, String> {
    let rows = sql.texts(query, &[])?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            serde_json::from_str(row)
                .map_err(|e| {
                    crate::runtime::log_error(&format!("call-core: a stored row does not decode ({e}): {row}"))
                })
                .ok()
        })
        .collect())
}

/// The durable calls of `this` that have not finished (a stored call that no longer
/// decodes is left out; recovery moves it to the dead letters).
pub fn pending_calls<S: 'static>(this: &S) -> Result<Vec<PendingCall>, String> {
    rows(
        &durable_of(this)?.sql,
        "SELECT json_object('key', key, 'binding', binding, 'object', object, 'by_id', json(CASE by_id WHEN 1 \
         THEN 'true' ELSE 'false' END), 'handler', handler, 'deadline', deadline, 'attempt', attempt, 'created', \
         created) FROM _call_core_calls ORDER BY created",
    )
}

/// What call-core wrote to `this`'s storage since it started (rows, and commits: turns with
/// writes), for the figures of the bench.
pub fn writes<S: 'static>(this: &S) -> Result<Writes, String> {
    Ok(durable_of(this)?.sql.writes())
}

/// The dead letters of `this`: stored continuations that this build could not run.
pub fn dead_letters<S: 'static>(this: &S) -> Result<Vec<DeadLetter>, String> {
    rows(
        &durable_of(this)?.sql,
        "SELECT json_object('key', key, 'handler', handler, 'args', args, 'result', result, 'reason', reason, \
         'at', at) FROM _call_core_dead ORDER BY at",
    )
}

/// Deletes the dead letters of `this` with these keys (all when `keys` is `None`); how
/// many were deleted.
pub fn clear_dead_letters<S: 'static>(this: &S, keys: Option<&[String]>) -> Result<u64, String> {
    let durable = durable_of(this)?;
    match keys {
        None => durable.sql.run("DELETE FROM _call_core_dead", &[]),
        Some(keys) => {
            let mut deleted = 0;
            for key in keys {
                deleted += durable.sql.run("DELETE FROM _call_core_dead WHERE key = ?", &[Value::Text(key)])?;
            }
            Ok(deleted)
        }
    }
}
