//! What a callee gives to its records of durable calls: how long it keeps them, how many
//! rows and bytes (per isolate, [`set_records`]), and the checks of one more record.

use std::cell::Cell;
use std::time::Duration;

/// How long after a call's deadline its record is kept (milliseconds): a re-send that left
/// the caller before the deadline may arrive after it.
const KEEP_AFTER_DEADLINE: u64 = 60_000;

/// The resources a callee gives to its records of durable calls (per isolate; see
/// [`set_records`]). A call that would exceed them, after a sweep of the expired records,
/// is refused before it runs with [`RemoteErrorKind::Limit`](crate::RemoteErrorKind::Limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Records {
    /// Most records in one object (default 200,000).
    pub max_rows: u64,
    /// Most records of one caller id in one object (default 50,000). A record lives from
    /// its call's arrival to a minute past its deadline (90 s with the default 30 s
    /// timeout), so this bounds the rate of durable calls one caller sustains to one
    /// callee: about 50,000 / 90 s ≈ 550 per second with the defaults.
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
            max_rows: 200_000,
            max_rows_per_caller: 50_000,
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

/// The expiry of the record of a call with `deadline`, received at `now`; or why it is
/// refused (its deadline is beyond what the callee keeps records for).
pub(super) fn expiry(limits: &Records, deadline: Option<u64>, now: u64) -> Result<u64, String> {
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
pub(super) fn over_caps(limits: &Records, (rows, bytes): (u64, u64), caller_rows: u64) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(Records::default().max_rows, 200_000);
        assert_eq!(Records::default().max_rows_per_caller, 50_000);
        assert_eq!(Records::default().max_bytes, 128 << 20);
        assert_eq!(Records::default().max_keep, Duration::from_secs(86_400));
    }

    #[test]
    fn set_records_is_per_isolate() {
        let small = Records { max_rows: 5, ..Records::default() };
        set_records(small);
        assert_eq!(records(), small);
        set_records(Records::default());
    }
}
