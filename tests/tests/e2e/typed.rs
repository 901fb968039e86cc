//! JavaScript calls a Rust Durable Object's `#[callable]` methods by name (the example's
//! js/typed.mjs calling src/typed.rs): every kind of value, typed errors, wrong arguments;
//! and `tsc` checks a TypeScript caller against the generated `shim.d.ts`.

use serde_json::{json, Value};

use crate::harness::Ctx;

fn value(answer: &Value, case: &str) -> Value {
    answer[case].get("value").cloned().unwrap_or_else(|| panic!("{case}: no value in {}", answer[case]))
}

fn thrown<'a>(answer: &'a Value, case: &str) -> &'a Value {
    answer[case].get("thrown").unwrap_or_else(|| panic!("{case}: nothing thrown: {}", answer[case]))
}

pub fn values_of_every_kind(ctx: &Ctx) {
    let answer = ctx.json("/typed/kinds?name=kinds");
    let expected = [
        ("add", json!(42)),
        ("add_negative", json!(-2)),
        ("greet", json!("hello, wasm")),
        ("greet_unicode", json!("hello, Grüße, 世界")),
        ("sum", json!(-0.25)),
        ("stats", json!({ "count": 3, "total": 16, "max": 9 })),
        ("stats_empty", json!({ "count": 0, "total": 0, "max": null })),
        ("lookup_found", json!(2)),
        ("lookup_missing", json!(null)),
        ("label", json!([7, "n=7"])),
        ("label_null", json!([7, "7"])),
        ("label_left_out", json!([7, "7"])),
        ("divide", json!(4)),
        ("touch", json!("undefined")),
        ("checksum_bytes", json!(253)),
        ("checksum_array", json!(253)),
        ("calls", json!(15)),
    ];
    for (case, want) in expected {
        assert_eq!(value(&answer, case), want, "{case}: {answer}");
    }
}

pub fn typed_error_is_thrown_with_its_value(ctx: &Ctx) {
    let answer = ctx.json("/typed/kinds?name=errors");
    let e = thrown(&answer, "divide_by_zero");
    assert_eq!(e["error"], true, "an Error: {e}");
    assert_eq!(e["app"], "DivideByZero", "the typed error, in its serde form: {e}");
    assert_eq!(e["kind"], "app", "{e}");
    assert!(e["message"].as_str().unwrap().contains("DivideByZero"), "{e}");
}

pub fn wrong_arguments(ctx: &Ctx) {
    let answer = ctx.json("/typed/bad-arguments?name=bad");
    let cases = [
        ("string_for_number", "argument 1 (`a`)"),
        ("missing", "argument 2 (`b`)"),
        ("float_for_integer", "argument 2 (`b`)"),
        ("object_for_array", "argument 1 (`values`)"),
        ("negative_for_unsigned", "argument 1 (`values`)"),
        ("not_json", "not JSON data"),
        ("array_for_map", "argument 1 (`table`)"),
    ];
    for (case, names) in cases {
        let e = thrown(&answer["replies"], case);
        assert_eq!(e["type"], "TypeError", "{case}: {e}");
        if case != "not_json" {
            assert_eq!(e["kind"], "decode", "{case}: {e}");
        }
        let message = e["message"].as_str().unwrap();
        assert!(message.contains(names), "{case}: the message names the parameter: {message}");
        assert!(message.contains("Typed."), "{case}: the message names the method: {message}");
    }
    let panicked = &answer["panicked"]["thrown"];
    assert_eq!(panicked["kind"], "panic", "{answer}");
    assert!(panicked["message"].as_str().unwrap().contains("explode: by name"), "{answer}");
    assert_eq!(answer["after"]["value"], 5, "{answer}");
    assert_eq!(answer["calls"], answer["before"].as_u64().unwrap() + 1, "only the valid call ran: {answer}");
}

pub fn tsc_checks_a_typescript_caller(_ctx: &Ctx) {
    crate::tsc::check_typed_caller();
}

/// What a Rust `call!` of a `#[remote]` method gave: `{"Ok": value}` or `{"Err": error}`.
fn ok(answer: &Value, case: &str) -> Value {
    answer[case].get("Ok").cloned().unwrap_or_else(|| panic!("{case}: not Ok: {}", answer[case]))
}

/// The `CallError::Remote` of `case`: its kind and message.
fn remote_error<'a>(answer: &'a Value, case: &str) -> (&'a str, &'a str) {
    let e = &answer[case]["Err"]["Remote"];
    match (e["kind"].as_str(), e["message"].as_str()) {
        (Some(kind), Some(message)) => (kind, message),
        _ => panic!("{case}: not a remote error: {}", answer[case]),
    }
}

pub fn rust_calls_js_values_of_every_kind(ctx: &Ctx) {
    let answer = ctx.json("/to-js/kinds?name=to-js-kinds&js=to-js-kinds");
    let expected = [
        ("add", json!(42)),
        ("add_negative", json!(-2)),
        ("greet", json!("hi, Grüße, 世界")),
        ("stats", json!({ "count": 3, "total": 16, "max": 9 })),
        ("stats_empty", json!({ "count": 0, "total": 0, "max": null })),
        ("lookup_found", json!(2)),
        ("lookup_missing", json!(null)),
        ("label", json!([7, "n=7"])),
        ("label_none", json!([7, "7"])),
        ("bytes", json!([0, 100, 200, 44])),
        ("nothing", json!(null)),
        ("later", json!(5)),
        ("largest", json!(4_294_967_296_u64)),
    ];
    for (case, want) in expected {
        assert_eq!(ok(&answer, case), want, "{case}: {answer}");
    }
    // Three `add`s ran before `callsSoFar` (a `js_name`): each call ran once.
    assert_eq!(ok(&answer, "calls_so_far"), json!(3), "{answer}");
}

pub fn rust_calls_js_errors_are_typed(ctx: &Ctx) {
    let answer = ctx.json("/to-js/kinds?name=to-js-errors&js=to-js-errors");
    let (kind, message) = remote_error(&answer, "fail");
    assert_eq!(kind, "exception", "a JavaScript exception: {answer}");
    assert!(message.contains("RangeError") && message.contains("no such thing"), "{message}");
    let (kind, message) = remote_error(&answer, "big");
    assert_eq!(kind, "decode", "a BigInt cannot travel as JSON: {answer}");
    assert!(message.contains("BigInt"), "{message}");
    let (kind, message) = remote_error(&answer, "wrong_type");
    assert_eq!(kind, "decode", "a string where u32 is declared: {answer}");
    assert!(message.contains("not a number"), "the message shows the value: {message}");
    let (kind, message) = remote_error(&answer, "missing");
    assert_eq!(kind, "unknown_method", "{answer}");
    assert!(message.contains("missing"), "{message}");
    assert_eq!(answer["timeout"], json!({ "Err": "Timeout" }), "{answer}");
}

pub fn rust_calls_js_with_then_and_in_a_fan_in(ctx: &Ctx) {
    let path = "/to-js/results?name=to-js-then&js=to-js-then";
    ctx.json("/to-js/continued?name=to-js-then&js=to-js-then");
    let results = crate::lifetimes::poll(std::time::Duration::from_secs(60), || {
        let results = ctx.json(path);
        let done = ["then", "then_thrown", "fan_in"].iter().all(|tag| results.get(tag).is_some());
        done.then_some(results)
    })
    .unwrap_or_else(|| panic!("the continuations did not all run: {}", ctx.json(path)));
    assert_eq!(results["then"], json!({ "Ok": 42 }), "{results}");
    let (kind, message) = remote_error(&results, "then_thrown");
    assert_eq!(kind, "exception", "{results}");
    assert!(message.contains("in a then"), "{message}");
    assert_eq!(results["fan_in"], json!({ "js": { "Ok": "hi, fan" }, "rust": { "Ok": 9 } }), "{results}");
}

/// The bench's `/conversion` probe (JSON against serde-wasm-bindgen for the values of a
/// call by name): both ways give back the same value, for every shape.
pub fn conversion_ways_agree(ctx: &Ctx) {
    for shape in ["number", "string", "struct", "array", "map", "bytes"] {
        let [json, swb] = ["json", "swb"].map(|via| ctx.json(&format!("/conversion?via={via}&shape={shape}&k=3")));
        assert_eq!(json["k"], 3, "{json}");
        let last = json["last"].as_str().unwrap_or_default();
        assert!(!last.is_empty() && last != "null", "{shape}: {json}");
        assert_eq!(json["last"], swb["last"], "{shape}: the two ways disagree");
    }
}
