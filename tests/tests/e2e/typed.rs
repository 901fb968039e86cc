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
    assert_eq!(answer["after"]["value"], 5, "{answer}");
    assert_eq!(answer["calls"], answer["before"].as_u64().unwrap() + 1, "only the valid call ran: {answer}");
}

pub fn tsc_checks_a_typescript_caller(_ctx: &Ctx) {
    crate::tsc::check_typed_caller();
}
