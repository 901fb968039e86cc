//! Faults and hostile input: every one gets a typed error, and the callee keeps serving.

use serde_json::{json, Value};

use crate::harness::Ctx;

/// A callee slower than the timeout: `Timeout` for the awaited form; the continuation runs
/// exactly once with `Timeout` and the late reply is dropped.
pub fn timeout(ctx: &Ctx) {
    let answer = ctx.json("/probe/timeout");
    assert_eq!(answer["awaited"], json!({ "Err": "Timeout" }), "{answer}");
    assert_eq!(answer["continued"], json!([{ "Err": "Timeout" }]), "{answer}");
}

/// `CallHandle::cancel` runs the continuation once with `Cancelled`; a second cancel is
/// refused; the late reply is dropped.
pub fn cancel(ctx: &Ctx) {
    let answer = ctx.json("/probe/cancel");
    assert_eq!(answer["first_cancel"], true, "{answer}");
    assert_eq!(answer["second_cancel"], false, "{answer}");
    assert_eq!(answer["finished"], true, "{answer}");
    assert_eq!(answer["continued"], json!([{ "Err": "Cancelled" }]), "{answer}");
}

/// A JavaScript callee that throws from `__call`: `Remote` of kind `exception`.
pub fn js_callee_throws(ctx: &Ctx) {
    let answer = ctx.json("/probe/callee-js-throws");
    let remote = &answer["result"]["Err"]["Remote"];
    assert_eq!(remote["kind"], "exception", "{answer}");
    assert!(remote["message"].as_str().unwrap_or_default().contains("does not take envelopes"), "{answer}");
    assert_eq!(answer["after"], json!({ "Ok": 5 }), "{answer}");
}

/// A Durable Object class without a `#[continuation]` entry: `Remote` of kind
/// `unknown_method`, naming `__call`.
pub fn no_entry(ctx: &Ctx) {
    let answer = ctx.json("/probe/no-entry");
    let remote = &answer["result"]["Err"]["Remote"];
    assert_eq!(remote["kind"], "unknown_method", "{answer}");
    assert!(remote["message"].as_str().unwrap_or_default().contains("__call"), "{answer}");
}

/// From a JavaScript caller straight to a Rust Durable Object's `__call`: each hostile input
/// gets the expected typed error, and a valid call afterwards succeeds.
pub fn bad_input(ctx: &Ctx) {
    let methods = ctx.json("/probe/methods");
    let echo = methods
        .as_array()
        .and_then(|m| m.iter().filter_map(Value::as_str).find(|id| id.starts_with("RemoteDo::echo#")))
        .unwrap_or_else(|| panic!("no RemoteDo::echo in {methods}"))
        .to_string();
    let answer = ctx.json(&format!("/probe/js-bad-input?id={}", echo.replace('#', "%23")));
    let expected = [
        ("random_bytes", "decode"),
        ("random_text", "decode"),
        ("truncated_json", "decode"),
        ("empty_object", "decode"),
        ("not_a_string", "decode"),
        ("wrong_version", "version_mismatch"),
        ("unknown_method", "unknown_method"),
        ("old_signature", "version_mismatch"),
        ("wrong_argument_types", "decode"),
        ("wrong_argument_count", "decode"),
        ("huge_array", "decode"),
        ("deeply_nested", "decode"),
        ("past_deadline", "deadline_exceeded"),
        ("forward_reference", "limit"),
    ];
    let replies = &answer["replies"];
    assert_eq!(replies.as_object().map(|r| r.len()), Some(expected.len()), "{answer}");
    for (case, kind) in expected {
        assert_eq!(replies[case]["err"]["remote"]["kind"], kind, "{case}: {}", replies[case]);
    }
    assert_eq!(answer["valid"], json!({ "ok": 41 }), "{answer}");
}
