//! Durable continuations in real workerd with on-disk storage: workerd is killed (SIGKILL,
//! by its PID) at chosen points and started again on the same storage directory; every
//! durable call must be handled exactly once, and the callee must count it exactly once.
//!
//! Each test starts its own workerd (they run one at a time). The kill points are printed
//! so that a failure can be replayed. A longer soak with random kill points (also during the
//! recovery) is an ignored test, which `cargo xtask test` does not run:
//! `cargo test -p tests --test durable -- --ignored soak` (`CALL_CORE_SOAK_ROUNDS`, default
//! 10; `CALL_CORE_SOAK_SEED` replays a printed seed).

mod alarm;
mod chaos;

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use xtask::build::{self, Built, Variant};
use xtask::setup::{self, Toolchain};
use xtask::workerd::{self, Workerd};

mod callee;
mod caller;

/// One test at a time: each runs its own workerd on a 2-core machine.
static SERIAL: Mutex<()> = Mutex::new(());

struct Builds {
    tc: Toolchain,
    v1: Built,
    v2: Built,
}

/// The example, and its "deploy" with a changed handler signature (feature `deploy-v2`).
fn builds() -> &'static Builds {
    static BUILDS: OnceLock<Builds> = OnceLock::new();
    BUILDS.get_or_init(|| {
        let tc = setup::locate().unwrap_or_else(|e| panic!("{e}"));
        let dir = build::crate_dir(None).unwrap();
        let v2 = build::build_variant(&tc, &dir, Variant::Feature("deploy-v2")).unwrap_or_else(|e| panic!("{e}"));
        let v1 = build::build(&tc, &dir).unwrap_or_else(|e| panic!("{e}"));
        // CALL_CORE_TEST_LOADED=1: CPU hogs beside the tests, from now until the process ends.
        std::mem::forget(xtask::load::Hogs::if_enabled());
        Builds { tc, v1, v2 }
    })
}

/// A storage directory for one test, empty.
fn storage(name: &str) -> PathBuf {
    let dir = xtask::util::workspace_root().join("target/durable-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn start(built: &Built, storage: &std::path::Path) -> Workerd {
    let options = workerd::Options { storage: Some(storage.to_path_buf()), ..Default::default() };
    Workerd::start(&builds().tc, built, options).unwrap_or_else(|e| panic!("{e}"))
}

fn get(w: &Workerd, path: &str) -> Value {
    let answer = xtask::http::get(w.addr, path, Duration::from_secs(120)).unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(answer.status, 200, "GET {path} answered {}: {}\nworkerd log:\n{}", answer.status, answer.body, w.log());
    answer.json().unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// Polls `/durable/status` of controller `c` until nothing is pending and `handled` reached
/// `expect` (or 60 s passed); the last status.
fn settle(w: &Workerd, c: &str, expect: u64) -> Value {
    let started = Instant::now();
    loop {
        let status = get(w, &format!("/durable/status?c={c}"));
        let done = status["pending"] == 0 && status["handled"].as_u64() >= Some(expect);
        if done || started.elapsed() > Duration::from_secs(60) {
            return status;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Every one of `n` calls handled once, counted once by the callee (`per` times for a
/// fan-in of `per` members), none lost or dead.
fn assert_handled_once(status: &Value, n: u64, per: u64) {
    assert_eq!(status["started"], n, "{status}");
    assert_eq!(status["pending"], 0, "{status}");
    assert_eq!(status["handled"], n, "every call id is recorded: {status}");
    assert_eq!(status["duplicates"], 0, "no handler ran twice: {status}");
    assert_eq!(status["ok"], n, "{status}");
    assert_eq!(status["dead"], 0, "{status}");
    assert_eq!(status["callee_effects"], per * n, "the callee counted each call once: {status}");
}

fn tally(w: &Workerd) -> u64 {
    get(w, "/tally")["count"].as_u64().unwrap_or(0)
}

/// Durable calls, workerd killed at three points (printed): in the middle of a batch of
/// 5,000 (some answered and handled, some not even sent), while the callee is running 1,000
/// calls, and after the callee has answered 1,000 calls but before the caller's handlers
/// ran (the caller's input gate held by `blockConcurrencyWhile`, so the replies wait).
/// After a restart on the same storage, every call is handled exactly once. The callee
/// counted each exactly once, except at the "callee-running" point: there each method had
/// started (its arrival recorded) and was awaiting before its count when workerd died, so
/// the re-send is answered `OutcomeUnknown` and the method is never run again (at most
/// once): the callee counted exactly the calls answered `Ok` (those that arrived only
/// after the restart), and every other call ended with `OutcomeUnknown`.
#[test]
fn killed_at_three_points_every_call_is_handled_exactly_once() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rounds: &[(&str, u64)] = &[("mid-batch", 5000), ("callee-running", 1000), ("callee-answered", 1000)];
    for (round, &(name, n)) in rounds.iter().enumerate() {
        let dir = storage(&format!("kill-{name}"));
        let mut w = start(&builds().v1, &dir);
        let c = format!("kill-{round}");
        let mut before = None;
        match name {
            "mid-batch" => {
                // Killed as soon as the batch is written: most calls are still on their way.
                get(&w, &format!("/durable/start?c={c}&n={n}"));
            }
            "callee-running" => {
                // Each call waits 2 s in the callee before it counts: killed while running.
                get(&w, &format!("/durable/start?c={c}&n={n}&after=2000"));
                std::thread::sleep(Duration::from_millis(300));
                assert_eq!(tally(&w), 0, "the callee is still running every call");
                before = Some(0);
            }
            _ => {
                get(&w, &format!("/durable/start?c={c}&n={n}"));
                let addr = w.addr;
                let path = format!("/durable/hold?c={c}&ms=5000");
                std::thread::spawn(move || xtask::http::get(addr, &path, Duration::from_secs(30)));
                let started = Instant::now();
                while tally(&w) < n && started.elapsed() < Duration::from_secs(20) {
                    std::thread::sleep(Duration::from_millis(50));
                }
                assert_eq!(tally(&w), n, "the callee answered every call while the caller was held");
                before = Some(n);
            }
        }
        let pid = w.pid();
        w.stop();
        let w = start(&builds().v1, &dir);
        // Before the caller's recovery alarm (2 s after the calls) has fired: what the callee
        // counted before the kill.
        let counted = tally(&w);
        println!("kill point {name}: SIGKILL workerd (pid {pid:?}); the callee had counted {counted} of {n}");
        if let Some(before) = before {
            assert_eq!(counted, before, "{name}");
        }
        let status = settle(&w, &c, n);
        println!("  after the restart: {status}");
        if name == "callee-running" {
            let (ok, unknown) = callee::assert_handled_once_or_unknown(&w, &c, &status, n);
            println!("  {ok} Ok, {unknown} OutcomeUnknown (started before the kill, never run again)");
            assert_eq!(status["callee_effects"], ok, "counted exactly the calls that ran to the end: {status}");
            assert!(unknown > 0, "the kill found calls running: {status}");
        } else {
            assert_handled_once(&status, n, 1);
        }
        let results = get(&w, &format!("/durable/results?c={c}"));
        assert_eq!(results.as_array().map(Vec::len), Some(n as usize), "{results}");
    }
}

/// A callee that does not answer before the deadline: `Timeout` arrives exactly once, after
/// a restart in between. The caller starts again only once the deadline has passed (its
/// first request after the restart waits for that): had it re-sent the calls before the
/// deadline, the callee, which had started them, would answer `OutcomeUnknown` (its
/// records; see callee.rs), not run them again.
#[test]
fn timeout_arrives_once_after_a_restart() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("timeout");
    let mut w = start(&builds().v1, &dir);
    get(&w, "/durable/slow?c=timeout&n=3&ms=60000&timeout=1500");
    // The deadline was set during that request, so it has passed 1.5 s after its answer.
    let deadline = Instant::now() + Duration::from_millis(1600);
    std::thread::sleep(Duration::from_millis(300));
    w.stop();
    let w = start(&builds().v1, &dir);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = settle(&w, "timeout", 3);
    assert_eq!(
        (&status["handled"], &status["duplicates"], &status["ok"]),
        (&json!(3), &json!(0), &json!(0)),
        "{status}"
    );
    let results = get(&w, "/durable/results?c=timeout");
    for row in results.as_array().unwrap() {
        assert_eq!(row["runs"], 1, "{results}");
        assert_eq!(row["result"], "{\"Err\":\"Timeout\"}", "{results}");
    }
}

/// The caller is reset (`ctx.abort()`) with durable calls pending: its next instance
/// finishes all of them, each once.
#[test]
fn reset_caller_finishes_its_durable_calls() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("reset");
    let w = start(&builds().v1, &dir);
    get(&w, "/durable/start?c=reset&n=50&after=300");
    get(&w, "/probe/abort?c=reset");
    std::thread::sleep(Duration::from_millis(100));
    let status = settle(&w, "reset", 50);
    assert_handled_once(&status, 50, 1);
}

/// A deploy changes a handler's signature while durable calls are pending: after a restart
/// on the new build they are not run (nor misread) but listed as dead letters, which the
/// API clears.
#[test]
fn a_changed_handler_sends_pending_calls_to_the_dead_letters() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("deploy");
    let mut w = start(&builds().v1, &dir);
    get(&w, "/durable/start?c=deploy&n=5&after=60000");
    std::thread::sleep(Duration::from_millis(200));
    w.stop();
    let w = start(&builds().v2, &dir);
    let status = settle(&w, "deploy", 0);
    assert_eq!(
        (&status["dead"], &status["pending"], &status["handled"]),
        (&json!(5), &json!(0), &json!(0)),
        "{status}"
    );
    let dead = get(&w, "/durable/dead?c=deploy");
    for letter in dead["dead"].as_array().unwrap() {
        assert!(letter["handler"].as_str().unwrap().starts_with("CallDelayController::on_durable#"), "{dead}");
        assert!(letter["reason"].as_str().unwrap().contains("no handler"), "{dead}");
    }
    assert!(w.log().contains("moved to the dead letters"), "a log line per dead letter:\n{}", w.log());
    assert_eq!(get(&w, "/durable/dead-clear?c=deploy")["cleared"], 5);
    assert_eq!(get(&w, "/durable/status?c=deploy")["dead"], 0);
}

/// 300 durable fan-ins of two calls each, workerd killed as soon as they are written, and
/// started again: each fan-in's handler runs once, with both members' results, and the
/// callee counted each member once.
#[test]
fn killed_durable_fan_ins_are_handled_exactly_once() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("fanin");
    let mut w = start(&builds().v1, &dir);
    get(&w, "/durable/fanin?c=fanin&n=300");
    w.stop();
    let w = start(&builds().v1, &dir);
    println!("kill point fan-in: the callee had counted {} of 600 member calls", tally(&w));
    let status = settle(&w, "fanin", 300);
    println!("  after the restart: {status}");
    assert_handled_once(&status, 300, 2);
}

/// What "exactly once" covers for an `async` handler: its part up to its first `await`
/// commits with the call's row; its part after the `await` runs at most once. 20 durable
/// calls whose async handler records the call, waits 4 s, then records its second part:
/// killed during the wait, and started again, each first part ran once and no second part
/// ran (nor was the handler run again); without a kill, every second part runs once.
#[test]
fn an_async_handler_is_exactly_once_up_to_its_first_await() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("async");
    let mut w = start(&builds().v1, &dir);
    get(&w, "/durable/async?c=async&n=20&ms=4000");
    let status = settle(&w, "async", 20);
    assert_eq!((&status["handled"], &status["after_await"]), (&json!(20), &json!(0)), "{status}");
    // The first parts have committed (a commit takes well under a millisecond here).
    std::thread::sleep(Duration::from_millis(300));
    let pid = w.pid();
    w.stop();
    println!("kill point: SIGKILL workerd (pid {pid:?}) while 20 async handlers wait after their first part");
    let w = start(&builds().v1, &dir);
    // Past the recovery alarm (2 s) and past the handlers' wait, had they run again.
    std::thread::sleep(Duration::from_millis(7000));
    let status = get(&w, "/durable/status?c=async");
    println!("  after the restart: {status}");
    assert_handled_once(&status, 20, 1);
    assert_eq!(status["after_await"], 0, "no part after the await ran again: {status}");

    get(&w, "/durable/async?c=async-control&n=20&ms=200");
    let started = Instant::now();
    let mut status = get(&w, "/durable/status?c=async-control");
    while status["after_await"] != 20 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
        status = get(&w, "/durable/status?c=async-control");
    }
    assert_eq!(
        (&status["handled"], &status["duplicates"], &status["after_await"], &status["after_await_runs"]),
        (&json!(20), &json!(0), &json!(20), &json!(20)),
        "without a kill every part after the await runs once: {status}"
    );
}

/// 10,000 durable calls in one batch, every result validated (no restart).
#[test]
fn ten_thousand_durable_calls_in_one_batch() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = storage("10k");
    let w = start(&builds().v1, &dir);
    let answer = get(&w, "/batch?mode=durable&n=10000&c=batch");
    assert_eq!(answer["ok"], 10_000, "{answer}");
    println!("10,000 durable calls validated in {} ms (in the controller)", answer["ms"]);
    assert_eq!(get(&w, "/durable/status?c=batch")["pending"], 0);
}

/// Soak (ignored by default): rounds of a batch of 500-3,000 durable calls (some with a
/// callee that waits up to 800 ms), workerd killed at a random moment, sometimes killed
/// again while it recovers, and started again; each round every call is handled exactly
/// once. The seed and every kill point are printed.
#[test]
#[ignore = "soak: cargo test -p tests --test durable -- --ignored soak"]
fn soak_random_kill_points() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let seed = env("CALL_CORE_SOAK_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    let rounds = env("CALL_CORE_SOAK_ROUNDS").unwrap_or(10);
    println!("soak: seed {seed} (CALL_CORE_SOAK_SEED={seed} replays it), {rounds} rounds");
    let mut state = seed;
    // xorshift64: enough to pick kill points, and replayable from the seed.
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let started = Instant::now();
    for round in 0..rounds {
        // Its own storage: the callee's count starts at 0.
        let dir = storage(&format!("soak-{round}"));
        let c = format!("soak-{round}");
        let n = 500 + next(2501);
        let after = match next(3) {
            0 => String::new(),
            _ => format!("&after={}", next(801)),
        };
        let mut w = start(&builds().v1, &dir);
        get(&w, &format!("/durable/start?c={c}&n={n}{after}"));
        let first = next(2000);
        std::thread::sleep(Duration::from_millis(first));
        w.stop();
        let mut kills = format!("{first} ms after the batch was written");
        if next(2) == 0 {
            w = start(&builds().v1, &dir);
            let second = next(2500);
            std::thread::sleep(Duration::from_millis(second));
            w.stop();
            kills += &format!(", then {second} ms into the recovery");
        }
        let w = start(&builds().v1, &dir);
        println!("round {round}: {n} calls{after}, SIGKILL {kills}");
        let status = settle(&w, &c, n);
        if after.is_empty() {
            assert_handled_once(&status, n, 1);
        } else {
            // A callee method killed while it waited (before its count) is never run again:
            // its call ends with `OutcomeUnknown`; the callee counted the others once.
            let (ok, _) = callee::assert_handled_once_or_unknown(&w, &c, &status, n);
            assert_eq!(status["callee_effects"], ok, "{status}");
        }
    }
    println!("soak: {rounds} rounds in {:.0} s, every call handled exactly once", started.elapsed().as_secs_f64());
}
