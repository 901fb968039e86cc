//! Finishing a durable call: its row deleted in the turn its handler runs (so that the two
//! commit together), or the call kept as a dead letter when its continuation cannot run.

use std::rc::Rc;

use super::store::{stored_time, Value};
use super::{Durable, FAN};
use crate::home::Finish;
use crate::runtime::{log_error, now_ms};

/// Finishes a durable call in the turn its handler runs; keeps what a dead letter needs.
pub(super) struct Finishing {
    durable: Rc<Durable>,
    key: String,
    handler: String,
    args: String,
}

impl Finishing {
    /// Finishes call `key`, whose handler `handler` has the stored arguments `args`.
    pub(super) fn boxed(durable: Rc<Durable>, key: String, handler: &str, args: String) -> Box<dyn Finish> {
        Box::new(Finishing { durable, key, handler: handler.to_string(), args })
    }
}

impl Finish for Finishing {
    fn key(&self) -> &str {
        &self.key
    }

    fn start(&self) -> bool {
        self.durable.finish(&self.key)
    }

    fn panicked(&self, reason: &str) {
        dead_letter(&self.durable, &self.key, &self.handler, &self.args, None, reason);
    }
}

/// Keeps durable call `key` as a dead letter (its handler id, stored arguments and result
/// when known, and why), in this turn; whether it was stored.
pub(super) fn dead_letter(
    durable: &Durable,
    key: &str,
    handler: &str,
    args: &str,
    result: Option<&str>,
    reason: &str,
) -> bool {
    let result = result.map_or(Value::Null, Value::Text);
    let moved = durable.sql.run(
        "INSERT OR REPLACE INTO _call_core_dead (key, handler, args, result, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
        &[
            Value::Text(key),
            Value::Text(handler),
            Value::Text(args),
            result,
            Value::Text(reason),
            Value::Int(stored_time(now_ms())),
        ],
    );
    if let Err(e) = &moved {
        log_error(&format!("call-core: durable call {key}: cannot store the dead letter: {e}"));
    }
    moved.is_ok()
}

impl Durable {
    /// Marks durable call `key` finished (deleting its row, in this turn); false when it
    /// was finished already (another delivery of the same call came first).
    pub(super) fn finish(&self, key: &str) -> bool {
        self.in_flight.borrow_mut().remove(key);
        let deleted = if key.starts_with(FAN) {
            // A fan-in: its row, and its members'.
            let members = self.sql.run("DELETE FROM _call_core_calls WHERE fan = ?", &[Value::Text(key)]);
            let fan = self.sql.run("DELETE FROM _call_core_fans WHERE key = ?", &[Value::Text(key)]);
            members.and(fan)
        } else {
            self.sql.run("DELETE FROM _call_core_calls WHERE key = ?", &[Value::Text(key)])
        };
        match deleted {
            Ok(rows) => rows > 0,
            Err(e) => {
                log_error(&format!("call-core: durable call {key}: cannot delete its row: {e}"));
                false
            }
        }
    }
}
