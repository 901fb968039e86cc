//! The chaos soak (ignored; outside `cargo xtask test`): everything the durable calls must
//! survive, at once, on one storage directory across rounds:
//!
//! * durable calls to callee methods that await (`/durable/start?after=MS`: `Tally` waits,
//!   then counts; `/durable/write-then-wait`: `Tally` counts, then waits, when the example
//!   has it);
//! * workerd SIGKILLed (by its PID) at a random moment during them, sometimes again during
//!   the recovery, and started again on the same storage;
//! * resets of the caller (`/probe/abort`) and of the callee (`/tally-reset`);
//! * hostile envelopes (`/probe/js-bad-input` to `RemoteDo`, and `/durable/raw` to `Tally`
//!   when the example has it) and floods of durable calls from a second caller;
//! * tiny (1–50 ms) and huge timeouts (`u64::MAX` ms, "no timeout"; or one year with
//!   `CALL_CORE_CHAOS_HUGE=year`) on `/durable/slow`.
//!
//! After each round it checks and prints the invariants, for every caller of the round:
//! every call handled exactly once (`handled == started`, `duplicates == 0`, nothing
//! pending or dead), the callee's effects at most the calls that can make one (exactly
//! as many while only `bump` ran), `Tally`'s reply records bounded by those calls
//! (`/tally-records`, when the example has it; `CALL_CORE_CHAOS_RECORDS_MAX` caps them
//! further), and `/durable/status` answered 200 every time it was asked. An action whose
//! route answers 404 is skipped, and said so once.
//!
//! `cargo test -p tests --test durable -- --ignored chaos --nocapture`, with
//! `CALL_CORE_CHAOS_SECS` (default 120) and `CALL_CORE_CHAOS_SEED` (replays a printed seed).

use std::collections::BTreeSet;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use xtask::workerd::Workerd;

use super::{builds, start, storage, SERIAL};

/// xorshift64: replayable from the seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// `GET path`: its status and JSON body (`Null` when it is not JSON), or the error.
fn try_get(addr: std::net::SocketAddr, path: &str) -> Result<(u16, Value), String> {
    let answer = xtask::http::get(addr, path, Duration::from_secs(120)).map_err(|e| e.to_string())?;
    Ok((answer.status, answer.json().unwrap_or(Value::Null)))
}

/// What the soak has done so far, over all rounds.
#[derive(Default)]
struct Totals {
    /// Durable calls to `Tally` methods that count (each may count once at most): the
    /// `started` of the callers that call only `Tally`.
    tally_calls: u64,
    /// Hostile envelopes sent to `Tally` (each might count, were it misread as a call).
    tally_raw: u64,
    /// Whether a method that counts before an `await` ran (then effects may be fewer).
    write_then_wait: bool,
    /// Resets of `Tally` (a call it was running may end without its effect).
    callee_resets: u64,
    /// Actions skipped because the example lacks their route.
    missing: BTreeSet<String>,
    /// `/durable/status` answers, all 200.
    status_answers: u64,
    kills: u64,
    calls: u64,
}

/// A request of an action: answered (200), missing (404: skipped, said once), or failed
/// (another status, or workerd was killed under it: the soak goes on).
fn act(totals: &mut Totals, w: &Workerd, route: &str, path: &str) -> Option<Value> {
    match try_get(w.addr, path) {
        Ok((200, body)) => Some(body),
        Ok((404, _)) => {
            if totals.missing.insert(route.to_string()) {
                println!("  (the example has no {route}: that action is skipped)");
            }
            None
        }
        Ok((status, body)) => {
            println!("  {path} answered {status}: {body}");
            None
        }
        Err(e) => {
            println!("  {path}: {e}");
            None
        }
    }
}

/// Runs `path` on another thread (a flood or hostile traffic, killed with workerd at times).
fn beside(w: &Workerd, path: String) -> JoinHandle<Result<(u16, Value), String>> {
    let addr = w.addr;
    std::thread::spawn(move || try_get(addr, &path))
}

/// Polls `/durable/status?c=c` until nothing is pending and every started call is handled
/// (or 120 s passed); every answer must be 200. The last status.
fn settle_all(totals: &mut Totals, w: &Workerd, c: &str) -> Value {
    let started = Instant::now();
    loop {
        let path = format!("/durable/status?c={c}");
        let (status, body) = try_get(w.addr, &path).unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(
            status,
            200,
            "invariant: /durable/status always answers 200; {path}: {body}\nworkerd log:\n{}",
            w.log()
        );
        totals.status_answers += 1;
        let settled = body["pending"] == 0 && body["handled"].as_u64() >= body["started"].as_u64();
        if (settled && body["callee_effects"].is_u64()) || started.elapsed() > Duration::from_secs(120) {
            return body;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
#[ignore = "chaos soak: cargo test -p tests --test durable -- --ignored chaos --nocapture"]
fn chaos_soak() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let seed = env("CALL_CORE_CHAOS_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    let secs = env("CALL_CORE_CHAOS_SECS").unwrap_or(120);
    let records_max = env("CALL_CORE_CHAOS_RECORDS_MAX");
    let huge = match std::env::var("CALL_CORE_CHAOS_HUGE").as_deref() {
        Ok("year") => 365 * 24 * 3_600_000,
        _ => u64::MAX,
    };
    println!("chaos: seed {seed} (CALL_CORE_CHAOS_SEED={seed} replays it), {secs} s, huge timeout {huge} ms");
    let mut rng = Rng(seed);
    let dir = storage("chaos");
    let mut w = start(&builds().v1, &dir);
    // A valid method id for the hostile envelopes of the JavaScript caller.
    let echo = try_get(w.addr, "/probe/methods")
        .ok()
        .and_then(|(_, m)| {
            m.as_array()?
                .iter()
                .filter_map(Value::as_str)
                .find(|m| m.starts_with("RemoteDo::echo#"))
                .map(str::to_string)
        })
        .map(|id| id.replace('#', "%23"));
    let mut totals = Totals::default();
    let started = Instant::now();
    let mut round = 0u64;
    while started.elapsed() < Duration::from_secs(secs) {
        let (main, flood, slow) = (format!("chaos-{round}"), format!("flood-{round}"), format!("slow-{round}"));
        let mut did = Vec::new();
        let mut side = Vec::new();
        // Durable calls to awaiting callee methods.
        let n = 50 + rng.below(400);
        let after = rng.below(1500);
        if act(&mut totals, &w, "/durable/start", &format!("/durable/start?c={main}&n={n}&after={after}")).is_some() {
            did.push(format!("{n} calls of bump_after({after})"));
        }
        if rng.chance(70) {
            let (n, ms) = (20 + rng.below(200), rng.below(2000));
            let path = format!("/durable/write-then-wait?c={main}&n={n}&ms={ms}");
            if act(&mut totals, &w, "/durable/write-then-wait", &path).is_some() {
                totals.write_then_wait = true;
                did.push(format!("{n} calls of write-then-wait({ms})"));
            }
        }
        // Tiny and huge timeouts.
        if rng.chance(60) {
            let (n, ms, timeout) = (1 + rng.below(20), 200 + rng.below(2500), 1 + rng.below(50));
            if act(&mut totals, &w, "/durable/slow", &format!("/durable/slow?c={slow}&n={n}&ms={ms}&timeout={timeout}"))
                .is_some()
            {
                did.push(format!("{n} slow({ms}) with timeout {timeout} ms"));
            }
        }
        if rng.chance(60) {
            let (n, ms) = (1 + rng.below(20), 100 + rng.below(2000));
            if act(&mut totals, &w, "/durable/slow", &format!("/durable/slow?c={slow}&n={n}&ms={ms}&timeout={huge}"))
                .is_some()
            {
                did.push(format!("{n} slow({ms}) with timeout {huge} ms"));
            }
        }
        // A flood from a second caller, and hostile envelopes, beside the rest.
        if rng.chance(50) {
            let n = 500 + rng.below(2500);
            side.push(("flood", n, beside(&w, format!("/durable/start?c={flood}&n={n}"))));
            did.push(format!("a flood of {n} calls from {flood}"));
        }
        if rng.chance(50) {
            if let Some(echo) = &echo {
                side.push(("hostile-js", 0, beside(&w, format!("/probe/js-bad-input?id={echo}"))));
                did.push("hostile envelopes to RemoteDo".into());
            }
            let n = 1 + rng.below(500);
            side.push(("raw", n, beside(&w, format!("/durable/raw?c=hostile-{round}&n={n}"))));
        }
        // Resets of the caller and of the callee.
        if rng.chance(30) {
            act(&mut totals, &w, "/probe/abort", &format!("/probe/abort?c={main}"));
            did.push("caller reset".into());
        }
        if rng.chance(30) && act(&mut totals, &w, "/tally-reset", "/tally-reset").is_some() {
            totals.callee_resets += 1;
            did.push("callee reset".into());
        }
        // SIGKILL during the calls, sometimes again during the recovery.
        let first = rng.below(2500);
        std::thread::sleep(Duration::from_millis(first));
        let mut kills = Vec::new();
        if rng.chance(85) {
            w.stop();
            kills.push(format!("{first} ms in"));
            w = start(&builds().v1, &dir);
            if rng.chance(40) {
                let second = rng.below(2500);
                std::thread::sleep(Duration::from_millis(second));
                w.stop();
                kills.push(format!("{second} ms into the recovery"));
                w = start(&builds().v1, &dir);
            }
        }
        totals.kills += kills.len() as u64;
        for (what, n, handle) in side {
            match handle.join().expect("a side thread panicked") {
                Ok((200, _)) if what == "raw" => {
                    totals.tally_raw += n;
                    did.push(format!("{n} hostile envelopes to Tally"));
                }
                Ok((404, _)) if what == "raw" && totals.missing.insert("/durable/raw".into()) => {
                    println!("  (the example has no /durable/raw: that action is skipped)");
                }
                // Killed under it, or refused: what was written is in the status.
                _ => {}
            }
        }
        println!(
            "round {round}: {}; SIGKILL: {}",
            did.join(", "),
            if kills.is_empty() { "none".into() } else { kills.join(", then ") }
        );
        // The invariants, for every caller of the round.
        let mut effects = None;
        for c in [&main, &flood, &slow] {
            let status = settle_all(&mut totals, &w, c);
            let n = status["started"].as_u64().unwrap_or(0);
            totals.calls += n;
            if c != &slow {
                // Every call of these two callers goes to `Tally`; a batch written just
                // before a kill counts though its request never answered.
                totals.tally_calls += n;
            }
            println!("  {c}: {status}");
            assert_eq!(status["pending"], 0, "{c}: every call ended (round {round}, seed {seed}): {status}");
            assert_eq!(status["handled"], n, "{c}: every call handled (round {round}, seed {seed}): {status}");
            assert_eq!(status["duplicates"], 0, "{c}: no call handled twice (round {round}, seed {seed}): {status}");
            assert_eq!(status["dead"], 0, "{c}: no dead letter (round {round}, seed {seed}): {status}");
            effects = status["callee_effects"].as_u64().or(effects);
        }
        let effects = effects.unwrap_or_else(|| panic!("round {round}: no callee_effects (seed {seed})"));
        let bound = totals.tally_calls + totals.tally_raw;
        println!("  Tally: {effects} effects of {} calls ({} hostile envelopes)", totals.tally_calls, totals.tally_raw);
        assert!(effects <= bound, "callee effects {effects} > calls {bound} (round {round}, seed {seed})");
        if !totals.write_then_wait && totals.tally_raw == 0 && totals.callee_resets == 0 {
            assert_eq!(
                effects, totals.tally_calls,
                "bump counts in the turn of its record: exactly once (seed {seed})"
            );
        }
        if let Some(records) = act(&mut totals, &w, "/tally-records", "/tally-records") {
            let rows = records["rows"].as_u64().unwrap_or(u64::MAX);
            println!("  Tally's reply records: {rows}");
            assert!(rows <= bound, "records {rows} > calls {bound} (round {round}, seed {seed})");
            if let Some(max) = records_max {
                assert!(rows <= max, "records {rows} > CALL_CORE_CHAOS_RECORDS_MAX {max} (round {round}, seed {seed})");
            }
        }
        round += 1;
    }
    println!(
        "chaos: {round} rounds in {:.0} s, {} calls, {} SIGKILLs, every call handled exactly once, {} status answers all 200 (seed {seed}; skipped: {:?})",
        started.elapsed().as_secs_f64(),
        totals.calls,
        totals.kills,
        totals.status_answers,
        totals.missing
    );
}
