//! The caller's stored rows, read for recovery: each row decoded on its own, leniently. A
//! row that no longer decodes (written by another build, or by one that stored a deadline
//! that is not a time, as `Duration::MAX` once did) is moved to the dead letters with its
//! reason; it never stops the recovery of the other rows.

use serde::Deserialize;

use super::finish::dead_letter;
use super::store::Value;
use super::Durable;
use crate::caller::MAX_TIMEOUT;
use crate::runtime::log_error;

/// A stored pending call.
#[derive(Debug, Deserialize)]
pub(super) struct Row {
    pub(super) key: String,
    pub(super) binding: String,
    pub(super) object: String,
    pub(super) by_id: i64,
    pub(super) envelope: String,
    pub(super) handler: String,
    pub(super) args: String,
    pub(super) result_at: usize,
    pub(super) deadline: u64,
    /// The fan-in it is a member of, and which.
    pub(super) fan: Option<String>,
    pub(super) member: Option<usize>,
    /// For a joined plan, the steps whose errors convert (JSON array); see
    /// [`Call`](crate::Call).
    #[serde(default)]
    pub(super) indirect: Option<String>,
}

/// A stored pending fan-in.
#[derive(Debug, Deserialize)]
pub(super) struct Fan {
    pub(super) key: String,
    pub(super) handler: String,
    pub(super) args: String,
    pub(super) result_at: usize,
    pub(super) size: usize,
}

/// How far a stored deadline may lie ahead of the clock: the longest timeout, and an hour
/// for clocks that differ between the machines an object ran on.
const DEADLINE_AHEAD: u64 = MAX_TIMEOUT.as_secs() * 1_000 + 3_600_000;

const CALLS: &str = "SELECT json_object('key', key, 'binding', binding, 'object', object, 'by_id', by_id, 'envelope', \
    envelope, 'handler', handler, 'args', args, 'result_at', result_at, 'deadline', deadline, 'fan', fan, 'member', \
    member, 'indirect', indirect) FROM _call_core_calls ORDER BY created";

const FANS: &str = "SELECT json_object('key', key, 'handler', handler, 'args', args, 'result_at', result_at, 'size', \
    size) FROM _call_core_fans ORDER BY created";

/// The pending calls and fan-ins that decode; the others moved to the dead letters.
pub(super) fn read(durable: &Durable, now: u64) -> Result<(Vec<Row>, Vec<Fan>), String> {
    let calls = durable.sql.texts(CALLS, &[])?;
    let fans = durable.sql.texts(FANS, &[])?;
    let rows = calls.iter().filter_map(|text| decode_row(text, now).map_err(|e| bury(durable, text, &e, false)).ok());
    let rows = rows.collect();
    let fans = fans.iter().filter_map(|text| decode(text).map_err(|e| bury(durable, text, &e, true)).ok()).collect();
    Ok((rows, fans))
}

/// A stored call, if it decodes and its deadline is a time.
fn decode_row(text: &str, now: u64) -> Result<Row, String> {
    let row: Row = decode(text)?;
    if row.deadline > now.saturating_add(DEADLINE_AHEAD) {
        return Err(format!("its deadline {} is later than the longest timeout allows", row.deadline));
    }
    Ok(row)
}

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| format!("the stored row does not decode: {e}"))
}

/// Moves the stored row `text` (of `_call_core_fans` when `fan`) that cannot be recovered,
/// for `reason`, to the dead letters, with what of it can be read; deletes it (a fan-in's
/// members with it).
fn bury(durable: &Durable, text: &str, reason: &str, fan: bool) {
    let loose: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let field = |name: &str| match &loose[name] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let key = field("key");
    log_error(&format!("call-core: durable call {key}: {reason}; moved to the dead letters"));
    if !dead_letter(durable, &key, &field("handler"), &field("args"), None, reason) {
        return;
    }
    let deleted = if fan {
        durable.finish(&key);
        Ok(0)
    } else {
        durable.sql.run("DELETE FROM _call_core_calls WHERE key = ?", &[Value::Text(&key)])
    };
    if let Err(e) = deleted {
        log_error(&format!("call-core: durable call {key}: cannot delete its row: {e}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(deadline: &str) -> String {
        format!(
            r#"{{"key":"k","binding":"B","object":"o","by_id":0,"envelope":"{{}}","handler":"h","args":"[null]","result_at":0,"deadline":{deadline},"fan":null,"member":null,"indirect":null}}"#
        )
    }

    #[test]
    fn a_row_decodes_only_with_a_deadline_that_is_a_time() {
        let now = 1_700_000_000_000;
        assert_eq!(decode_row(&row("1700000030000"), now).unwrap().deadline, 1_700_000_030_000);
        assert!(decode_row(&row("-1"), now).unwrap_err().contains("does not decode"));
        assert!(decode_row(&row("9.223372036854776e18"), now).unwrap_err().contains("does not decode"));
        assert!(decode_row(&row("9007199254740991"), now).unwrap_err().contains("longest timeout"));
        // A row of an older build, without `indirect`.
        let old = row("5").replace(r#","indirect":null"#, "");
        assert_eq!(decode_row(&old, now).unwrap().indirect, None);
    }
}
