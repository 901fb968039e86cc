//! Where the time of a call goes, by category, from V8 CPU profiles: every profile
//! `cargo xtask profile` takes is charged to these categories; `--summary` writes them for
//! several modes and batch sizes to `results/profile-summary.md`, which docs/performance.md
//! quotes (generated section `profile-breakdown`).
//!
//! Every sample is charged to one category: walking its stack from the innermost frame
//! outwards, the first frame that matches a rule decides (so `getStringFromWasm0` called
//! by the callee's entry counts as a string crossing, and the entry's own frames as the
//! entry). Self time of the JavaScript frame that calls an RPC stub method is the RPC
//! send: workerd's native work for it is charged there. Figures are µs per call: the
//! category's sampled time divided by the calls validated while the profiler ran.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::cpuprofile::{CallFrame, CpuProfile};

/// The categories, in report order, with the frame names (substrings, `|` between them) that
/// select them. `(idle)`, `(program)` and `(garbage collector)` are V8's pseudo-frames.
pub const CATEGORIES: [(&str, &str); 15] = [
    ("idle (waiting for the other side, for I/O)", "(idle)"),
    ("V8 and workerd outside JavaScript: `(program)`", "(program)"),
    ("garbage collector", "(garbage collector)"),
    ("string crossings (envelope, reply: wasm ⇄ JS)", "getStringFromWasm0|passStringToWasm0|decodeText|string_get|encodeInto|__call_core_ascii|call_core::text|decode  [native]"),
    ("`Date.now()`", "__wbg_now_|now  [native]"),
    ("deadline (timer table, setTimeout/clearTimeout)", "setTimeout|clearTimeout|call_core::runtime::timer"),
    ("task wake-up (wasm-bindgen-futures queue, microtask)", "queueMicrotask|queue::Queue::schedule_task|queue::Queue::new"),
    ("promise → future (JsFuture closures, `then`)", "makeMutClosure|_wbg_cb_unref|__wbindgen_destroy_closure|ScopedClosure|JsFuture|__wbg_then_|then  [native]|call_core::stub::ensure_settle"),
    ("RPC send (workerd's native send, in the calling JS frame)", "(anonymous in __wbg___call_|(anonymous in __wbg_rpcEcho_|__call_core_send  [js|fetch  [js reference.mjs"),
    ("callee entry (generated entry, wasm-bindgen export glue)", "[js entry.mjs|[js shim.mjs|__call  [js index.js|rpcEcho  [js index.js|remotedo___call|remotedo_rpcecho"),
    ("continuation delivery (home, WeakRef, resume)", "call_core::home|__call_core_resume|deref|call_core::continuation"),
    ("encode/decode (wire, plan, dispatch, serde)", "call_core::wire|call_core::dispatch|call_core::plan|call_core::caller::prepare|serde|decode_args"),
    ("call future and reply slot", "call_core::caller|call_core::stub"),
    ("task polls (wasm-bindgen-futures, join_all)", "join_all|futures_unordered|future_to_promise|task::singlethread|Task::run|BatchDone"),
    ("malloc/free", "dlmalloc|__rust_alloc|__rust_dealloc|__rdl_"),
];

/// Samples no rule matched, by the kind of their innermost frame.
const OTHER: [&str; 3] = ["other wasm", "other JavaScript (glue, closures)", "other native"];

/// The modes whose differences the summary shows, as (mode, base).
const DIFFERENCES: [(&str, &str); 3] = [("call", "rpc"), ("continuation", "rpc"), ("rpc", "js")];

/// One profile's breakdown: µs per category (by name), the callee's share, the calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Breakdown {
    /// Sampled µs per category.
    pub us: BTreeMap<String, f64>,
    /// Sampled µs under the callee's entry (the generated entry's frames, or the JavaScript
    /// callee's `echo`).
    pub callee_us: f64,
    /// All sampled µs.
    pub total_us: f64,
    /// Calls validated while the profiler ran.
    pub calls: u64,
    /// ms/op inside the controller while the profiler ran (the bench's is lower: the
    /// profiler slows the requests).
    pub ms_per_op: f64,
}

impl Breakdown {
    /// µs per call of `category`.
    pub fn per_call(&self, category: &str) -> f64 {
        self.us.get(category).copied().unwrap_or(0.0) / self.calls.max(1) as f64
    }
}

/// Charges every sample of `profile` to a category: its stack, innermost frame first,
/// named by `names` ([`CpuProfile::names`]).
pub fn categorize(profile: &CpuProfile, names: &[String], calls: u64) -> Breakdown {
    let parent = profile.parents();
    let is_callee = |frame: &CallFrame, name: &str| {
        frame.url.ends_with("entry.mjs")
            || frame.url.ends_with("shim.mjs")
            || name.starts_with("echo  [js reference.mjs")
    };
    let matching = |name: &str| CATEGORIES.iter().find(|(_, keys)| keys.split('|').any(|k| name.contains(k)));
    let mut out = Breakdown { calls, ..Breakdown::default() };
    for (leaf, us) in profile.self_us().into_iter().enumerate().filter(|(_, us)| *us > 0.0) {
        let (mut category, mut callee, mut at) = (None, false, Some(leaf));
        while let Some(i) = at {
            let name = &names[i];
            category = category.or_else(|| matching(name).map(|(c, _)| *c));
            callee |= is_callee(&profile.nodes[i].call_frame, name);
            at = parent[i];
        }
        let leaf_frame = &profile.nodes[leaf].call_frame;
        let other = match (leaf_frame.is_wasm(), leaf_frame.url.is_empty()) {
            (true, _) => OTHER[0],
            (false, false) => OTHER[1],
            (false, true) => OTHER[2],
        };
        *out.us.entry(category.unwrap_or(other).to_string()).or_default() += us;
        out.total_us += us;
        out.callee_us += if callee { us } else { 0.0 };
    }
    out
}

/// What `--summary` measured: a breakdown per (mode, N), with the ms/op the profiled
/// requests saw.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// `git` state of the work tree.
    pub tree: String,
    /// The command line.
    pub command: String,
    /// Seconds profiled per (mode, N), and the sampling interval in µs.
    pub seconds: f64,
    /// Sampling interval, µs.
    pub interval_us: u32,
    /// Breakdowns, by N then mode (in the order run).
    pub rows: Vec<(u32, String, Breakdown)>,
}

/// Renders `results/profile-summary.md`.
pub fn render(s: &Summary) -> String {
    let mut out = format!(
        "# Where the time of a call goes (V8 CPU profiles in workerd)\n\n- command: `{}`\n- commit: {}\n\
         - method: {} s of back-to-back `/batch` requests per (mode, N) after a warm-up, V8's sampling profiler every \
         {} µs; every sample charged to the first category that a frame of its stack matches, innermost frame \
         first (xtask/src/profile/summary.rs); µs per call = sampled time / calls validated while profiling. The \
         profiler slows the requests several times over, and wasm more than JavaScript (compare the last row, \
         the controller's own µs per call while profiling, with the bench's ms/op): read a column as the shares \
         of one mode's work, and a difference between modes as where the extra work is, not as its size (the \
         bench measures that); one profile is one sample of a noisy machine, so differences under about 1 µs \
         are noise.\n",
        s.command, s.tree, s.seconds, s.interval_us
    );
    // The rows come by N, so each N once, in the order run.
    let mut sizes: Vec<u32> = s.rows.iter().map(|(n, ..)| *n).collect();
    sizes.dedup();
    for n in sizes {
        let rows: Vec<(&str, &Breakdown)> =
            s.rows.iter().filter(|(m, ..)| *m == n).map(|(_, mode, b)| (mode.as_str(), b)).collect();
        let _ = write!(out, "\n## N = {n}\n\n{}", table(&rows));
    }
    out
}

/// The table of one N: µs per call of each category per mode (with its share of the
/// mode's sampled time), the totals, and the differences `call` − `rpc`, `continuation` −
/// `rpc` and `rpc` − `js` where both modes ran.
pub fn table(rows: &[(&str, &Breakdown)]) -> String {
    let of = |mode: &str| rows.iter().find(|(m, _)| *m == mode).map(|(_, b)| *b);
    let diffs: Vec<_> =
        DIFFERENCES.iter().filter_map(|(a, b)| Some((format!("`{a}` − `{b}`"), of(a)?, of(b)?))).collect();
    let mut head = vec!["profiled µs per call (share of sampled time)".to_string()];
    head.extend(rows.iter().map(|(mode, _)| format!("`{mode}`")).chain(diffs.iter().map(|d| d.0.clone())));
    let per_call = |us: f64, b: &Breakdown| us / b.calls.max(1) as f64;
    let idle = |b: &Breakdown| b.us.get(CATEGORIES[0].0).copied().unwrap_or(0.0);
    let line = |label: &str, value: &dyn Fn(&Breakdown) -> f64, share: bool| {
        let mut cells = vec![label.to_string()];
        cells.extend(rows.iter().map(|(_, b)| match value(b) {
            v if share => format!("{v:.1} ({:.0} %)", v * b.calls.max(1) as f64 / b.total_us.max(1.0) * 100.0),
            v => format!("{v:.1}"),
        }));
        cells.extend(diffs.iter().map(|(_, a, b)| format!("{:+.1}", value(a) - value(b))));
        cells
    };
    let categories = CATEGORIES.iter().map(|(c, _)| *c).chain(OTHER);
    let shown = categories.filter(|c| rows.iter().any(|(_, b)| b.per_call(c) >= 0.05));
    let mut lines: Vec<Vec<String>> = shown.map(|c| line(c, &|b: &Breakdown| b.per_call(c), true)).collect();
    lines.push(line("**all sampled time**", &|b| per_call(b.total_us, b), false));
    lines.push(line("**CPU (all but idle)**", &|b| per_call(b.total_us - idle(b), b), false));
    lines.push(line("of which the callee's (under its entry)", &|b| per_call(b.callee_us, b), false));
    lines.push(line("the controller's own µs per call, profiler attached", &|b| b.ms_per_op * 1000.0, false));
    crate::markdown::table(&head, "lr", lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::cpuprofile::ProfileNode;

    fn node(id: u64, name: &str, url: &str, children: &[u64]) -> ProfileNode {
        ProfileNode {
            id,
            call_frame: CallFrame { function_name: name.into(), url: url.into(), ..CallFrame::default() },
            children: children.to_vec(),
        }
    }

    #[test]
    fn samples_go_to_the_innermost_matching_frame() {
        let profile = CpuProfile {
            nodes: vec![
                node(1, "(root)", "", &[2, 3, 6]),
                node(2, "(idle)", "", &[]),
                node(3, "__call", "file:///b/entry.mjs", &[4]),
                node(4, "getStringFromWasm0", "file:///b/index.js", &[5]),
                node(5, "decode", "", &[]),
                node(6, "__wbg_now_1", "file:///b/index.js", &[7]),
                node(7, "", "file:///b/index.js", &[]),
            ],
            start_time: 0.0,
            end_time: 40.0,
            samples: vec![2, 5, 3, 7],
            time_deltas: vec![0.0, 10.0, 10.0, 10.0],
        };
        let b = categorize(&profile, &profile.names(&BTreeMap::new()), 2);
        assert_eq!(b.per_call(CATEGORIES[0].0), 5.0);
        assert_eq!(b.per_call("string crossings (envelope, reply: wasm ⇄ JS)"), 5.0);
        assert_eq!(b.per_call("callee entry (generated entry, wasm-bindgen export glue)"), 5.0);
        assert_eq!(b.per_call("`Date.now()`"), 5.0);
        assert_eq!(b.callee_us, 20.0);
        let s = Summary { rows: vec![(10, "call".into(), b.clone()), (10, "rpc".into(), b)], ..Summary::default() };
        let md = render(&s);
        assert!(md.contains("| `call` | `rpc` | `call` − `rpc` |"), "{md}");
    }
}
