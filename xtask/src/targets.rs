//! The project's performance targets, and the README's table that checks each against the
//! latest bench results.

use std::fmt::Write as _;

use crate::readme::{is_call_core, ratio_range, Results};

/// A performance target of the project, checked against the latest results.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// `mode` ≤ `max` × `base` at every N.
    Ratio { mode: &'static str, base: &'static str, max: f64 },
    /// ms/op at N = `to` ≤ `max` × ms/op at N = `from`, for every call-core mode.
    Scaling { from: u32, to: u32, max: f64 },
    /// `mode`'s caller writes ≤ `max_rows_per_call` rows per call and ≤
    /// `max_commits_per_batch` commits per batch at every N (a constant: O(1) per batch).
    Writes { mode: &'static str, max_rows_per_call: f64, max_commits_per_batch: f64 },
    /// The native per-call figures named here ≤ `max_ns`.
    Native { figures: &'static [(&'static str, &'static str)], max_ns: f64 },
}

const TARGETS: [Target; 12] = [
    Target::Ratio { mode: "call", base: "rpc", max: 1.10 },
    Target::Ratio { mode: "continuation", base: "rpc", max: 1.15 },
    Target::Ratio { mode: "call", base: "js", max: 1.25 },
    Target::Ratio { mode: "continuation", base: "js", max: 1.25 },
    // A chain of 3 in one plan at least 2.5x as fast as 3 raw round trips, and faster than
    // the same chain in JavaScript; a fan-in of 2 within 15 % of two concurrent calls.
    Target::Ratio { mode: "pipeline", base: "pipeline-rpc", max: 0.40 },
    Target::Ratio { mode: "pipeline", base: "pipeline-js", max: 1.00 },
    Target::Ratio { mode: "fanin", base: "fanin-join", max: 1.15 },
    // A durable call close to an in-memory one, and no slower than the least JavaScript can
    // do for it; its writes: insert and delete on the caller, commits per batch not per call.
    Target::Ratio { mode: "durable", base: "continuation", max: 1.5 },
    Target::Ratio { mode: "durable", base: "js-durable", max: 1.2 },
    Target::Writes { mode: "durable", max_rows_per_call: 2.0, max_commits_per_batch: 3.0 },
    Target::Scaling { from: 50, to: 5000, max: 1.5 },
    Target::Native {
        figures: &[
            ("pieces", "build + envelope + serve + decode"),
            ("local_call", "awaited round trip through `LocalStub`"),
        ],
        max_ns: 2000.0,
    },
];

/// The README's table of the targets (`bench-targets`): each with what the latest run
/// measured and whether it is met.
pub fn table(r: &Results) -> String {
    let mut s = String::from("| target | measured | |\n|---|---|---|\n");
    for target in TARGETS {
        let (what, measured, verdict) = match target {
            Target::Ratio { mode, base, max } => {
                let what = format!("`{mode}` ≤ {max:.2}x `{base}` at every N");
                let rows: Vec<(u32, f64)> =
                    r.of(mode).into_iter().filter_map(|x| Some((x.n, x.ratio_to(base)?))).collect();
                if rows.is_empty() {
                    (what, "not measured".into(), String::new())
                } else {
                    let mut measured = ratio_range(rows.iter().map(|x| x.1));
                    if base == "js" && !r.of("rpc").is_empty() {
                        let rpc = ratio_range(r.of("rpc").iter().filter_map(|x| x.ratio_to_js));
                        let _ = write!(measured, " (`rpc` itself: {rpc})");
                    }
                    let over: Vec<String> = rows.iter().filter(|x| x.1 > max).map(|x| x.0.to_string()).collect();
                    (what, measured, verdict(over.len(), rows.len(), &over))
                }
            }
            Target::Scaling { from, to, max } => {
                let what = format!("ms/op at N = {to} ≤ {max}x N = {from}");
                let per_mode: Vec<(String, f64)> = r
                    .modes()
                    .into_iter()
                    .filter(|m| is_call_core(m))
                    .filter_map(|m| Some((m.to_string(), r.row(m, to)?.ms_per_op / r.row(m, from)?.ms_per_op)))
                    .collect();
                if per_mode.is_empty() {
                    (what, "not measured".into(), String::new())
                } else {
                    let measured: Vec<String> = per_mode.iter().map(|(m, x)| format!("`{m}` {x:.2}x")).collect();
                    let mut measured = measured.join(", ");
                    // The baselines' own growth, for context: the same workerd, the same run.
                    let baselines: Vec<String> = ["rpc", "js"]
                        .into_iter()
                        .filter_map(|m| {
                            Some(format!("`{m}` {:.2}x", r.row(m, to)?.ms_per_op / r.row(m, from)?.ms_per_op))
                        })
                        .collect();
                    if !baselines.is_empty() {
                        let _ = write!(measured, " (baselines: {})", baselines.join(", "));
                    }
                    let over: Vec<String> =
                        per_mode.iter().filter(|x| x.1 > max).map(|x| format!("`{}`", x.0)).collect();
                    let verdict = if over.is_empty() { "met".into() } else { format!("missed by {}", over.join(", ")) };
                    (what, measured, verdict)
                }
            }
            Target::Writes { mode, max_rows_per_call, max_commits_per_batch } => {
                let what = format!(
                    "`{mode}`: ≤ {max_rows_per_call} rows per call on the caller, ≤ {max_commits_per_batch} \
                     commits per batch (not per call) at every N"
                );
                let figure = |field: &str| -> Vec<f64> {
                    r.of(mode).iter().filter_map(|x| x.writes.as_ref()?["caller"][field].as_f64()).collect()
                };
                let (rows, commits) = (figure("rows_per_call"), figure("commits_per_batch"));
                if rows.is_empty() {
                    (what, "not measured".into(), String::new())
                } else {
                    let measured = format!(
                        "{} rows per call, {} commits per batch",
                        crate::durable_bench::figure_range(r, mode, "caller", "rows_per_call"),
                        crate::durable_bench::figure_range(r, mode, "caller", "commits_per_batch")
                    );
                    let met = rows.iter().all(|x| *x <= max_rows_per_call)
                        && commits.iter().all(|x| *x <= max_commits_per_batch);
                    (what, measured, if met { "met" } else { "missed" }.to_string())
                }
            }
            Target::Native { figures, max_ns } => {
                let what = format!("native per-call work ≤ {} µs", max_ns / 1000.0);
                let found: Vec<(f64, &str)> =
                    figures.iter().filter_map(|(name, label)| Some((r.native(name)?, *label))).collect();
                if found.is_empty() {
                    (what, "not measured".into(), String::new())
                } else {
                    let measured: Vec<String> =
                        found.iter().map(|(ns, label)| format!("{:.1} µs ({label})", ns / 1000.0)).collect();
                    let met = found.iter().all(|(ns, _)| *ns <= max_ns);
                    (what, measured.join(", "), if met { "met" } else { "missed" }.to_string())
                }
            }
        };
        let _ = writeln!(s, "| {what} | {measured} | {verdict} |");
    }
    s
}

fn verdict(over: usize, all: usize, at: &[String]) -> String {
    match over {
        0 => "met".into(),
        n if n == all => "missed".into(),
        _ => format!("missed at N = {}", at.join(", ")),
    }
}
