//! The life of a pending call relative to its object. Many Durable Objects of one class
//! share an isolate: these tests use many caller objects at once, reset one while it has
//! calls pending, and try to reach a continuation handler from outside.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::Ctx;

/// Runs `f(i)` for `i` in `0..n` on `n` threads at once.
fn parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = (0..n).map(|i| s.spawn(move || f(i))).collect();
        handles.into_iter().map(|h| h.join().expect("a probe thread panicked")).collect()
    })
}

/// Calls `check` until it answers `Some` (every 50 ms), or `limit` has passed: `None`.
pub(crate) fn poll<T>(limit: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let started = Instant::now();
    loop {
        if let Some(done) = check() {
            return Some(done);
        }
        if started.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The failure measured before deadlines were per object: 20 controller objects each time
/// out a call at once. Each gets its `Timeout` (awaited and continued), in its own object.
pub fn timeouts_in_20_objects(ctx: &Ctx) {
    let answers = parallel(20, |i| ctx.json(&format!("/probe/timeout?c=timeout-{i}")));
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer["awaited"], json!({ "Err": "Timeout" }), "object {i}: {answer}");
        assert_eq!(answer["continued"], json!([{ "Err": "Timeout" }]), "object {i}: {answer}");
    }
}

/// 20 objects, each with 3 fire-and-continue calls and one awaited call, with different
/// timeouts (half of them shorter than the callee takes); half of the objects answer their
/// request at once, so their continuations run after the request has ended. Every call ends
/// exactly once, in the object that made it, with `Ok` or `Timeout` as its timeout says.
pub fn mixed_calls_in_20_objects(ctx: &Ctx) {
    const SLOW: u64 = 200;
    // Shorter than the callee takes (a reply cannot come before SLOW), or long enough that no
    // machine's speed decides: the outcome is fixed by the timeout alone.
    let timeout = |i: usize| if i.is_multiple_of(2) { 60 + 5 * i as u64 } else { 30_000 + 10 * i as u64 };
    let early = |i: usize| i % 4 < 2;
    let expected = |i: usize| if timeout(i) < SLOW { json!({ "Err": "Timeout" }) } else { json!({ "Ok": SLOW }) };
    let first = parallel(20, |i| {
        let flag = if early(i) { "&early=1" } else { "" };
        ctx.json(&format!("/probe/mixed?c=mixed-{i}&n=3&slow={SLOW}&timeout={}{flag}", timeout(i)))
    });
    // Until every object's 3 calls have ended (the early ones' continuations run after
    // their request); then once more, so that a reply that came after its call's end (and
    // must be dropped) had every chance to show as a fourth record.
    let owned = |i: usize| {
        let tag = first[i]["tag"].as_str().unwrap_or_default().to_string();
        ctx.json(&format!("/probe/owned-results?c=mixed-{i}&tag={tag}"))
    };
    let ended = |answer: &Value| answer["results"].as_array().map_or(0, Vec::len) >= 3;
    let pending = poll(Duration::from_secs(60), || {
        let answers = parallel(20, owned);
        answers.iter().all(ended).then_some(())
    });
    assert!(pending.is_some(), "not every object's 3 calls ended within 60 s");
    let results = parallel(20, owned);
    for i in 0..20 {
        let name = format!("mixed-{i}");
        let records = results[i]["results"].as_array().unwrap_or_else(|| panic!("object {i}: {}", results[i]));
        assert_eq!(records.len(), 3, "object {i}: every call ends exactly once: {}", results[i]);
        for record in records {
            assert_eq!(record["result"], expected(i), "object {i} (timeout {} ms): {record}", timeout(i));
            assert_eq!(record["owner"], name, "{record}");
            assert_eq!(record["ran_in"], name, "object {i}: the continuation ran in another object: {record}");
        }
        if !early(i) {
            assert_eq!(first[i]["awaited"], expected(i), "object {i}: {}", first[i]);
        }
    }
}

/// An object reset (`ctx.abort()`) while it has fire-and-continue calls pending: its
/// continuations do not run (nothing runs on the freed object), each lost call is logged
/// with its id, the object comes back fresh, and the other objects keep working.
pub fn reset_object_with_pending_continuations(ctx: &Ctx) {
    let setup = ctx.json("/probe/reset-setup?c=reset-victim&n=5&slow=400");
    let tag = setup["tag"].as_str().unwrap_or_default().to_string();
    let ids: Vec<u64> = setup["call_ids"].as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap();
    assert_eq!(ids.len(), 5, "{setup}");
    ctx.json("/probe/abort?c=reset-victim");
    // Other objects of the isolate keep working, while the victim's calls are still out.
    let others = parallel(4, |i| ctx.json(&format!("/batch?mode=continuation&n=50&c=reset-other-{i}")));
    for answer in &others {
        assert_eq!(answer["ok"], 50, "{answer}");
    }
    // The same Durable Object again: a new instance (once the reset has happened), which has
    // none of the old calls. Binding it abandons the old instance's pending calls, each logged
    // as lost: asked again until every one is.
    let line =
        |id: u64| format!("call {id}: the caller object is gone (reset or evicted), so its continuation `on_owned`");
    let logged = poll(Duration::from_secs(60), || {
        let fresh = ctx.json(&format!("/probe/owned-results?c=reset-victim&tag={tag}"));
        assert_eq!(fresh["results"], json!([]), "{fresh}");
        let log = ctx.workerd.log();
        ids.iter().all(|&id| log.contains(&line(id))).then_some(())
    });
    if logged.is_none() {
        let log = ctx.workerd.log();
        let missing: Vec<&u64> = ids.iter().filter(|&&id| !log.contains(&line(id))).collect();
        panic!("calls {missing:?} were not logged as lost within 60 s; workerd log:\n{log}");
    }
    let runs = ctx.json(&format!("/probe/handler-runs?c=reset-other-0&tag={tag}"));
    assert_eq!(runs["runs"], 0, "a continuation of the reset object ran: {runs}");
    let after = ctx.json("/batch?mode=continuation&n=50&c=reset-victim");
    assert_eq!(after["ok"], 50, "the reset object serves again: {after}");
}

/// 10,000 calls with a one-hour timeout, all finished: the deadline table and its platform
/// timers are back to where they were, and so (within a few KiB) is the Rust heap.
///
/// A first batch of 10,000 raw RPC calls (no call-core code) runs before: it grows buffers
/// of js-sys's promise plumbing to their peak once (about 131 KiB, measured: they stay at
/// that capacity), which would otherwise be counted against the calls measured here.
pub fn finished_calls_leave_no_timers(ctx: &Ctx) {
    assert_eq!(ctx.json("/batch?mode=rpc&n=10000&c=finished")["ok"], 10_000);
    let answer = ctx.json("/probe/finished?n=10000&c=finished");
    assert_eq!(answer["ok"], 10_000, "{answer}");
    let (before, after) = (&answer["before"], &answer["after"]);
    assert_eq!(after["timers"], before["timers"], "{answer}");
    assert_eq!(after["timer_groups"], before["timer_groups"], "{answer}");
    let grew = after["bytes"].as_i64().unwrap_or(i64::MAX) - before["bytes"].as_i64().unwrap_or(0);
    println!("    Rust heap after 10,000 finished calls: {grew:+} bytes");
    assert!(grew < 16 * 1024, "timer memory is not back where it started: {answer}");
}

/// A Rust caller sends a victim object an envelope naming its continuation handler, with a
/// forged result: `UnknownMethod` (which lists nothing), and the handler does not run.
pub fn handler_unreachable_from_rust(ctx: &Ctx) {
    let answer = ctx.json("/probe/call-handler?c=attacker&victim=victim-rust");
    let remote = &answer["result"]["Err"]["Remote"];
    assert_eq!(remote["kind"], "unknown_method", "{answer}");
    assert!(!remote["message"].as_str().unwrap_or_default().contains("ping"), "the method list leaked: {answer}");
    let tag = answer["tag"].as_str().unwrap_or_default();
    assert_eq!(ctx.json(&format!("/probe/handler-runs?c=victim-rust&tag={tag}"))["runs"], 0);
}

/// A JavaScript caller tries the handler's id through `__call`, and the internal entries
/// (`__call_async`, `__call_core_resume`, `__call_core_resume_async`, `__call_core_bind`)
/// by name: `UnknownMethod` for the first, no such RPC method for the others, and the
/// handler does not run.
pub fn handler_unreachable_from_js(ctx: &Ctx) {
    let ids = ctx.json("/probe/handler-ids?c=attacker");
    let id = ids
        .as_array()
        .and_then(|ids| {
            ids.iter().filter_map(Value::as_str).find(|id| id.starts_with("CallDelayController::on_owned#"))
        })
        .unwrap_or_else(|| panic!("no on_owned in {ids}"))
        .replace('#', "%23");
    let answer = ctx.json(&format!("/probe/js-call-handler?id={id}&victim=victim-js"));
    assert_eq!(answer["call"]["answered"]["err"]["remote"]["kind"], "unknown_method", "{answer}");
    for entry in ["call_async", "resume", "resume_async", "bind", "named", "named_async"] {
        let thrown = answer[entry]["thrown"].as_str().unwrap_or_default();
        assert!(thrown.contains("does not implement"), "{entry} is reachable over RPC: {answer}");
    }
    let tag = answer["tag"].as_str().unwrap_or_default();
    assert_eq!(ctx.json(&format!("/probe/handler-runs?c=victim-js&tag={tag}"))["runs"], 0);
}
