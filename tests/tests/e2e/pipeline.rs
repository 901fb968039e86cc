//! Nested calls and fan-in in workerd: the batch modes, typed errors through a chain, a
//! timeout of one fan-in member, cancellation, plans at the limits, many caller objects.

use serde_json::json;

use crate::harness::Ctx;

const SIZES: [u32; 3] = [10, 50, 500];

fn all_valid(ctx: &Ctx, mode: &str) {
    for n in SIZES {
        let answer = ctx.json(&format!("/batch?mode={mode}&n={n}"));
        assert_eq!(answer["mode"], mode, "{answer}");
        assert_eq!(answer["ok"], n, "{mode} at N={n}: {answer}");
    }
}

/// `pipeline` (one nested `call!` per chain of 3), `pipeline-rpc` (3 raw RPCs per chain) and
/// `pipeline-js` (3 awaited JavaScript RPCs per chain): every chain's result validated.
pub fn batch_pipeline(ctx: &Ctx) {
    for mode in ["pipeline", "pipeline-rpc", "pipeline-js"] {
        all_valid(ctx, mode);
    }
}

/// `fanin` (a fan-in of two objects, one continuation each) and `fanin-join`.
pub fn batch_fanin(ctx: &Ctx) {
    for mode in ["fanin", "fanin-join"] {
        all_valid(ctx, mode);
    }
}

/// Nested calls awaited and continued: borrowed parameters along a chain, a mix of values
/// and nested calls, a failing inner step (typed, the plan stops), an infallible outer
/// method taking the inner error type, a panic in an inner step, a timeout over the plan.
pub fn nested(ctx: &Ctx) {
    let answer = ctx.json("/probe/nested");
    assert_eq!(answer["chain"], json!({ "Ok": 6 }), "len(upper(word(7))) = len(\"CALL-7\"): {answer}");
    assert_eq!(answer["mixed"], json!({ "Ok": 7 }), "divide(negate(divide(70, 2)), -5): {answer}");
    assert_eq!(answer["inner_fails"], json!({ "Err": { "App": "DivideByZero" } }), "{answer}");
    assert_eq!(answer["outer_infallible"], json!({ "Err": { "App": "DivideByZero" } }), "{answer}");
    let panic = &answer["inner_panics"]["Err"]["Remote"];
    assert_eq!(panic["kind"], "panic", "{answer}");
    assert!(panic["message"].as_str().unwrap_or_default().contains("boom: inner"), "{answer}");
    assert_eq!(answer["timeout"], json!({ "Err": "Timeout" }), "{answer}");
    assert_eq!(answer["continued"], json!([{ "Ok": -3 }, { "Err": { "App": "DivideByZero" } }]), "{answer}");
}

/// The limits apply to the whole plan: a chain 16 deep and a plan of 64 steps (the limits)
/// run; arguments that fit one by one but not together are refused before sending.
pub fn nested_limits(ctx: &Ctx) {
    let answer = ctx.json("/probe/nested-limits");
    assert_eq!(answer["deep"], json!({ "Ok": 65535 }), "echo applied 16 times to 0: {answer}");
    assert_eq!(answer["wide"], json!({ "Ok": 215 }), "the length of call-1…call-32: {answer}");
    let refused = answer["too_big"]["Err"].as_str().unwrap_or_default();
    assert!(refused.starts_with("limit: the envelope of") && refused.contains("exceeds the limit"), "{answer}");
}

/// A fan-in of two `Ledger` balances, awaited and continued; one member times out (the
/// other keeps its result, the continuation runs once); a cancelled fan-in continues once
/// with every pending member `Cancelled`.
pub fn fanin(ctx: &Ctx) {
    let account = format!("fan-{}", std::process::id());
    let answer = ctx.json(&format!("/probe/fanin?account={account}"));
    let balances = json!([{ "Ok": 100 }, { "Ok": 50 }]);
    assert_eq!(answer["deposits"], balances, "{answer}");
    assert_eq!(answer["balances"], balances, "{answer}");
    assert_eq!(answer["continued"], json!([balances]), "{answer}");
    assert_eq!(answer["timed_out"], json!([[{ "Err": "Timeout" }, { "Ok": 7 }]]), "{answer}");
    assert_eq!(answer["cancelled"], json!([[{ "Err": "Cancelled" }, { "Err": "Cancelled" }]]), "{answer}");
    assert_eq!((answer["first_cancel"].clone(), answer["second_cancel"].clone()), (json!(true), json!(false)));
    assert_eq!(answer["finished"], true, "{answer}");
}

/// 20 controller objects of one isolate at once, each running nested calls and fan-ins with
/// continuations: every result validated in its own object.
pub fn many_objects(ctx: &Ctx) {
    let answers: Vec<serde_json::Value> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let mode = if i % 2 == 0 { "fanin" } else { "pipeline" };
                s.spawn(move || (mode, ctx.json(&format!("/batch?mode={mode}&n=100&rounds=3&c=objects-{i}"))))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a request thread panicked").1).collect()
    });
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer["ok"], 300, "object {i}: {answer}");
    }
}

/// 10,000 chains and 10,000 fan-ins (20,000 calls) in one batch each, validated.
pub fn load(ctx: &Ctx) {
    for mode in ["pipeline", "fanin"] {
        let answer = ctx.json(&format!("/batch?mode={mode}&n=10000&timeout={}", crate::load::LOAD_TIMEOUT_MS));
        assert_eq!(answer["ok"], 10_000, "{mode}: {answer}");
        println!("    {mode}: 10000 validated in {} ms (in the controller)", answer["ms"]);
    }
}
