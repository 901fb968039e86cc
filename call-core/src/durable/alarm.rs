//! The one alarm that call-core shares with the object.
//!
//! A Durable Object has one alarm. call-core wants it while durable calls are pending; the
//! object may want it for itself. The generated entry gives the object a `ctx` whose
//! `storage.setAlarm`, `getAlarm` and `deleteAlarm` land in [`set_user_alarm`] and
//! [`user_alarm`]: the object's own time is kept in call-core's table, and the real alarm
//! is set to the earlier of the two. When it fires, the entry calls [`alarm`] first (which
//! recovers: see [`recovery`](super::recovery)), then the object's `alarm` when its own
//! time has come.

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
}

impl Alarm {
    /// The object's own alarm time, as stored.
    pub(crate) fn load(sql: &Sql) -> Alarm {
        let user = sql
            .texts("SELECT CAST(user_at AS TEXT) FROM _call_core_alarm WHERE id = 0 AND user_at IS NOT NULL", &[])
            .ok()
            .and_then(|rows| rows.first().and_then(|t| t.parse().ok()));
        Alarm { ours: None, user, set: None }
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
    set_real(&durable, &mut alarm);
}

/// The object's own `storage.getAlarm()`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn user_alarm<S: 'static>(this: &S) -> Option<f64> {
    let at = Durable::of_object(this)?.alarm.borrow().user;
    at.map(|at| at as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alarm_is_the_earlier_of_the_two() {
        let alarm = Alarm { ours: Some(5), user: Some(3), set: None };
        assert_eq!(alarm.wanted(), Some(3));
        assert_eq!(Alarm { ours: None, user: Some(3), set: None }.wanted(), Some(3));
        assert_eq!(Alarm::default().wanted(), None);
    }
}
