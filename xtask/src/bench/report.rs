//! What a bench run reports in `bench.md`: the header (where, on what, how), the table of
//! every row and the per-call figures; the generated sections are [`sections`]'.
//!
//! [`sections`]: super::sections

use std::fmt::Write as _;
use std::process::Command;

use serde_json::Value;

use super::results::{Entry, Row};
use super::run::{rounds_for, Options};
use crate::markdown::{self, head, ratio};
use crate::util::output;

/// How `ms` and `ms/op` are measured, for the reports.
pub const TIMING: &str = "Times are measured inside the controller Durable Object with Date.now() \
    around all R rounds of one request (inside a Worker Date.now() advances only across I/O; every \
    round is N RPCs, so it advances with the work). ms/op = ms / (N × R), with R = ceil(2000 / N) \
    so that every request makes at least 2000 calls. Each figure is the median and min..max over \
    the measured runs, after one warm-up request per (mode, N); the modes run in forward order on \
    odd runs and in reverse order on even runs. Ratios are the median over runs of the per-run \
    ratio (mode ms/op ÷ rpc or js ms/op at the same N in the same run). The client-side wall time \
    of every request is in bench.json (client_ms), for reference. For the composite modes \
    (pipeline…, fanin…) an op is a chain of 3 calls or a fan-in of 2: ms/op is per chain or fan-in, \
    and their other ratios are to the modes doing the same work another way (pipeline-rpc, \
    pipeline-js, fanin-join), paired by run in the same way.";

/// The table of every row, as `bench.md` shows it.
pub fn rows_table(rows: &[Row]) -> String {
    let head =
        head(&["mode", "N", "R", "ms/op (median)", "min..max", "ratio to rpc", "ratio to js", "other ratios", "ok"]);
    let row = |r: &Row| {
        let others: Vec<String> = r.base_ratios().iter().map(|(base, x)| format!("{x:.2}x {base}")).collect();
        vec![
            r.mode.clone(),
            r.n.to_string(),
            r.rounds.to_string(),
            format!("{:.4}", r.ms_per_op),
            format!("{:.4}..{:.4}", r.min, r.max),
            ratio(r.ratio_to_rpc),
            ratio(r.ratio_to_js),
            if others.is_empty() { "–".into() } else { others.join(", ") },
            format!("{}/{}", r.ok, r.calls),
        ]
    };
    markdown::table(&head, "lr", rows.iter().map(row))
}

/// The table of the per-call figures.
pub fn per_call_table(figures: &[Value]) -> String {
    let row = |f: &Value| {
        let [median, min, max] = ["ns_per_op", "min", "max"].map(|k| f[k].as_f64().unwrap_or(f64::NAN));
        vec![f["what"].as_str().unwrap_or("?").into(), format!("{median:.0}"), format!("{min:.0}..{max:.0}")]
    };
    markdown::table(&head(&["per-call work of call-core", "ns/op (median)", "min..max"]), "lr", figures.iter().map(row))
}

/// The tables of `bench.md` after its header (also printed by the bench).
pub fn tables(rows: &[Row], per_call: &[Value], commit: Option<&Value>, conversion: Option<&Value>) -> String {
    let mut s = format!("## Durable Object calls in local workerd\n\n{}\nms/op: {TIMING}\n", rows_table(rows));
    s.push_str("\n## Per-call work of call-core\n\n");
    s.push_str(&per_call_table(per_call));
    s.push_str(
        "\nns/op: median (min..max). Native rows: timed samples of 10000 operations each, release \
         build, `cargo bench -p call-core --bench per_call` (call-core/benches/per_call.rs). The wasm \
         row: `/probe/cost` in workerd, timed from the client (see xtask/src/bench/probes.rs `wasm_cost`).\n",
    );
    if let Some(c) = commit {
        let _ = write!(
            s,
            "\n## One storage commit\n\n{} ms per turn with a write (one commit each), {} ms per empty tick \
             (`/probe/js-commit`, median of 5 × {} turns).\n",
            c["write_ms_per_turn"], c["tick_ms_per_turn"], c["turns"]
        );
    }
    if let Some(c) = conversion {
        s.push_str("\n## Values of a call by name: JSON or serde-wasm-bindgen\n\n");
        s.push_str(&super::conversion::table(c));
    }
    s
}

/// The header of `bench.md`: date, machine, workerd, commit (with the work tree's state),
/// runs, rounds, timing. A dirty tree is announced first, in bold.
pub fn header(workerd_bin: &std::path::Path, opts: &Options, tree: &crate::git::Tree) -> String {
    let sh = |cmd: &mut Command| output(cmd).map(|s| s.trim().to_owned()).unwrap_or_else(|| "?".into());
    let rounds: Vec<String> = opts.sizes.iter().map(|&n| format!("N={n}: R={}", rounds_for(n))).collect();
    let warning = tree.diff_hash.as_ref().map_or(String::new(), |hash| {
        format!(
            "**WARNING: measured on a work tree with uncommitted changes (`--allow-dirty`): the commit \
             below is not the code that ran; `git diff HEAD` hash {hash}.**\n\n"
        )
    });
    let load = std::fs::read_to_string("/proc/loadavg")
        .map_or_else(|_| "?".into(), |l| l.split(' ').take(3).collect::<Vec<_>>().join(" "));
    format!(
        "# cargo xtask bench\n\n{warning}- date: {}\n- machine: {} cores, `{}`, CPU: {}\n\
         - load average when written (1/5/15 min; the bench itself adds about 1): {load}\n- workerd: {}\n\
         - commit: {}\n- runs: {} measured runs per (mode, N) after one warm-up request each\n- rounds: {}\n\
         - timing: {TIMING}\n",
        crate::util::utc_date(),
        crate::util::cores(),
        sh(Command::new("uname").arg("-srm")),
        crate::util::cpu_model(),
        sh(Command::new(workerd_bin).arg("--version")),
        tree.describe(),
        opts.runs,
        rounds.join(", "),
    )
}

/// The first entry of `bench.json`: what was measured, and on which tree.
pub fn meta(opts: &Options, modes: &[String], tree: &crate::git::Tree) -> Entry {
    let rounds: Vec<u32> = opts.sizes.iter().map(|&n| rounds_for(n)).collect();
    Entry::Meta(serde_json::json!({
        "commit": tree.commit, "dirty": tree.is_dirty(), "diff_hash": tree.diff_hash, "dirty_paths": tree.dirty,
        "runs": opts.runs, "sizes": opts.sizes, "rounds": rounds, "modes": modes,
    }))
}
