//! The project's performance targets, and the generated table (`bench-targets`) that
//! checks each against the latest bench results.

use std::fmt::Write as _;

use super::modes::{Kind, BASELINES};
use super::results::Results;
use crate::markdown::{self, head, ratio_range};

/// A performance target of the project, checked against the latest results.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// `mode` ≤ `max` × `base` at every N.
    Ratio { mode: &'static str, base: &'static str, max: f64 },
    /// ms/op at N = `to` ≤ `max` × ms/op at N = `from`, for every mode of `kinds`.
    Scaling { kinds: &'static [Kind], from: u32, to: u32, max: f64 },
    /// `mode`'s caller writes ≤ `max_rows_per_call` rows per call and ≤
    /// `max_commits_per_batch` commits per batch at every N (a constant: O(1) per batch).
    Writes { mode: &'static str, max_rows_per_call: f64, max_commits_per_batch: f64 },
    /// The per-call figures named here ≤ `max_ns`.
    Native { figures: &'static [(&'static str, &'static str)], max_ns: f64 },
}

const TARGETS: [Target; 14] = [
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
    // Across languages: JavaScript calling a Rust method by name close to plain JavaScript
    // RPC, and `call!` of a JavaScript method close to raw Rust RPC to it.
    Target::Ratio { mode: "js-to-rust", base: "js", max: 1.15 },
    Target::Ratio { mode: "rust-to-js", base: "rust-to-js-raw", max: 1.15 },
    // Every single-call mode that is not a baseline or an ablation.
    Target::Scaling { kinds: &[Kind::CallCore, Kind::Durable, Kind::JavaScript], from: 50, to: 5000, max: 1.5 },
    Target::Native {
        figures: &[
            ("pieces", "build + envelope + serve + decode"),
            ("local_call", "awaited round trip through `LocalStub`"),
        ],
        max_ns: 2000.0,
    },
];

/// The table of the targets (`bench-targets`): each with what the latest run measured
/// and whether it is met.
pub fn table(r: &Results) -> String {
    let rows = TARGETS.iter().map(|&target| {
        let (what, measured) = match target {
            Target::Ratio { mode, base, max } => ratio(r, mode, base, max),
            Target::Scaling { kinds, from, to, max } => scaling(r, kinds, from, to, max),
            Target::Writes { mode, max_rows_per_call: rows, max_commits_per_batch: commits } => {
                writes(r, mode, rows, commits)
            }
            Target::Native { figures, max_ns } => native(r, figures, max_ns),
        };
        let (measured, verdict) = measured.unwrap_or_else(|| ("not measured".into(), String::new()));
        vec![what, measured, verdict]
    });
    markdown::table(&head(&["target", "measured", ""]), "l", rows)
}

/// The target as the table names it, then what was measured and the verdict (`None` when
/// the run has no figure for it).
type Checked = (String, Option<(String, String)>);

fn ratio(r: &Results, mode: &str, base: &str, max: f64) -> Checked {
    let what = format!("`{mode}` ≤ {max:.2}x `{base}` at every N");
    let rows: Vec<(u32, f64)> = r.of(mode).into_iter().filter_map(|x| Some((x.n, x.ratio_to(base)?))).collect();
    if rows.is_empty() {
        return (what, None);
    }
    let mut measured = ratio_range(rows.iter().map(|x| x.1));
    if base == "js" && !r.of("rpc").is_empty() {
        let rpc = ratio_range(r.of("rpc").iter().filter_map(|x| x.ratio_to_js));
        let _ = write!(measured, " (`rpc` itself: {rpc})");
    }
    let over: Vec<String> = rows.iter().filter(|x| x.1 > max).map(|x| x.0.to_string()).collect();
    let verdict = match over.len() {
        0 => "met".into(),
        n if n == rows.len() => "missed".into(),
        _ => format!("missed at N = {}", over.join(", ")),
    };
    (what, Some((measured, verdict)))
}

fn scaling(r: &Results, kinds: &[Kind], from: u32, to: u32, max: f64) -> Checked {
    let what = format!("ms/op at N = {to} ≤ {max}x N = {from}");
    let growth = |m: &str| Some(r.row(m, to)?.ms_per_op / r.row(m, from)?.ms_per_op);
    let per_mode: Vec<(&str, f64)> = r.modes(Some(kinds)).into_iter().filter_map(|m| Some((m, growth(m)?))).collect();
    if per_mode.is_empty() {
        return (what, None);
    }
    let mut measured = per_mode.iter().map(|(m, x)| format!("`{m}` {x:.2}x")).collect::<Vec<_>>().join(", ");
    // The baselines' own growth, for context: the same workerd, the same run.
    let baselines: Vec<String> = BASELINES.iter().filter_map(|m| Some(format!("`{m}` {:.2}x", growth(m)?))).collect();
    if !baselines.is_empty() {
        let _ = write!(measured, " (baselines: {})", baselines.join(", "));
    }
    let over: Vec<String> = per_mode.iter().filter(|x| x.1 > max).map(|x| format!("`{}`", x.0)).collect();
    let verdict = if over.is_empty() { "met".into() } else { format!("missed by {}", over.join(", ")) };
    (what, Some((measured, verdict)))
}

fn writes(r: &Results, mode: &str, max_rows: f64, max_commits: f64) -> Checked {
    let what = format!(
        "`{mode}`: ≤ {max_rows} rows per call on the caller, ≤ {max_commits} commits per batch (not per call) at \
         every N"
    );
    let figures = |field| r.of(mode).into_iter().filter_map(|x| x.written("caller", field)).collect::<Vec<_>>();
    let (rows, commits) = (figures("rows_per_call"), figures("commits_per_batch"));
    if rows.is_empty() {
        return (what, None);
    }
    let (rows_range, commits_range) =
        (r.writes_range(mode, "caller", "rows_per_call"), r.writes_range(mode, "caller", "commits_per_batch"));
    let met = rows.iter().all(|x| *x <= max_rows) && commits.iter().all(|x| *x <= max_commits);
    (what, Some((format!("{rows_range} rows per call, {commits_range} commits per batch"), verdict(met))))
}

fn native(r: &Results, figures: &[(&str, &str)], max_ns: f64) -> Checked {
    let what = format!("native per-call work ≤ {} µs", max_ns / 1000.0);
    let found: Vec<(f64, &str)> =
        figures.iter().filter_map(|(name, label)| Some((r.per_call(name)?, *label))).collect();
    if found.is_empty() {
        return (what, None);
    }
    let measured: Vec<String> = found.iter().map(|(ns, label)| format!("{:.1} µs ({label})", ns / 1000.0)).collect();
    let met = found.iter().all(|(ns, _)| *ns <= max_ns);
    (what, Some((measured.join(", "), verdict(met))))
}

fn verdict(met: bool) -> String {
    if met { "met" } else { "missed" }.into()
}
