//! The durable modes of the bench: `durable` (N durable calls, each continued by a handler)
//! against `continuation` (the same calls kept in memory) and `js-durable` (the least a
//! durable call must do, in JavaScript: a row before the call leaves, deleted when the
//! reply is handled). Their README table, with the rows and commits each side wrote.
//!
//! A durable batch answers what it wrote (`"writes": {"caller": {"rows", "commits"},
//! "callee": {…}}`, counted by call-core's `durable::writes`, or by the JavaScript floor
//! the same way: a commit is a turn with writes); the bench keeps, per (mode, N), the
//! median over runs of rows per call and commits per batch (per round).

use std::fmt::Write as _;

use std::time::Duration;

use serde_json::{json, Value};

use crate::bench::{median, Sample};
use crate::readme::{ms_and_ratio_cells, Results};
use crate::workerd::Workerd;
use crate::{bail, Result};

/// The durable modes.
pub fn is_durable(mode: &str) -> bool {
    mode == "durable" || mode == "js-durable"
}

/// The modes a durable mode is compared with.
pub fn bases(mode: &str) -> &'static [&'static str] {
    match mode {
        "durable" => &["continuation", "js-durable"],
        _ => &[],
    }
}

/// For `bench.json`: per side, the median over `samples` of rows per call and commits per
/// batch; `None` when the samples carry no `writes`.
pub fn writes(samples: &[Sample]) -> Option<Value> {
    let side = |name: &str| {
        let per = |field: &str, per_call: bool| {
            let values: Vec<f64> = samples
                .iter()
                .filter_map(|s| {
                    let count = s.writes.as_ref()?[name][field].as_f64()?;
                    let batches = f64::from(s.rounds);
                    Some(if per_call { count / (batches * f64::from(s.n)) } else { count / batches })
                })
                .collect();
            (!values.is_empty()).then(|| (median(&values) * 1e3).round() / 1e3)
        };
        json!({ "rows_per_call": per("rows", true), "commits_per_batch": per("commits", false) })
    };
    samples.iter().any(|s| s.writes.is_some()).then(|| json!({ "caller": side("caller"), "callee": side("callee") }))
}

/// What one storage commit costs in this workerd, for reading the durable figures: the
/// JavaScript controller's `/probe/js-commit` runs K turns one after another, each with a
/// row written (so one commit per turn), and K empty ticks (`setTimeout(0)`); the median of
/// 5 requests of each, in ms per turn. For `bench.json` (`"kind": "commit"`).
pub fn commit_cost(workerd: &Workerd) -> Result<Value> {
    const K: u32 = 1000;
    let per_turn = |then: &str| -> Result<f64> {
        let mut values = Vec::new();
        for _ in 0..5 {
            let path = format!("/probe/js-commit?k={K}&then={then}");
            let answer = crate::http::get(workerd.addr, &path, Duration::from_secs(120))?;
            let Some(ms) = answer.json()?["ms"].as_f64() else { bail!("GET {path}: no `ms` in {}", answer.body) };
            values.push(ms / f64::from(K));
        }
        Ok((median(&values) * 1e4).round() / 1e4)
    };
    Ok(
        json!({ "kind": "commit", "turns": K, "write_ms_per_turn": per_turn("write")?, "tick_ms_per_turn": per_turn("timeout")? }),
    )
}

/// The README's table of the durable modes (`bench-durable`).
pub fn section(r: &Results) -> String {
    let modes: Vec<&str> = r.modes().into_iter().filter(|m| is_durable(m) || *m == "continuation").collect();
    if !modes.iter().any(|m| is_durable(m)) {
        return "(No durable mode in the latest run.)\n".into();
    }
    let sizes = r.sizes();
    let columns = bases("durable");
    let mut s = String::from("| mode |");
    for n in &sizes {
        let _ = write!(s, " N={n} |");
    }
    for base in columns {
        let _ = write!(s, " ratio to `{base}` |");
    }
    s.push_str(" caller rows/call | caller commits/batch | callee rows/call | callee commits/batch |\n|---|");
    s.push_str(&"---:|".repeat(sizes.len() + columns.len() + 4));
    s.push('\n');
    for mode in &modes {
        let _ = write!(s, "| `{mode}` |");
        ms_and_ratio_cells(&mut s, r, mode, &sizes, columns);
        for (side, field) in [
            ("caller", "rows_per_call"),
            ("caller", "commits_per_batch"),
            ("callee", "rows_per_call"),
            ("callee", "commits_per_batch"),
        ] {
            let _ = write!(s, " {} |", figure_range(r, mode, side, field));
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "\nms per call: median of {} runs; ratios and write counts: ranges over N of the medians over runs. \
         A batch is one round of N calls issued together; `continuation` writes nothing.",
        r.runs()
    );
    if let Some(c) = &r.commit {
        let _ = writeln!(
            s,
            "\nOne storage commit in this workerd, in the same run (`/probe/js-commit`, median of 5 × {} turns): \
             {:.3} ms per turn with a write, against {:.3} ms per empty tick.",
            c["turns"],
            c["write_ms_per_turn"].as_f64().unwrap_or(f64::NAN),
            c["tick_ms_per_turn"].as_f64().unwrap_or(f64::NAN)
        );
    }
    s
}

/// The range over N of one write figure of `mode` (`–` when it has none).
pub(crate) fn figure_range(r: &Results, mode: &str, side: &str, field: &str) -> String {
    let values: Vec<f64> = r.of(mode).iter().filter_map(|x| x.writes.as_ref()?[side][field].as_f64()).collect();
    if values.is_empty() {
        return "–".into();
    }
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let fmt = |x: f64| if x.fract() == 0.0 { format!("{x:.0}") } else { format!("{x:.2}") };
    if fmt(lo) == fmt(hi) {
        fmt(lo)
    } else {
        format!("{}–{}", fmt(lo), fmt(hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: u32, rounds: u32, rows: u64, commits: u64) -> Sample {
        Sample {
            mode: "durable".into(),
            n,
            rounds,
            run: 0,
            ms: 1.0,
            client_ms: 1.0,
            ok: u64::from(n * rounds),
            writes: Some(
                json!({ "caller": { "rows": rows, "commits": commits }, "callee": { "rows": 0, "commits": 0 } }),
            ),
        }
    }

    #[test]
    fn writes_are_per_call_and_per_batch() {
        let w = writes(&[sample(10, 4, 80, 8), sample(10, 4, 80, 12), sample(10, 4, 88, 8)]).unwrap();
        assert_eq!(w["caller"]["rows_per_call"], 2.0);
        assert_eq!(w["caller"]["commits_per_batch"], 2.0);
        assert_eq!(w["callee"]["rows_per_call"], 0.0);
    }

    #[test]
    fn the_section_shows_ratios_writes_and_the_commit_cost() {
        let row = |mode: &str, ms: f64, ratios: Value, writes: Value| {
            json!({"kind": "workerd", "mode": mode, "n": 10, "rounds": 200, "runs": 15, "ms_per_op": ms, "min": ms,
                   "max": ms, "ratio_to_rpc": null, "ratio_to_js": null, "ratios": ratios, "writes": writes})
        };
        let side = |rows: f64, commits: f64| json!({"rows_per_call": rows, "commits_per_batch": commits});
        let all = [
            row("continuation", 0.05, json!({}), Value::Null),
            row(
                "durable",
                0.2,
                json!({"continuation": 4.0, "js-durable": 0.7}),
                json!({"caller": side(2.0, 2.0), "callee": side(1.0, 1.0)}),
            ),
            json!({"kind": "commit", "turns": 1000, "write_ms_per_turn": 0.21, "tick_ms_per_turn": 0.009}),
        ];
        let r = Results::parse(&all, "- commit: abc\n").unwrap();
        let text = section(&r);
        assert!(text.contains("| `durable` | 0.200 | 4.00x | 0.70x | 2 | 2 | 1 | 1 |"), "{text}");
        assert!(text.contains("0.210 ms per turn with a write, against 0.009 ms per empty tick"), "{text}");
    }

    #[test]
    fn modes_without_writes_have_none() {
        let mut s = sample(10, 1, 0, 0);
        s.writes = None;
        assert_eq!(writes(&[s]), None);
    }
}
