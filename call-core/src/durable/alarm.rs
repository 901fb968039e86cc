//! The one alarm that call-core shares with the object.
//!
//! A Durable Object has one alarm. call-core wants it while durable calls are pending; the
//! object may want it for itself. The generated entry gives the object a `ctx` whose
//! `storage.setAlarm`, `getAlarm` and `deleteAlarm` land in [`set_user_alarm`] and
//! [`user_alarm`]: the object's own time is kept in call-core's table, and the real alarm
//! is set to the earlier of the two. When it fires, the entry calls [`alarm`] first (which
//! recovers: see [`recovery`](super::recovery)), then the object's `alarm` when its own
//! time has come.
//!
//! The object's own alarm keeps the platform's at-least-once: its time stays in the table
//! until its `alarm()` has succeeded ([`user_alarm_ran`]). While it runs, call-core leaves
//! the real alarm as the platform has it (the alarm is *held*): had call-core set it during
//! a handler that then throws, workerd would run that new alarm instead of retrying the
//! failed one (with its backoff). A failed `alarm()` is rethrown by the entry, and the
//! platform's retry runs call-core's part and the object's `alarm` again.
//!
//! [`alarm`]: super::recovery::alarm

use super::store::{stored_time, Sql, Value};
use super::Durable;

/// The alarm times of one object.
#[derive(Debug, Default)]
pub(crate) struct Alarm {
    /// When call-core wants the alarm.
    pub(super) ours: Option<u64>,
    /// When the object wants it (kept in `_call_core_alarm`).
    pub(super) user: Option<u64>,
    /// What the alarm is set to.
    pub(super) set: Option<u64>,
    /// The object's own time whose `alarm()` is running: until it ends, call-core does not
    /// touch the real alarm (see the module's doc).
    pub(super) running: Option<u64>,
}

impl Alarm {
    /// The object's own alarm time, as stored.
    pub(crate) fn load(sql: &Sql) -> Alarm {
        let user = sql
            .texts("SELECT CAST(user_at AS TEXT) FROM _call_core_alarm WHERE id = 0 AND user_at IS NOT NULL", &[])
            .ok()
            .and_then(|rows| rows.first().and_then(|t| t.parse().ok()));
        Alarm { ours: None, user, set: None, running: None }
    }

    fn wanted(&self) -> Option<u64> {
        match (self.ours, self.user) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Asks for the alarm at `at` (or earlier, if it is set earlier already).
pub(crate) fn arm(durable: &Durable, at: u64) {
    let mut alarm = durable.alarm.borrow_mut();
    if alarm.ours.is_some_and(|ours| ours <= at) {
        return;
    }
    alarm.ours = Some(at);
    set_real(durable, &mut alarm);
}

/// Sets call-core's wish to `at` (none: no wish), whatever it was, or to the next expiry of
/// the callee's records if that is earlier.
pub(super) fn want(durable: &Durable, at: Option<u64>) {
    let sweep = super::records::next_expiry(durable).map(|next| next.saturating_add(1));
    let mut alarm = durable.alarm.borrow_mut();
    alarm.ours = match (at, sweep) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    set_real(durable, &mut alarm);
}

pub(super) fn set_real(durable: &Durable, alarm: &mut Alarm) {
    if alarm.running.is_some() {
        // Held while the object's own `alarm()` runs: `user_alarm_ran` sets it after.
        return;
    }
    apply(durable, alarm);
}

/// Sets the real alarm to the earlier wish, held or not.
fn apply(durable: &Durable, alarm: &mut Alarm) {
    let wanted = alarm.wanted();
    if wanted == alarm.set {
        return;
    }
    match wanted {
        Some(at) => durable.sql.set_alarm(at),
        None => durable.sql.delete_alarm(),
    }
    alarm.set = wanted;
}

/// The object's own `storage.setAlarm(at)` (`None`: `deleteAlarm()`), through the `ctx`
/// the generated entry gives it.
#[cfg(target_arch = "wasm32")]
pub(crate) fn set_user_alarm<S: 'static>(this: &S, at: Option<f64>) {
    let Some(durable) = Durable::of_object(this) else { return };
    let user = at.map(|at| at.max(0.0) as u64);
    let _ = match user {
        Some(at) => durable
            .sql
            .run("INSERT OR REPLACE INTO _call_core_alarm (id, user_at) VALUES (0, ?)", &[Value::Int(stored_time(at))]),
        None => durable.sql.run("DELETE FROM _call_core_alarm WHERE id = 0", &[]),
    };
    let mut alarm = durable.alarm.borrow_mut();
    alarm.user = user;
    // The object's own change, also from its running `alarm()`: as in plain JavaScript (a
    // new alarm set by a failing `alarm()` runs instead of its retry).
    apply(&durable, &mut alarm);
}

/// The object's own `storage.getAlarm()`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn user_alarm<S: 'static>(this: &S) -> Option<f64> {
    let at = Durable::of_object(this)?.alarm.borrow().user;
    at.map(|at| at as f64)
}

/// When the alarm fires: whether the object's own time has come (`now`); if so, the alarm
/// is held until its `alarm()` has ended ([`user_alarm_ran`]).
pub(super) fn hold_if_due(alarm: &mut Alarm, now: u64) -> bool {
    let due = alarm.user.filter(|&at| at <= now);
    alarm.running = due;
    due.is_some()
}

/// After the object's `alarm()` ran for the time held by [`hold_if_due`]: `ok`, its time is
/// cleared (unless the object set a new one meanwhile); failed, it stays, and the platform
/// retries (the real alarm counts as set to it). Either way the alarm is no longer held.
pub(super) fn ran(durable: &Durable, alarm: &mut Alarm, ok: bool) {
    let Some(at) = alarm.running.take() else { return };
    if !ok {
        alarm.set = alarm.wanted();
        return;
    }
    if alarm.user == Some(at) {
        alarm.user = None;
        let _ = durable
            .sql
            .run("DELETE FROM _call_core_alarm WHERE id = 0 AND user_at = ?", &[Value::Int(stored_time(at))]);
    }
    set_real(durable, alarm);
}

/// The body of the generated `__call_core_user_alarm_ran`: the entry calls it after the
/// object's own `alarm()` ran, `ok` when it succeeded (see [`ran`]).
#[cfg(target_arch = "wasm32")]
pub(crate) fn user_alarm_ran<S: 'static>(this: &S, ok: bool) {
    let Some(durable) = Durable::of_object(this) else { return };
    let mut alarm = durable.alarm.borrow_mut();
    ran(&durable, &mut alarm, ok);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alarm_is_the_earlier_of_the_two() {
        let alarm = Alarm { ours: Some(5), user: Some(3), ..Alarm::default() };
        assert_eq!(alarm.wanted(), Some(3));
        assert_eq!(Alarm { user: Some(3), ..Alarm::default() }.wanted(), Some(3));
        assert_eq!(Alarm::default().wanted(), None);
    }

    #[test]
    fn only_a_due_user_time_holds_the_alarm() {
        let mut alarm = Alarm { ours: Some(5), user: Some(10), ..Alarm::default() };
        assert!(!hold_if_due(&mut alarm, 9));
        assert_eq!(alarm.running, None);
        assert!(hold_if_due(&mut alarm, 10));
        assert_eq!(alarm.running, Some(10));
        assert_eq!(alarm.user, Some(10), "the time stays until the object's alarm() succeeded");
        let mut none = Alarm::default();
        assert!(!hold_if_due(&mut none, u64::MAX));
    }
}
