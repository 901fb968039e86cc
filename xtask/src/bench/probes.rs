//! The bench's figures besides `/batch`: call-core's per-call work without the RPC hop,
//! natively (the release micro-benchmark `call-core/benches/per_call.rs`) and in wasm
//! inside workerd (`/probe/cost`, timed from the client), and what one storage commit
//! costs in this workerd (`/probe/js-commit`), for reading the durable figures.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::results::median;
use crate::util::{cargo, say, workspace_root, Context};
use crate::workerd::Workerd;
use crate::{bail, http, Result};

/// Runs the native micro-benchmark (release build) and returns its figures (`name`, `what`,
/// `ns_per_op`, `min`, `max`, `samples`, `ops_per_sample`, `raw`).
pub fn native() -> Result<Vec<Value>> {
    say("native: cargo bench -p call-core --bench per_call (release; the first build takes minutes)");
    let out = cargo()
        .current_dir(workspace_root())
        .args(["bench", "-q", "-p", "call-core", "--bench", "per_call", "--", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .context(|| "cannot run cargo bench".into())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("the native micro-benchmark failed ({}): {stdout}", out.status);
    }
    let line = stdout.lines().rev().find(|l| l.starts_with('[')).unwrap_or_default();
    serde_json::from_str(line).context(|| format!("the native micro-benchmark printed {stdout:?}"))
}

/// The wasm side of a call in workerd without the RPC hop: `/probe/cost?k=K` runs K calls'
/// worth of our work in the controller (build the call, write the envelope, cross to
/// JavaScript and back as the `__call` entry does, serve it, cross the reply, decode it).
/// Inside a Worker `Date.now()` does not advance without I/O, so this is timed from the
/// client: per sample, (time of K) − (fastest time of K = 0), over K.
pub fn wasm_cost(workerd: &Workerd) -> Result<Value> {
    const K: u32 = 100_000;
    const SAMPLES: usize = 7;
    let time = |k: u32| -> Result<f64> {
        let path = format!("/probe/cost?k={k}");
        let started = Instant::now();
        let answer = http::get(workerd.addr, &path, Duration::from_secs(120))?;
        let elapsed = started.elapsed().as_secs_f64() * 1e9;
        if answer.json()?["ok"].as_u64() != Some(u64::from(k)) {
            bail!("GET {path} did not validate: {}", answer.body);
        }
        Ok(elapsed)
    };
    say("wasm: timing /probe/cost (our per-call work inside workerd, without RPC)");
    let (mut empty, mut full) = (Vec::new(), Vec::new());
    for _ in 0..SAMPLES {
        empty.push(time(0)?);
        full.push(time(K)?);
    }
    let floor = empty.iter().copied().fold(f64::INFINITY, f64::min);
    let raw: Vec<f64> = full.iter().map(|t| ((t - floor) / f64::from(K) * 10.0).round() / 10.0).collect();
    Ok(json!({
        "name": "wasm_call_work",
        "what": "wasm in workerd, no RPC: call + envelope + string crossings + serve + reply + decode (client-timed)",
        "ns_per_op": (median(&raw) * 10.0).round() / 10.0, "min": raw.iter().copied().fold(f64::INFINITY, f64::min),
        "max": raw.iter().copied().fold(0.0, f64::max), "samples": SAMPLES, "ops_per_sample": K, "raw": raw,
    }))
}

/// What one storage commit costs in this workerd: the JavaScript controller's
/// `/probe/js-commit` runs K turns one after another, each with a row written (so one
/// commit per turn), and K empty ticks (`setTimeout(0)`); the median of 5 requests of
/// each, in ms per turn.
pub fn commit_cost(workerd: &Workerd) -> Result<Value> {
    const K: u32 = 1000;
    let per_turn = |then: &str| -> Result<f64> {
        let mut values = Vec::new();
        for _ in 0..5 {
            let path = format!("/probe/js-commit?k={K}&then={then}");
            let answer = http::get(workerd.addr, &path, Duration::from_secs(120))?;
            let Some(ms) = answer.json()?["ms"].as_f64() else { bail!("GET {path}: no `ms` in {}", answer.body) };
            values.push(ms / f64::from(K));
        }
        Ok((median(&values) * 1e4).round() / 1e4)
    };
    Ok(json!({ "turns": K, "write_ms_per_turn": per_turn("write")?, "tick_ms_per_turn": per_turn("timeout")? }))
}
