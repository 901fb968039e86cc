//! The durable caller under adversity (issue 18): a `Duration::MAX` timeout across a kill,
//! stored rows that no longer decode, a callee reset while calls are in flight, a nested
//! plan's typed step error after a recovery, calls too large to store, and a panicking
//! handler. Each test runs its own workerd on its own storage (SIGKILL by PID, restart on
//! the same storage).

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use xtask::workerd::Workerd;

use super::{builds, get, settle, start, storage, SERIAL};

/// `/durable/status` of `c` answers 200 (`get` asserts it) with nothing pending; the last
/// status, polled until then (at most 60 s).
fn drained(w: &Workerd, c: &str) -> Value {
    let started = Instant::now();
    loop {
        let status = get(w, &format!("/durable/status?c={c}"));
        if status["pending"] == 0 || started.elapsed() > Duration::from_secs(60) {
            return status;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Holds the caller `c`'s input gate (`/durable/hold`, so that replies wait and no handler
/// runs) and waits until the callee `RemoteDo` has answered `n` durable calls (its reply
/// records); then the caller can be killed with every reply recorded at the callee and
/// none handled. A re-send after the restart is answered from the records: the callee ran
/// each call once (at most once: a call killed while the callee ran it would get
/// `OutcomeUnknown` instead, see tests/tests/durable/callee.rs).
fn hold_until_answered(w: &Workerd, c: &str, n: u64) {
    let (addr, path) = (w.addr, format!("/durable/hold?c={c}&ms=60000"));
    std::thread::spawn(move || xtask::http::get(addr, &path, Duration::from_secs(90)));
    let started = Instant::now();
    loop {
        let records = get(w, "/remote-records");
        if records["answered"].as_u64() >= Some(n) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the callee answered only {records} of {n}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Each handled call's stored result (JSON text), by tag.
fn results(w: &Workerd, c: &str) -> Vec<String> {
    let results = get(w, &format!("/durable/results?c={c}"));
    results.as_array().unwrap().iter().map(|row| row["result"].as_str().unwrap_or_default().to_string()).collect()
}

/// `timeout = Duration::MAX` (`u64::MAX` ms): clamped to `MAX_TIMEOUT`, so the rows hold a
/// real deadline. Three slow durable calls, workerd killed once the callee has answered
/// them and before the caller handled them: after the restart all three are sent again and
/// handled with `Ok` (none dropped), and the status answers 200 before the kill, after the
/// restart and until the end.
#[test]
fn a_duration_max_timeout_survives_a_kill() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("caller-max-timeout");
    let mut w = start(&builds().v1, &dir);
    get(&w, "/durable/slow?c=max&n=3&ms=3000&timeout=18446744073709551615");
    let before = get(&w, "/durable/status?c=max");
    assert_eq!(before["pending"], 3, "{before}");
    hold_until_answered(&w, "max", 3);
    let pid = w.pid();
    w.stop();
    println!("kill point: SIGKILL workerd (pid {pid:?}) while 3 durable calls with timeout u64::MAX ms run");
    let w = start(&builds().v1, &dir);
    let status = settle(&w, "max", 3);
    println!("  after the restart: {status}");
    assert_eq!(
        (&status["handled"], &status["ok"], &status["duplicates"], &status["dead"], &status["pending"]),
        (&json!(3), &json!(3), &json!(0), &json!(0), &json!(0)),
        "{status}"
    );
    assert!(results(&w, "max").iter().all(|r| r == "{\"Ok\":3000}"), "{:?}", results(&w, "max"));
}

/// Two stored rows that no longer decode (deadlines `-1` and `9.3e18`) beside three good
/// slow calls: the status answers 200 throughout, and after a kill (once the callee has
/// answered the good ones) and a restart recovery moves both bad rows to the dead letters
/// with their reason and finishes the three others.
#[test]
fn undecodable_rows_become_dead_letters_and_spoil_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("caller-corrupt");
    let mut w = start(&builds().v1, &dir);
    get(&w, "/durable/slow?c=corrupt&n=3&ms=1500&timeout=30000");
    get(&w, "/durable/corrupt?c=corrupt");
    let listed = get(&w, "/durable/status?c=corrupt");
    println!("with the corrupt rows: {listed}");
    hold_until_answered(&w, "corrupt", 3);
    w.stop();
    let w = start(&builds().v1, &dir);
    let status = settle(&w, "corrupt", 3);
    println!("  after the restart: {status}");
    assert_eq!(
        (&status["handled"], &status["ok"], &status["dead"], &status["pending"]),
        (&json!(3), &json!(3), &json!(2), &json!(0)),
        "{status}"
    );
    let dead = get(&w, "/durable/dead?c=corrupt");
    let mut reasons: Vec<(String, String)> = dead["dead"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["key"].as_str().unwrap().to_string(), d["reason"].as_str().unwrap().to_string()))
        .collect();
    reasons.sort();
    assert_eq!(reasons.len(), 2, "{dead}");
    assert_eq!(reasons[0].0, "corrupt-huge", "{dead}");
    assert!(reasons[0].1.contains("longest timeout") || reasons[0].1.contains("does not decode"), "{dead}");
    assert_eq!(reasons[1].0, "corrupt-negative", "{dead}");
    assert!(reasons[1].1.contains("does not decode"), "{dead}");
}

/// The callee is reset (`ctx.abort()`) while it runs 5 durable calls with a 30 s deadline:
/// each call's RPC fails in transport, keeps its row and is sent again with its key, and
/// every call gets the callee's answer, none ends with `Transport`. The callee had started
/// each call when it was reset, so its answer to the re-send is `OutcomeUnknown` (at most
/// once: it never runs a started call again); a call that had not reached the method would
/// be run and answered `Ok`. Either way the answer comes from the callee, after a re-send.
#[test]
fn a_callee_reset_is_retried_until_answered() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("caller-callee-reset");
    let w = start(&builds().v1, &dir);
    get(&w, "/durable/slow?c=creset&n=5&ms=2000&timeout=30000");
    let reset = get(&w, "/durable/remote-reset?c=creset&ms=300");
    assert_eq!(reset["reset"], true, "{reset}");
    let status = settle(&w, "creset", 5);
    println!("after the callee's reset: {status}");
    let answers = results(&w, "creset");
    assert!(
        answers.iter().all(|r| r == "{\"Ok\":2000}" || r.contains("outcome_unknown")),
        "every call answered by the callee, none `Transport`: {answers:?}"
    );
    assert_eq!(
        (&status["handled"], &status["duplicates"], &status["pending"]),
        (&json!(5), &json!(0), &json!(0)),
        "{status}\n{answers:?}"
    );
    let log = w.log();
    let resent = log.matches("sending it again until its deadline").count();
    assert_eq!(resent, 5, "each call failed in transport once and was sent again:\n{log}");
}

/// A nested durable call whose step 0 fails with a typed error (`MathError`), workerd
/// killed once the callee has answered and before the caller handled it: after the restart
/// recovery sends the stored plan again, the callee answers from its record, and the
/// handler still gets `App(DivideByZero)`, not `Remote(Exception)`.
#[test]
fn a_nested_typed_step_error_stays_typed_after_recovery() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("caller-nested");
    let mut w = start(&builds().v1, &dir);
    get(&w, "/durable/nested?c=nested&n=3&ms=3000");
    assert_eq!(get(&w, "/durable/status?c=nested")["pending"], 3);
    hold_until_answered(&w, "nested", 3);
    w.stop();
    let w = start(&builds().v1, &dir);
    let status = settle(&w, "nested", 3);
    println!("after the restart: {status}");
    assert_eq!((&status["handled"], &status["pending"]), (&json!(3), &json!(0)), "{status}");
    let recovered = results(&w, "nested");
    assert!(recovered.iter().all(|r| r == "{\"Err\":{\"App\":\"DivideByZero\"}}"), "{recovered:?}");
    // Without a kill, the same.
    get(&w, "/durable/nested?c=nested-live&n=2&ms=10");
    settle(&w, "nested-live", 2);
    let live = results(&w, "nested-live");
    assert!(live.iter().all(|r| r == "{\"Err\":{\"App\":\"DivideByZero\"}}"), "{live:?}");
}

/// A durable call whose handler captures 2 MB, and one whose envelope carries 2 MB, cannot
/// be stored in one row: both are refused before they are sent, their handlers get
/// `Limit`, and the callee never saw them.
#[test]
fn a_call_too_large_to_store_is_refused_up_front() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("caller-big");
    let w = start(&builds().v1, &dir);
    get(&w, "/durable/big?c=big&kb=2000");
    get(&w, "/durable/big?c=big&kb=2000&envelope=1");
    let status = drained(&w, "big");
    println!("{status}");
    assert_eq!(
        (&status["handled"], &status["ok"], &status["dead"], &status["pending"], &status["callee_effects"]),
        (&json!(2), &json!(0), &json!(0), &json!(0), &json!(0)),
        "{status}"
    );
    let refused = results(&w, "big");
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused.iter().all(|r| r.starts_with("{\"Err\":{\"Limit\":")), "{refused:?}");
    assert!(refused.iter().all(|r| r.contains("1900000")), "{refused:?}");
    // A call just under the limit is stored and answered.
    get(&w, "/durable/big?c=big-ok&kb=1000");
    let status = settle(&w, "big-ok", 1);
    assert_eq!((&status["ok"], &status["callee_effects"]), (&json!(1), &json!(1)), "{status}");
}

/// Three durable calls whose handler panics: none is lost or retried forever. Each becomes
/// a dead letter with the panic's message, nothing stays pending, no handler ran to its
/// end, and the object keeps serving: a durable call made afterwards is handled `Ok`.
#[test]
fn a_panicking_durable_handler_becomes_a_dead_letter() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("caller-panic");
    let w = start(&builds().v1, &dir);
    get(&w, "/durable/panic?c=panic&n=3");
    let started = Instant::now();
    let status = loop {
        let status = get(&w, "/durable/status?c=panic");
        if (status["dead"] == 3 && status["pending"] == 0) || started.elapsed() > Duration::from_secs(60) {
            break status;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    println!("after the panicking handlers: {status}");
    assert_eq!(
        (&status["dead"], &status["pending"], &status["handled"]),
        (&json!(3), &json!(0), &json!(0)),
        "{status}"
    );
    let dead = get(&w, "/durable/dead?c=panic");
    let reasons: Vec<&str> =
        dead["dead"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap_or("")).collect();
    assert_eq!(reasons.len(), 3, "{dead}");
    assert!(reasons.iter().all(|r| r.contains("panics on purpose")), "the reason carries the panic's message: {dead}");
    get(&w, "/durable/slow?c=panic&n=1&ms=10&timeout=30000");
    let status = settle(&w, "panic", 1);
    assert_eq!((&status["handled"], &status["ok"], &status["pending"]), (&json!(1), &json!(1), &json!(0)), "{status}");
}
