//! The object's own alarm beside call-core's (examples/call-delay/src/alarmed.rs): it keeps
//! the platform's at-least-once. An `alarm()` that throws is retried by workerd, as a
//! plain-JavaScript object's is (`JsAlarmed`, the control), and an alarm armed before a
//! SIGKILL runs after the restart.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use xtask::workerd::Workerd;

use super::{builds, get, start, storage, SERIAL};

/// `/tally-alarm-runs` of object `c` (of the JavaScript control with `js`).
fn runs(w: &Workerd, c: &str, js: bool) -> Value {
    get(w, &format!("/tally-alarm-runs?c={c}{}", if js { "&js=1" } else { "" }))
}

/// Polls object `c` until its alarm ran `expect` times and no alarm is left (or 60 s
/// passed); the last answer.
fn settle_runs(w: &Workerd, c: &str, js: bool, expect: u64) -> Value {
    let started = Instant::now();
    loop {
        let answer = runs(w, c, js);
        let done = answer["runs"].as_u64() >= Some(expect) && answer["alarm"].is_null();
        if done || started.elapsed() > Duration::from_secs(60) {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// An object's own `alarm()` throws on its first run (and on its first two, with a durable
/// call of the object pending beside it): workerd retries it, as it does the JavaScript
/// control's, until it succeeds; then its time is cleared (`getAlarm()` is null) and it does
/// not run again.
#[test]
fn an_alarm_that_throws_is_retried_like_a_javascript_one() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("alarm-throws");
    let w = start(&builds().v1, &dir);
    let cases = [
        ("throws-once", false, 1, ""),
        ("throws-once", true, 1, ""),
        ("throws-twice-beside-a-call", false, 2, "&call=1"),
    ];
    for (c, js, fail, extra) in cases {
        let armed = get(&w, &format!("/tally-alarm?c={c}&ms=300&fail={fail}{extra}{}", if js { "&js=1" } else { "" }));
        assert!(armed["at"].is_number(), "{armed}");
    }
    for (c, js, fail, _) in cases {
        let answer = settle_runs(&w, c, js, fail + 1);
        println!("{c} (js: {js}): {answer}");
        assert_eq!(answer, json!({ "runs": fail + 1, "alarm": null }), "{c} (js: {js}): retried until it succeeded");
    }
    // Past a retry's backoff (2 s after a failure): nothing runs again.
    std::thread::sleep(Duration::from_millis(2500));
    for (c, js, fail, _) in cases {
        assert_eq!(runs(&w, c, js)["runs"], fail + 1, "{c} (js: {js}): ran again after it succeeded");
    }
}

/// An alarm armed 5 s ahead, workerd killed (SIGKILL) before it fires and started again
/// on the same storage: the alarm still runs, once (and the JavaScript control's too).
#[test]
fn an_alarm_armed_before_a_kill_runs_after_the_restart() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("alarm-kill");
    let mut w = start(&builds().v1, &dir);
    let armed = Instant::now();
    for js in [false, true] {
        get(&w, &format!("/tally-alarm?c=killed&ms=5000&fail=0{}", if js { "&js=1" } else { "" }));
        let before = runs(&w, "killed", js);
        // Decides nothing when the machine was too slow to kill before the alarm's time.
        if armed.elapsed() < Duration::from_millis(4500) {
            assert_eq!(before["runs"], 0, "js: {js}: the alarm ran before its time: {before}");
        }
    }
    let pid = w.pid();
    w.stop();
    println!("SIGKILL workerd (pid {pid:?}) before the alarms fire");
    let w = start(&builds().v1, &dir);
    for js in [false, true] {
        let answer = settle_runs(&w, "killed", js, 1);
        println!("after the restart (js: {js}): {answer}");
        assert_eq!(answer, json!({ "runs": 1, "alarm": null }), "js: {js}");
    }
}
