//! `/batch` in every mode: N concurrent calls, every result validated by the controller.

use crate::harness::Ctx;

const SIZES: [u32; 3] = [10, 50, 500];

fn all_valid(ctx: &Ctx, mode: &str) {
    for n in SIZES {
        let answer = ctx.json(&format!("/batch?mode={mode}&n={n}"));
        assert_eq!(answer["mode"], mode, "{answer}");
        assert_eq!(answer["n"], n, "{answer}");
        assert_eq!(answer["ok"], n, "{mode} at N={n}: {answer}");
    }
}

pub fn rpc(ctx: &Ctx) {
    all_valid(ctx, "rpc");
}

pub fn js(ctx: &Ctx) {
    all_valid(ctx, "js");
}

pub fn call(ctx: &Ctx) {
    all_valid(ctx, "call");
}

pub fn continuation(ctx: &Ctx) {
    all_valid(ctx, "continuation");
}

/// The ablation modes validate like the others (they feed the bench's cost breakdown).
pub fn ablations(ctx: &Ctx) {
    for mode in ["rpc-string", "rpc-envelope", "rpc-bytes", "rpc-object"] {
        all_valid(ctx, mode);
    }
}

/// Rust calling a JavaScript Durable Object: with `call!` (`#[remote]`) and by hand.
pub fn rust_to_js(ctx: &Ctx) {
    for mode in ["rust-to-js", "rust-to-js-raw"] {
        all_valid(ctx, mode);
    }
}
