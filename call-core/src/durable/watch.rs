//! When call-core's part of the alarm checks the pending durable calls again.
//!
//! The alarm is what re-sends the calls of an instance that went away (a new instance
//! also recovers when it starts). After new calls, or after a recovery that sent calls
//! again, it checks again [`RETRY`] later. When every pending call is already in flight in
//! this instance there is nothing to re-send: the check backs off (2 s, 4 s, … up to
//! [`MAX_WATCH`]), but never later than the earliest deadline of a pending call, so a
//! 1-hour call does not cost an alarm every 2 s for its whole life.

use std::cell::Cell;

use super::RETRY;

/// The longest wait between two checks while every pending call is in flight
/// (milliseconds).
pub const MAX_WATCH: u64 = 60_000;

/// The backoff of the checks of one object.
#[derive(Debug)]
pub(crate) struct Watch {
    /// The wait after the last check.
    backoff: Cell<u64>,
    /// Calls were made since the last check.
    fresh: Cell<bool>,
}

impl Default for Watch {
    fn default() -> Self {
        Watch { backoff: Cell::new(RETRY), fresh: Cell::new(false) }
    }
}

impl Watch {
    /// Calls were made now: the next check is [`RETRY`] after them.
    pub(super) fn made_calls(&self) {
        self.fresh.set(true);
        self.backoff.set(RETRY);
    }

    /// The time of the next check after a recovery at `now` that `sent` calls again, while
    /// calls are pending whose earliest deadline is `earliest`.
    pub(super) fn next(&self, now: u64, sent: bool, earliest: Option<u64>) -> u64 {
        let sent = sent | self.fresh.replace(false);
        let (at, backoff) = next_check(now, sent, self.backoff.get(), earliest);
        self.backoff.set(backoff);
        at
    }
}

/// The next check after one at `now` (see the module docs): its time and the backoff to
/// keep. `sent`: calls were made or sent again since the last check; `backoff`: the wait
/// after the last check; `earliest`: the earliest deadline of a pending call.
pub(super) fn next_check(now: u64, sent: bool, backoff: u64, earliest: Option<u64>) -> (u64, u64) {
    if sent {
        return (now.saturating_add(RETRY), RETRY);
    }
    let backoff = backoff.saturating_mul(2).clamp(RETRY, MAX_WATCH);
    let at = now.saturating_add(backoff);
    match earliest {
        // A deadline that has passed is being answered (`Timeout`) by its call's own timer.
        Some(deadline) if deadline > now => (at.min(deadline), backoff),
        _ => (at, backoff),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_back_off_while_every_call_is_in_flight() {
        let hour = 3_600_000;
        // After new calls: RETRY.
        assert_eq!(next_check(0, true, 16_000, Some(hour)), (RETRY, RETRY));
        // Then doubling, up to a minute.
        let (mut now, mut backoff, mut waits) = (0, RETRY, Vec::new());
        for _ in 0..7 {
            let (at, b) = next_check(now, false, backoff, Some(hour));
            waits.push(at - now);
            (now, backoff) = (at, b);
        }
        assert_eq!(waits, [4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
        // Never later than the earliest deadline.
        assert_eq!(next_check(10_000, false, 32_000, Some(12_500)), (12_500, 60_000));
        // A passed deadline does not pull the check to the past.
        assert_eq!(next_check(10_000, false, RETRY, Some(9_000)), (14_000, 4_000));
        // A 1-hour call costs tens of checks, not 1,800.
        let (mut now, mut backoff, mut checks) = (0, RETRY, 0);
        while now < hour {
            (now, backoff) = next_check(now, false, backoff, Some(hour));
            checks += 1;
        }
        assert!(checks < 70, "{checks} checks");
        assert_eq!(now, hour, "the last check is at the deadline");
    }

    #[test]
    fn new_calls_reset_the_backoff() {
        let watch = Watch::default();
        assert_eq!(watch.next(0, false, None), 4_000);
        assert_eq!(watch.next(4_000, false, None), 12_000);
        watch.made_calls();
        assert_eq!(watch.next(12_000, false, None), 12_000 + RETRY);
        assert_eq!(watch.next(14_000, false, None), 18_000);
    }
}
