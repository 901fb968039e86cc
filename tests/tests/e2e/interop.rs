//! The generated entry: Rust Durable Objects serve native RPC to JavaScript, and Rust
//! calls JavaScript Durable Objects.

use crate::harness::Ctx;

pub fn js_to_rust(ctx: &Ctx) {
    for i in [0, 7, 1_000_000] {
        let answer = ctx.json(&format!("/probe/js-to-rust?i={i}"));
        assert_eq!(answer["value"], i * 2 + 1, "{answer}");
        assert_eq!(answer["ok"], true, "{answer}");
    }
}

pub fn rust_to_js(ctx: &Ctx) {
    for i in [0, 7, 1_000_000] {
        let answer = ctx.json(&format!("/probe/rust-to-js?i={i}"));
        assert_eq!(answer["value"], f64::from(i * 2 + 1), "{answer}");
        assert_eq!(answer["ok"], true, "{answer}");
    }
}
