//! Composite modes of the example: one op is several calls (a chain of dependent calls, a
//! fan-in), measured per op and compared with the modes that do the same work another way
//! (their bases), not with one call. Their README table and plot.
//!
//! * `pipeline…`: a chain of 3 dependent calls; `pipeline` (one nested `call!`, one RPC)
//!   against `pipeline-rpc` (3 sequential raw RPCs) and `pipeline-js` (3 awaited
//!   JavaScript RPCs);
//! * `fanin…`: 2 calls to two objects; `fanin` (a fan-in with one continuation) against
//!   `fanin-join` (a join of two awaited `call!`s).

use std::fmt::Write as _;

use crate::bench::Row;
use crate::plot::Plot;
use crate::readme::{Measured, Results};

/// A chain or a fan-in: its op is several calls.
pub fn is_composite(mode: &str) -> bool {
    group(mode).is_some()
}

/// The group of a composite mode: `pipeline` or `fanin`.
pub fn group(mode: &str) -> Option<&'static str> {
    ["pipeline", "fanin"].into_iter().find(|g| mode == *g || mode.strip_prefix(g).is_some_and(|r| r.starts_with('-')))
}

/// The modes `mode` is compared with (each ratio a median of per-run ratios at one N).
pub fn bases(mode: &str) -> &'static [&'static str] {
    match mode {
        "pipeline" => &["pipeline-rpc", "pipeline-js"],
        "pipeline-js" => &["pipeline-rpc"],
        "fanin" => &["fanin-join"],
        _ => &[],
    }
}

/// What a composite mode does, for tables.
pub fn what(mode: &str) -> &'static str {
    match mode {
        "pipeline" => "chain of 3 as one nested `call!`: 1 RPC",
        "pipeline-rpc" => "chain of 3 as sequential raw Rust RPCs: 3 RPCs",
        "pipeline-js" => "chain of 3 in JavaScript, each call awaited: 3 RPCs",
        "fanin" => "fan-in of 2 calls to 2 objects, 1 continuation",
        "fanin-join" => "join of 2 awaited `call!`s to 2 objects",
        _ => "",
    }
}

/// The README's tables of the composite modes (`bench-composite`), one per group.
pub fn section(r: &Results) -> String {
    let sizes = r.sizes();
    let mut s = String::new();
    for group in ["pipeline", "fanin"] {
        let modes: Vec<&str> = r.modes().into_iter().filter(|m| self::group(m) == Some(group)).collect();
        if modes.is_empty() {
            continue;
        }
        let columns = bases(group);
        s.push_str("| mode | what |");
        for n in &sizes {
            let _ = write!(s, " N={n} |");
        }
        for base in columns {
            let _ = write!(s, " ratio to `{base}` |");
        }
        s.push_str("\n|---|---|");
        s.push_str(&"---:|".repeat(sizes.len() + columns.len()));
        s.push('\n');
        for mode in &modes {
            let _ = write!(s, "| `{mode}` | {} |", what(mode));
            crate::readme::ms_and_ratio_cells(&mut s, r, mode, &sizes, columns);
            s.push('\n');
        }
        s.push('\n');
    }
    if s.is_empty() {
        return "(No pipeline or fan-in mode in the latest run.)\n".into();
    }
    let _ = writeln!(
        s,
        "ms per op — one chain of 3 calls, or one fan-in of 2 — median of {} runs; a ratio range runs over N, each \
         the median of the per-run ratios at that N. ![ms per op against N](results/bench-composite.svg)",
        r.runs()
    );
    s
}

/// The plot of the composite modes (`bench-composite.svg`).
pub fn plot(rows: &[Row], modes: &[String]) -> String {
    let series = crate::plot::series(rows, modes, is_composite);
    crate::plot::svg(&Plot {
        title: "ms per chain of 3 or fan-in of 2 vs N (median, whiskers min..max)",
        x_label: "N, concurrent chains or fan-ins per batch (log scale)",
        y_label: "ms/op, in-DO Date.now() (linear)",
        series: &series,
    })
}

impl Measured {
    /// The median of the per-run ratios to `base` (`rpc`, `js`, or a composite base).
    pub fn ratio_to(&self, base: &str) -> Option<f64> {
        match base {
            "rpc" => self.ratio_to_rpc,
            "js" => self.ratio_to_js,
            other => self.ratios.get(other).copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_modes() {
        assert_eq!(group("pipeline-rpc"), Some("pipeline"));
        assert_eq!(group("fanin"), Some("fanin"));
        assert_eq!(group("pipelines"), None);
        assert!(!is_composite("rpc") && !is_composite("call") && !is_composite("rpc-string"));
        assert_eq!(bases("pipeline"), ["pipeline-rpc", "pipeline-js"]);
    }
}
