//! Facts about workerd's lifetimes that call-core's design relies on, each established by a
//! small experiment in real workerd (the pinned npm `workerd`) and asserted here. The fact
//! sheet with the observations is tests/facts/README.md; the experiments are the JavaScript
//! Durable Objects of tests/facts/facts.mjs. No wasm toolchain is needed.
//!
//! Every test starts its own workerd on a free 127.0.0.1 port with a fresh storage directory
//! under target/facts/, and stops it by its PID (SIGKILL) when done, also on a panic.
//! Run: `cargo test -p tests --test facts` (add `-- --nocapture` to see the measurements;
//! `-- --ignored` runs the slow eviction measurement).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use xtask::http;
use xtask::workerd::{self, Workerd};

const COMPATIBILITY_DATE: &str = "2025-12-01";

/// The exact error workerd raises for I/O on another Durable Object's behalf (F2).
const DIFFERENT_DO: &str = "Error: Cannot perform I/O on behalf of a different Durable Object. I/O objects \
     (such as streams, request/response bodies, and others) created in the context of one Durable Object \
     cannot be accessed from a different Durable Object in the same isolate. This is a limitation of \
     Cloudflare Workers which allows us to improve overall performance.";

/// workerd's config: the facts worker (`main`); the same module in a worker without
/// `handle_cross_request_promise_resolution` (`legacy`, for F2) and in one dated before
/// WeakRefs were enabled (`old`, for F5); SQLite-backed Durable Objects on local disk;
/// `gc()` exposed (F5).
fn config() -> String {
    let worker = |name: &str, date: &str, flags: &str, extra: &str| {
        format!(
            r#"const {name} :Workerd.Worker = (
  modules = [(name = "facts.mjs", esModule = embed "facts.mjs")],
  compatibilityDate = "{date}",
  compatibilityFlags = [{flags}],
  durableObjectNamespaces = [
    (className = "Obj", uniqueKey = "{name}.Obj", enableSql = true),
    (className = "Slow", uniqueKey = "{name}.Slow", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do-storage"),
  bindings = [
    (name = "OBJ", durableObjectNamespace = "Obj"),
    (name = "SLOW", durableObjectNamespace = "Slow"),{extra}
  ],
);
"#
        )
    };
    let main_extra = "\n    (name = \"LEGACY\", service = \"legacy\"),\n    (name = \"OLD\", service = \"old\"),";
    format!(
        r#"# Written by tests/tests/facts.rs.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .main),
    (name = "legacy", worker = .legacy),
    (name = "old", worker = .old),
    (name = "do-storage", disk = (writable = true)),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
  v8Flags = ["--expose-gc"],
);

{}
{}
{}"#,
        worker("main", COMPATIBILITY_DATE, "", main_extra),
        worker("legacy", COMPATIBILITY_DATE, "\"no_handle_cross_request_promise_resolution\"", ""),
        worker("old", "2025-05-04", "", "")
    )
}

/// One workerd running the facts worker, with its own storage directory.
struct Facts {
    workerd: Option<Workerd>,
    dir: PathBuf,
}

impl Facts {
    /// Writes the config into a fresh target/facts/<name>/ and starts workerd there.
    fn start(name: &str) -> Facts {
        let root = xtask::util::workspace_root();
        let dir = root.join("target/facts").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("storage")).unwrap();
        std::fs::copy(root.join("tests/facts/facts.mjs"), dir.join("facts.mjs")).unwrap();
        std::fs::write(dir.join("config.capnp"), config()).unwrap();
        let mut facts = Facts { workerd: None, dir };
        facts.start_again();
        facts
    }

    /// Starts workerd (again) on the same storage directory.
    fn start_again(&mut self) {
        let bin = workerd::npm_workerd().unwrap_or_else(|e| panic!("{e}"));
        let options = workerd::Options { storage: Some(self.dir.join("storage")), ..Default::default() };
        let w = Workerd::start_config(&bin, &self.dir.join("config.capnp"), options).unwrap_or_else(|e| panic!("{e}"));
        self.workerd = Some(w);
    }

    /// SIGKILLs workerd (by its PID) and waits for it; the storage stays.
    fn kill(&mut self) {
        if let Some(mut w) = self.workerd.take() {
            w.stop();
        }
    }

    fn addr(&self) -> SocketAddr {
        self.workerd.as_ref().expect("workerd is running").addr
    }

    fn log(&self) -> String {
        self.workerd.as_ref().map(Workerd::log).unwrap_or_default()
    }

    /// `GET path`: the status and the JSON body.
    fn get(&self, path: &str) -> (u16, Value) {
        let r = http::get(self.addr(), path, Duration::from_secs(20)).unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let body = r.json().unwrap_or_else(|e| panic!("GET {path}: {e}"));
        (r.status, body)
    }

    /// `GET path`, expecting 200.
    fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {body}\nworkerd log:\n{}", self.log());
        body
    }

    /// The isolate's module state, read by the stateless worker: touches no Durable Object.
    fn state(&self) -> Value {
        self.json("/state")
    }

    /// Polls `/state` every 20 ms until `done` holds, for at most `within`.
    fn wait_state(&self, within: Duration, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let state = self.state();
            if done(&state) {
                return state;
            }
            assert!(start.elapsed() < within, "{what}: not within {within:?}; state: {state}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn events_in(state: &Value, ev: &str, tag: Option<&str>) -> Vec<Value> {
    let all = state["events"].as_array().cloned().unwrap_or_default();
    all.into_iter().filter(|e| e["ev"] == ev && tag.is_none_or(|t| e["tag"] == t)).collect()
}

fn ok(v: &Value) -> bool {
    v["ok"] == true
}

fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

/// The time since `start`, in ms.
fn ms(start: Instant) -> u128 {
    start.elapsed().as_millis()
}

// ---- F1 ------------------------------------------------------------------------------------

/// F1: a `setTimeout` armed during a request fires after the response went out, with no
/// request to the object in flight, and its callback can do the object's own I/O (SQL,
/// KV storage, an RPC call to another Durable Object).
#[test]
fn f1_timer_after_response_fires_and_does_io() {
    let f = Facts::start("f1");
    let armed = f.json("/do/Obj/a/f1/arm?delay=1000");
    assert_eq!(armed["armed"], true);
    // Right after the response: not fired yet.
    let early = f.json("/do/Obj/a/info");
    assert!(early["rows"].get("f1").is_none(), "fired before the response was read: {early}");
    // No request to A until well after the timer's time.
    sleep_ms(1300);
    let start = Instant::now();
    let f1 = loop {
        let info = f.json("/do/Obj/a/info");
        if let Some(r) = info["rows"].get("f1") {
            break r.clone();
        }
        assert!(start.elapsed() < Duration::from_secs(5), "the timer never fired: {info}");
        sleep_ms(50);
    };
    println!("F1 observed: {f1}");
    assert_eq!(f1["fired"], true);
    assert_eq!(f1["inflight_at_fire"], 0, "a request to A was in flight when the timer fired");
    assert!(ok(&f1["sql"]), "sql in timer: {f1}");
    assert!(ok(&f1["kv_put"]), "storage.put in timer: {f1}");
    assert_eq!(f1["rpc"], serde_json::json!({"ok": true, "value": 41}), "RPC in timer: {f1}");
    assert_eq!(f1["storage_get"]["value"], "written in timer");
    let info = f.json("/do/Obj/a/info");
    assert_eq!(info["rows"]["f1_sql"], "written in timer");
    assert_eq!(info["instance"], 1, "the same instance throughout");
}

// ---- F2 ------------------------------------------------------------------------------------

/// B (`/do/Obj/b/f2/wait`) waits; A (`/do/Obj/a/f2/wake`) wakes it `via` its timer or its
/// request. Returns B's answer: (status, body), or None if B did not answer within
/// `b_timeout`.
fn cross_wake(f: &Facts, prefix: &str, key: &str, mode: &str, via: &str, b_timeout: Duration) -> Option<(u16, Value)> {
    let addr = f.addr();
    let wait_path = format!("{prefix}/do/Obj/b/f2/wait?key={key}&mode={mode}");
    let waiter = std::thread::spawn(move || {
        http::get(addr, &wait_path, b_timeout).ok().map(|r| (r.status, r.json().unwrap_or(Value::Null)))
    });
    // Wake once B has registered (A answers 409 until then).
    let start = Instant::now();
    loop {
        let (status, body) = f.get(&format!("{prefix}/do/Obj/a/f2/wake?key={key}&via={via}"));
        if status == 200 {
            assert_eq!(body["mode"], mode);
            break;
        }
        assert_eq!(status, 409, "{body}");
        assert!(start.elapsed() < Duration::from_secs(5), "B never waited");
        sleep_ms(10);
    }
    waiter.join().unwrap()
}

/// F2 (a): at compatibility date 2025-12-01, a JavaScript promise created by B and resolved
/// from A's context (A's timer callback or A's request) resumes B in B's own context:
/// B's storage, its SQL, an RPC through a stub B made, and B's response all work.
#[test]
fn f2_promise_resolved_by_other_object_resumes_in_its_own_context() {
    let f = Facts::start("f2a");
    for (i, via) in ["timer", "request"].iter().enumerate() {
        let (status, b) = cross_wake(&f, "", &format!("p{i}"), "promise", via, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("B did not answer (woken via A's {via})"));
        println!("F2 promise woken via A's {via}: {b}");
        assert_eq!(status, 200, "{b}");
        assert_eq!(b["woken_by"], format!("A's {via}"));
        for op in ["sql", "get", "put", "rpc", "rpc_b_stub"] {
            assert!(ok(&b[op]), "{op} failed after a wake-up via A's {via}: {b}");
        }
    }
    // Control: B woken by its own timer.
    let b = f.json("/do/Obj/b/f2/wait?key=self&mode=promise&self=1");
    for op in ["sql", "get", "put", "rpc", "rpc_b_stub"] {
        assert!(ok(&b[op]), "{op} failed in the control: {b}");
    }
}

/// F2 (b): B's code run *by* A — a function of B's called from A's timer or request, or
/// queued with `queueMicrotask` from A's context, as wasm-bindgen-futures' executor runs a
/// woken task — runs in A's I/O context: B's SQL, B's storage and an RPC through a stub B
/// made fail with "Cannot perform I/O on behalf of a different Durable Object"; an RPC
/// through a stub made there from `env` succeeds (it is A's call). B's own response, awaited
/// on a promise B created, still arrives. Control: the same code run from B's own timer
/// works.
#[test]
fn f2_code_of_one_object_run_from_another_objects_context_cannot_do_its_io() {
    let f = Facts::start("f2b");
    let cases = [("callback", "timer"), ("callback", "request"), ("microtask", "timer"), ("microtask", "request")];
    for (i, (mode, via)) in cases.iter().enumerate() {
        let (status, b) = cross_wake(&f, "", &format!("c{i}"), mode, via, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("B did not answer ({mode} via A's {via})"));
        println!("F2 {mode} via A's {via}: {b}");
        assert_eq!(status, 200, "B's response, awaited in B's context, arrives: {b}");
        for (op, io_type) in [
            ("sql", "ActorCacheInterface"),
            ("get", "ActorCacheInterface"),
            ("put", "ActorCacheInterface"),
            ("rpc_b_stub", "OutgoingFactory"),
        ] {
            assert_eq!(b[op]["ok"], false, "{op} worked ({mode} via A's {via}): {b}");
            let err = b[op]["error"].as_str().unwrap_or_default();
            assert_eq!(err, format!("{DIFFERENT_DO} (I/O type: {io_type})"), "{op} ({mode} via A's {via})");
        }
        assert_eq!(b["rpc"], serde_json::json!({"ok": true, "value": 7}), "RPC through a fresh stub: {b}");
    }
    for mode in ["callback", "microtask"] {
        let b = f.json(&format!("/do/Obj/b/f2/wait?key=self-{mode}&mode={mode}&self=1"));
        for op in ["sql", "get", "put", "rpc", "rpc_b_stub"] {
            assert!(ok(&b[op]), "{op} failed in the control ({mode} from B's own timer): {b}");
        }
    }
}

/// F2 (c): without `handle_cross_request_promise_resolution` (flag
/// `no_handle_cross_request_promise_resolution`, the behaviour before 2024-10-14), the
/// promise wake-up of F2 (a) resumes B in A's context: B's storage and SQL fail with the same
/// error, and B's response never arrives.
#[test]
fn f2_legacy_promise_resolution_resumes_in_the_wakers_context() {
    let f = Facts::start("f2c");
    let answer = cross_wake(&f, "/legacy", "legacy", "promise", "timer", Duration::from_secs(2));
    println!("F2 legacy: B's answer within 2 s: {answer:?}");
    assert!(answer.as_ref().is_none_or(|(status, _)| *status != 200), "B answered: {answer:?}");
    let results = events_in(&f.json("/legacy/state"), "f2_result", None);
    let b = &results.first().unwrap_or_else(|| panic!("B's continuation did not run"))["out"];
    println!("F2 legacy: B's ops: {b}");
    for op in ["sql", "get", "put", "rpc_b_stub"] {
        assert_eq!(b[op]["ok"], false, "{op} worked: {b}");
        assert!(b[op]["error"].as_str().unwrap_or_default().starts_with(DIFFERENT_DO), "{op}: {b}");
    }
    assert!(ok(&b["rpc"]), "{b}");
    // Control: B woken by its own timer works in the legacy worker too.
    let b = f.json("/legacy/do/Obj/b/f2/wait?key=self&mode=promise&self=1");
    assert!(["sql", "get", "put", "rpc", "rpc_b_stub"].iter().all(|op| ok(&b[op])), "{b}");
}

// ---- F3 ------------------------------------------------------------------------------------

/// F3: two objects of one class (and the stateless worker) share one isolate: module-level
/// state set by A is read by B.
#[test]
fn f3_objects_of_one_class_share_module_state() {
    let f = Facts::start("f3");
    let value = format!("set-by-a-{}", std::process::id());
    let a = f.json(&format!("/do/Obj/a/f3/set?v={value}"));
    let b = f.json("/do/Obj/b/f3/get");
    println!("F3: A {a}, B {b}");
    assert_eq!(b["got"], value.as_str(), "B does not see A's module state");
    assert_eq!(a["isolate"], b["isolate"], "different isolates");
    let state = f.state();
    assert_eq!(state["shared"]["f3"], value.as_str());
    assert_eq!(state["isolate"], a["isolate"]);
    // Both objects were constructed in that isolate (counted in the same module state).
    assert_eq!(state["constructions"].as_object().map(|m| m.len()), Some(2), "{state}");
}

// ---- F4 ------------------------------------------------------------------------------------

/// F4: `ctx.abort()` in A while A has an RPC call out (received by the callee, answered 500 ms
/// later) and a timer pending. Observed: `abort()` does not return and no catch/finally
/// block of A's runs; the caller of the request gets the abort reason with
/// `durableObjectReset`; the callee finishes and answers, but A's then/catch never runs; the
/// timer never fires; the next request to A constructs a new instance; other objects of the
/// isolate keep their instances and work.
#[test]
fn f4_abort_drops_pending_callbacks_and_resets_the_object() {
    let f = Facts::start("f4");
    let other = f.json("/do/Obj/c/info");
    let (status, body) = f.get("/do/Obj/a/f4/abort?tag=t&ms=500&timer=300");
    println!("F4: caller of the aborting request saw {status} {body}");
    assert_eq!(status, 502, "our forwarder answers 502 when stub.fetch throws: {body}");
    assert_eq!(body["forwarded_error"], "Error: f4 abort");
    assert_eq!(body["durable_object_reset"], true);
    // Wait for the callee's answer, then well past it and past the timer's time.
    let start = Instant::now();
    f.wait_state(Duration::from_secs(5), "the callee's answer", |s| {
        !events_in(s, "slow_answering", Some("t")).is_empty()
    });
    let answered_after = ms(start);
    sleep_ms(300);
    let state = f.state();
    println!("F4: callee answered {answered_after} ms after abort returned; events: {}", state["events"]);
    assert_eq!(events_in(&state, "slow_received", Some("t")).len(), 1, "the call was not in flight");
    assert_eq!(events_in(&state, "f4_before_abort", Some("t")).len(), 1);
    for ev in ["f4_abort_threw", "f4_finally_ran", "f4_abort_returned", "f4_rpc_then", "f4_rpc_catch", "f4_timer_fired"]
    {
        assert!(events_in(&state, ev, Some("t")).is_empty(), "{ev} ran: {}", state["events"]);
    }
    let a = f.json("/do/Obj/a/info");
    assert_eq!(a["instance"], 2, "a new instance after abort: {a}");
    assert_eq!(a["isolate"], other["isolate"], "same isolate");
    let c = f.json("/do/Obj/c/info");
    assert_eq!(c["instance"], 1, "another object keeps its instance: {c}");
    assert_eq!(f.json("/do/Obj/c/f3/get")["isolate"], other["isolate"]);

    // The same with a Durable Object as the caller, over RPC: the call rejects with the
    // abort reason, marked `durableObjectReset`.
    let rpc = f.json("/rpc/f4?name=r&tag=r&ms=500&timer=300");
    println!("F4: a Durable Object calling f4Abort over RPC saw {rpc}");
    assert_eq!(rpc, serde_json::json!({"error": "Error: f4 abort", "durable_object_reset": true, "remote": null}));
    f.wait_state(Duration::from_secs(5), "the callee's answer", |s| {
        !events_in(s, "slow_answering", Some("r")).is_empty()
    });
    sleep_ms(300);
    let state = f.state();
    for ev in ["f4_abort_threw", "f4_finally_ran", "f4_abort_returned", "f4_rpc_then", "f4_rpc_catch", "f4_timer_fired"]
    {
        assert!(events_in(&state, ev, Some("r")).is_empty(), "{ev} ran: {}", state["events"]);
    }
    assert_eq!(f.json("/do/Obj/r/info")["instance"], 2);
}

// ---- F5 ------------------------------------------------------------------------------------

/// F5: after `ctx.abort()` the old instance becomes garbage: its FinalizationRegistry
/// callbacks (for the instance and for an object only it references) run after `gc()`, even
/// though its RPC call is still unanswered and its 100 s timer was pending. Controls: a
/// dropped object is finalized, an object kept in module state and a live object are not.
/// `WeakRef`, `FinalizationRegistry` and (with `v8Flags = ["--expose-gc"]`) `gc` exist.
#[test]
fn f5_aborted_instance_is_garbage_collected() {
    let f = Facts::start("f5");
    let state = f.state();
    assert_eq!(state["weak_ref"], "function");
    assert_eq!(state["finalization_registry"], "function");
    assert_eq!(state["gc"], "function", "--expose-gc did not expose gc()");
    // The day before the `enable_weak_ref` date (2025-05-05) neither exists.
    let old = f.json("/old/state");
    assert_eq!((&old["weak_ref"], &old["finalization_registry"]), (&"undefined".into(), &"undefined".into()));
    let keep = f.json("/do/Obj/keep/f5/controls");
    let a = f.json("/do/Obj/a/info");
    let (status, _) = f.get("/do/Obj/a/f4/abort?tag=f5&ms=3000&timer=100000");
    assert_eq!(status, 502);
    let aborted = Instant::now();
    let key = a["key"].as_str().unwrap().to_string();
    let finalized = |s: &Value, what: &str, key: &str, instance: Option<u64>| {
        s["finalized"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["what"] == what && h["key"] == key && instance.is_none_or(|i| h["instance"] == i))
    };
    let mut gcs = 0;
    let state = loop {
        f.json("/gc"); // callbacks run after the gc request's own turn: look in the next one
        gcs += 1;
        let s = f.state();
        if finalized(&s, "instance", &key, Some(1)) && finalized(&s, "token", &key, Some(1)) {
            break s;
        }
        assert!(aborted.elapsed() < Duration::from_secs(5), "the aborted instance was not finalized: {s}");
        sleep_ms(50);
    };
    let after = ms(aborted);
    println!("F5: finalized after {gcs} gc requests, {after} ms after abort: {}", state["finalized"]);
    assert!(
        events_in(&state, "slow_answering", Some("f5")).is_empty(),
        "the callee had already answered: the pending call did not get a chance to hold the instance"
    );
    let keep_key = keep["key"].as_str().unwrap();
    assert!(finalized(&state, "dropped_control", keep_key, None), "the positive control was not finalized");
    assert!(!finalized(&state, "kept_control", keep_key, None), "a reachable object was finalized");
    assert!(!finalized(&state, "instance", keep_key, None), "a live instance was finalized");
    assert_eq!(f.json("/do/Obj/keep/info")["instance"], 1);
}

// ---- F6 ------------------------------------------------------------------------------------

/// F6: local workerd evicts an idle Durable Object about 10 s after its last request ended
/// (alive at 7 s, a new instance at 12 s; the measurement below narrows it); a pending
/// `setTimeout` keeps it alive (a 20 s timer: still the first instance at 12 s); so does a
/// pending outgoing RPC call (answered after 11 s, its continuation runs in the first
/// instance and writes SQL); the evicted instance becomes garbage (its FinalizationRegistry
/// callback runs after `gc()`).
#[test]
fn f6_idle_eviction_after_about_10s_unless_a_timer_or_call_is_pending() {
    let f = Facts::start("f6");
    let t0 = Instant::now();
    let late = f.json("/do/Obj/late/info");
    f.json("/do/Obj/early/info");
    f.json("/do/Obj/timer/f6/timer?delay=20000");
    f.json("/do/Obj/caller/f6/call?ms=11000&tag=call");
    let at = |ms: u64| {
        let target = Duration::from_millis(ms);
        if let Some(rest) = target.checked_sub(t0.elapsed()) {
            std::thread::sleep(rest);
        }
    };
    at(7000);
    let early = f.json("/do/Obj/early/info");
    let early_at = ms(t0);
    at(12000);
    let late_now = f.json("/do/Obj/late/info");
    let timer = f.json("/do/Obj/timer/info");
    let late_at = ms(t0);
    println!(
        "F6: idle object at {early_at} ms: instance {}; idle object at {late_at} ms: instance {}; \
         object with a pending 20 s timer at {late_at} ms: instance {}",
        early["instance"], late_now["instance"], timer["instance"]
    );
    assert_eq!(early["instance"], 1, "evicted within 7 s");
    assert_eq!(late_now["instance"], 2, "not evicted after 12 s idle");
    assert_eq!(timer["instance"], 1, "the object with a pending timer was evicted");
    let then = events_in(&f.state(), "f6_call_then", Some("call"));
    println!("F6: continuation of the 11 s call: {then:?}");
    let then = then.first().unwrap_or_else(|| panic!("the continuation of the 11 s call did not run"));
    assert_eq!((&then["instance_now"], &then["constructions_now"]), (&1.into(), &1.into()), "{then}");
    assert_eq!(then["sql"], "ok");
    assert_eq!(f.json("/do/Obj/caller/info")["rows"]["f6_call"], "slept 11000");
    // The evicted instance is garbage.
    let key = late["key"].as_str().unwrap();
    let start = Instant::now();
    loop {
        f.json("/gc");
        let s = f.state();
        let done = s["finalized"].as_array().unwrap().iter().any(|h| h["key"] == key && h["instance"] == 1);
        if done {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(3), "the evicted instance was not finalized: {s}");
        sleep_ms(50);
    }
}

/// F6, measured: how long an object stays after its last activity, with a resolution of
/// 0.5 s, for idle objects (last activity: the end of a request) and for objects whose 3 s
/// timer fired (last activity: the timer's callback). Each object is checked once, at its own
/// time. Slow (about 17 s), so ignored by default:
/// `cargo test -p tests --test facts -- --ignored --nocapture`.
#[test]
#[ignore = "measurement, about 17 s"]
fn f6_measure_eviction_delay() {
    let f = Facts::start("f6-measure");
    const TIMER_MS: u128 = 3000;
    let t0 = Instant::now();
    // (name, check at ms since t0, last activity at ms since t0)
    let mut objects: Vec<(String, u128, u128)> = Vec::new();
    for i in 0..=10u128 {
        let (name, at) = (format!("idle-{i}"), 8000 + i * 500);
        f.json(&format!("/do/Obj/{name}/info"));
        objects.push((name, at, ms(t0)));
    }
    for i in 0..=10u128 {
        let (name, at) = (format!("timer-{i}"), 11000 + i * 500);
        f.json(&format!("/do/Obj/{name}/f6/timer?delay={TIMER_MS}"));
        objects.push((name, at, ms(t0) + TIMER_MS));
    }
    objects.sort_by_key(|o| o.1);
    // Per kind: the longest quiet time still alive, the shortest one evicted.
    let mut alive_max = [0u128; 2];
    let mut evicted_min = [u128::MAX; 2];
    for (name, at, last) in &objects {
        if let Some(rest) = Duration::from_millis(*at as u64).checked_sub(t0.elapsed()) {
            std::thread::sleep(rest);
        }
        let info = f.json(&format!("/do/Obj/{name}/info"));
        let quiet = ms(t0) - last;
        let kind = usize::from(name.starts_with("timer"));
        let evicted = info["instance"] == 2;
        println!("F6 measure: {name}: quiet for {quiet} ms: {}", if evicted { "evicted" } else { "alive" });
        if evicted {
            evicted_min[kind] = evicted_min[kind].min(quiet);
        } else {
            alive_max[kind] = alive_max[kind].max(quiet);
        }
    }
    for (kind, label) in ["idle since its last request", "idle since its timer fired"].iter().enumerate() {
        println!("F6 measure: {label}: alive up to {} ms, evicted from {} ms", alive_max[kind], evicted_min[kind]);
        assert!(alive_max[kind] < evicted_min[kind], "{label}: not monotonic");
        assert!((9000..=11000).contains(&evicted_min[kind]), "{label}: evicted from {} ms", evicted_min[kind]);
    }
}

// ---- D1 ------------------------------------------------------------------------------------

/// D1: durable alarms survive a SIGKILL. Two SQLite-backed objects set alarms (300 ms and
/// 1500 ms ahead) and write a row; workerd is killed before either fires and restarted on
/// the same storage 600 ms after the alarms were set. With no request to either object,
/// both alarm handlers run in the new process: the overdue one right after the start, the
/// other at its time; the rows from before the kill are there.
#[test]
fn d1_alarm_survives_kill_and_fires_without_a_request() {
    let mut f = Facts::start("d1");
    let set = Instant::now();
    let due = f.json("/do/Obj/due/d1/set?ms=300");
    let later = f.json("/do/Obj/later/d1/set?ms=1500");
    f.kill();
    let killed_at = ms(set);
    assert!(killed_at < 300, "too slow to kill before the first alarm ({killed_at} ms)");
    sleep_ms(600u64.saturating_sub(killed_at as u64));
    f.start_again();
    let restarted = Instant::now();
    let restarted_at = ms(set);
    let key = |v: &Value| v["key"].as_str().unwrap().to_string();
    let (due_key, later_key) = (key(&due), key(&later));
    let mut seen: [Option<u128>; 2] = [None, None];
    let state = loop {
        let s = f.state();
        for (i, k) in [&due_key, &later_key].iter().enumerate() {
            if seen[i].is_none() && events_in(&s, "alarm", None).iter().any(|e| e["key"] == k.as_str()) {
                seen[i] = Some(ms(set));
            }
        }
        if seen.iter().all(Option::is_some) {
            break s;
        }
        assert!(restarted.elapsed() < Duration::from_secs(5), "alarms after restart: {s}");
        sleep_ms(20);
    };
    println!(
        "D1: set at 0 ms (due at 300 and 1500), killed at {killed_at} ms, restarted at {restarted_at} ms; \
         the overdue alarm ran by {} ms, the other by {} ms (polled every 20 ms); events: {}",
        seen[0].unwrap(),
        seen[1].unwrap(),
        state["events"]
    );
    assert!(seen[0].unwrap() < restarted_at + 1000, "the overdue alarm waited");
    assert!(seen[1].unwrap() >= 1500, "the alarm ran early");
    // Constructed by the alarm alone: our only requests so far went to the stateless worker.
    for k in [&due_key, &later_key] {
        assert_eq!(state["constructions"][k.as_str()], 1, "{state}");
    }
    for name in ["due", "later"] {
        let rows = &f.json(&format!("/do/Obj/{name}/info"))["rows"];
        assert!(rows.get("d1_before_kill").is_some(), "{name}: the row from before the kill is gone: {rows}");
        assert_eq!(rows["alarm_ran"]["instance"], 1, "{name}: {rows}");
    }
}

// ---- D2 ------------------------------------------------------------------------------------

/// D2: `transactionSync` whose callback throws rolls its writes back (they were visible
/// inside); a successful one commits; a plain `sql.exec` write, not awaited, is durable once
/// the handler has answered: SIGKILL right after the answer and restart shows the same rows.
#[test]
fn d2_transaction_sync_rolls_back_and_unawaited_writes_are_durable() {
    let mut f = Facts::start("d2");
    let r = f.json("/do/Obj/d2/d2/run");
    f.kill();
    println!("D2: {r}");
    assert_eq!(r["rolled"], serde_json::json!({"ok": false, "error": "Error: abandon this transaction"}));
    assert_eq!(r["seen_inside_before_throw"], 1, "the write was not visible inside the transaction");
    assert!(ok(&r["committed"]), "{r}");
    assert_eq!(r["rows"], serde_json::json!(["committed", "plain"]));
    f.start_again();
    let after = f.json("/do/Obj/d2/d2/rows");
    println!("D2 after SIGKILL and restart: {after}");
    assert_eq!(after["rows"], serde_json::json!(["committed", "plain"]));
}

// ---- D3 ------------------------------------------------------------------------------------

/// D3: the output gate holds an outgoing RPC call made after a write until the write is
/// committed. A write that SQLite accepts but whose commit fails (a deferred foreign key)
/// followed, in the same synchronous turn, by an RPC call: the callee never receives the call
/// and the caller is reset. Controls: a good write followed by the call — received; the call
/// made *before* the same failing write in the same turn — received, though the commit fails.
#[test]
fn d3_output_gate_holds_rpc_until_the_write_commits() {
    let f = Facts::start("d3");
    let good = f.json("/do/Obj/good/d3/run?tag=good&order=write_first");
    assert_eq!(good["reply"], serde_json::json!({"ok": true, "value": "good"}));
    let (status, gated) = f.get("/do/Obj/gated/d3/run?tag=gated&order=write_first&bad=1");
    println!("D3: write then call, commit fails: {status} {gated}");
    assert_eq!(status, 502, "{gated}");
    let reset = "Error: Durable Object was reset and rolled back to its last known good state because the \
                 application left the database in a state where constraints were violated: FOREIGN KEY \
                 constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)";
    assert_eq!(gated["forwarded_error"], reset);
    let (status, ungated) = f.get("/do/Obj/ungated/d3/run?tag=ungated&order=call_first&bad=1");
    println!("D3: call then write, commit fails: {status} {ungated}");
    assert_eq!(status, 502, "{ungated}");
    assert_eq!(ungated["forwarded_error"], reset);
    // The later, ungated call arrives; by then the earlier one would have too.
    let state = f.wait_state(Duration::from_secs(5), "the ungated call", |s| {
        !events_in(s, "note_received", Some("ungated")).is_empty()
    });
    sleep_ms(200);
    let state2 = f.state();
    println!("D3: received by the callee: {}", state2["events"]);
    assert_eq!(events_in(&state, "note_received", Some("good")).len(), 1);
    assert!(events_in(&state2, "note_received", Some("gated")).is_empty(), "the gated call was delivered");
    // The reset object starts over with a new instance and its good state.
    assert_eq!(f.json("/do/Obj/gated/info")["instance"], 2);
}
