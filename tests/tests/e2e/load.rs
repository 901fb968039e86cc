//! 10,000 concurrent calls in one batch, every result validated: no hang (bounded by the
//! harness's HTTP timeout, not asserted as a speed), and the memory they hold.

use crate::harness::Ctx;

const N: u32 = 10_000;

fn batch(ctx: &Ctx, mode: &str) {
    let answer = ctx.json(&format!("/batch?mode={mode}&n={N}"));
    assert_eq!(answer["ok"], N, "{mode}: {answer}");
    println!("    {mode}: {N} calls validated in {} ms (in the controller)", answer["ms"]);
}

pub fn call_10k(ctx: &Ctx) {
    batch(ctx, "call");
}

pub fn continuation_10k(ctx: &Ctx) {
    batch(ctx, "continuation");
}

/// Rust heap bytes per pending call, awaited and fire-and-continue, printed for the
/// record; asserted only to be measured (non-zero) with every call answered.
pub fn memory_per_pending_call(ctx: &Ctx) {
    for mode in ["call", "continuation"] {
        let answer = ctx.json(&format!("/probe/memory?n={N}&mode={mode}"));
        assert_eq!(answer["ok"], N, "{answer}");
        assert_eq!(answer["timers_after_issue"], N, "every pending call has a deadline: {answer}");
        assert_eq!(answer["timers_now"], 0, "deadlines are released with the calls: {answer}");
        assert_eq!(answer["timer_groups_after_issue"], 1, "one platform timer for the whole batch: {answer}");
        assert_eq!(answer["timer_groups_now"], 0, "the batch's platform timer is cleared with it: {answer}");
        let per_call = answer["bytes_per_pending_call"].as_f64().unwrap_or(0.0);
        assert!(per_call > 0.0, "{answer}");
        println!("    {mode}: {per_call:.0} bytes of Rust heap per pending call (N = {N})");
    }
}
