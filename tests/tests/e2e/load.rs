//! 10,000 concurrent calls in one batch, every result validated: no hang (bounded by the
//! harness's HTTP timeout, not asserted as a speed), and the memory they hold.

use crate::harness::Ctx;

const N: u32 = 10_000;

/// The calls' timeout in the load batches (ms): no machine's speed decides their outcome
/// (under two CPU hogs and a release compile, 10,000 fan-ins took over 30 s, the default).
pub const LOAD_TIMEOUT_MS: u64 = 600_000;

fn batch(ctx: &Ctx, mode: &str) {
    let answer = ctx.json(&format!("/batch?mode={mode}&n={N}&timeout={LOAD_TIMEOUT_MS}"));
    assert_eq!(answer["ok"], N, "{mode}: {answer}");
    println!("    {mode}: {N} calls validated in {} ms (in the controller)", answer["ms"]);
}

pub fn call_10k(ctx: &Ctx) {
    batch(ctx, "call");
}

pub fn continuation_10k(ctx: &Ctx) {
    batch(ctx, "continuation");
}

/// The most Rust heap a pending call may hold, awaited and fire-and-continue. The probe
/// counts the bytes the wasm instance's allocator hands out while N calls are issued (a
/// count of allocations, not a sample of memory), so the figure is the same run after run:
/// 114 and 404 bytes in each of 6 runs of this test alone; 114 and 370 in the whole suite,
/// where earlier tests have grown the isolate's tables already. The bounds sit 1.5-1.75x
/// above the higher figures: a call that kept one more copy of its envelope (about 80
/// bytes here), of its arguments or another boxed closure per pending call breaks them; a
/// change that needs more per call must measure again and move the bound with its reason.
const MAX_BYTES_PER_PENDING_CALL: [(&str, f64); 2] = [("call", 200.0), ("continuation", 600.0)];

/// Rust heap bytes per pending call, awaited and fire-and-continue, against
/// [`MAX_BYTES_PER_PENDING_CALL`], with every call answered and every deadline released.
pub fn memory_per_pending_call(ctx: &Ctx) {
    for (mode, max) in MAX_BYTES_PER_PENDING_CALL {
        let answer = ctx.json(&format!("/probe/memory?n={N}&mode={mode}"));
        assert_eq!(answer["ok"], N, "{answer}");
        assert_eq!(answer["timers_after_issue"], N, "every pending call has a deadline: {answer}");
        assert_eq!(answer["timers_now"], 0, "deadlines are released with the calls: {answer}");
        assert_eq!(answer["timer_groups_after_issue"], 1, "one platform timer for the whole batch: {answer}");
        assert_eq!(answer["timer_groups_now"], 0, "the batch's platform timer is cleared with it: {answer}");
        let per_call = answer["bytes_per_pending_call"].as_f64().expect("the probe measures bytes per call");
        println!("    {mode}: {per_call:.0} bytes of Rust heap per pending call (N = {N}, at most {max:.0})");
        assert!(per_call > 0.0, "the probe counted no allocation at all: {answer}");
        assert!(per_call <= max, "{mode}: {per_call:.0} bytes per pending call, more than {max:.0}: {answer}");
    }
}
