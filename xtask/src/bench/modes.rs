//! Every mode of the bench, listed once: its name (the example's `/batch?mode=`), what it
//! measures, its kind and its bases. The demo, the reports, the generated tables, the
//! plots and the targets all read this table, so adding a mode is one entry here plus the
//! Worker's code. Which modes the Worker runs is the example's own `GET /modes`; [`check`]
//! fails, naming the difference, when the two lists disagree.

use crate::{bail, Result};

/// What a mode is, which decides its table, its plot and the targets it counts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `rpc` and `js`: every mode's ratios are taken against them ([`BASELINES`]).
    Baseline,
    /// One call through call-core.
    CallCore,
    /// One call between JavaScript and Rust Durable Objects, shown beside the baselines.
    JavaScript,
    /// Raw RPC carrying part of what a call carries: where the cost of a call goes.
    Ablation,
    /// Durable calls, and the least a durable call must do; their writes are counted too.
    Durable,
    /// An op of several calls (a chain, a fan-in), measured per op against its bases.
    Composite,
}

/// One mode of the example's `/batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    /// The name `/batch?mode=` takes.
    pub name: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// The modes doing the same work another way, which its ratios are taken against
    /// besides the baselines.
    pub bases: &'static [&'static str],
    /// What it measures, for the tables.
    pub what: &'static str,
}

const fn mode(name: &'static str, kind: Kind, bases: &'static [&'static str], what: &'static str) -> Mode {
    Mode { name, kind, bases, what }
}

/// The modes, in the order the demo and the bench run them (the example's `/modes` order).
pub const MODES: [Mode; 19] = {
    use Kind::*;
    [
        mode("rpc", Baseline, &[], "raw Rust RPC (hand-written binding): baseline"),
        mode("call", CallCore, &[], "typed `call!`, awaited"),
        mode("continuation", CallCore, &[], "typed `call!` + `then` continuation"),
        mode(
            "durable",
            Durable,
            &["continuation", "js-durable"],
            "`call!` + `then`, durable (a row per call, exactly once)",
        ),
        mode("js", Baseline, &[], "plain Workers RPC, JavaScript to JavaScript"),
        mode(
            "js-to-rust",
            JavaScript,
            &["js", "js-to-rust-raw"],
            "JavaScript calls a Rust `#[callable]` method by name (JSON through `__call_core_named`)",
        ),
        mode(
            "js-to-rust-raw",
            JavaScript,
            &["js"],
            "JavaScript calls a raw `#[wasm_bindgen]` method of a Rust object (`rpcEcho`)",
        ),
        mode("js-durable", Durable, &[], "JavaScript: insert a row, RPC, delete the row (the floor)"),
        mode("rpc-string", Ablation, &[], "ablation: raw RPC of an envelope-sized string"),
        mode("rpc-envelope", Ablation, &[], "ablation: raw RPC of a ready envelope to `__call`"),
        mode("rpc-bytes", Ablation, &[], "ablation: raw RPC of envelope-sized bytes"),
        mode("rpc-object", Ablation, &[], "ablation: raw RPC of the envelope as a JS object"),
        mode("pipeline", Composite, &["pipeline-rpc", "pipeline-js"], "chain of 3 as one nested `call!`: 1 RPC"),
        mode("pipeline-rpc", Composite, &[], "chain of 3 as sequential raw Rust RPCs: 3 RPCs"),
        mode("pipeline-js", Composite, &["pipeline-rpc"], "chain of 3 in JavaScript, each call awaited: 3 RPCs"),
        mode("fanin", Composite, &["fanin-join"], "fan-in of 2 calls to 2 objects, 1 continuation"),
        mode("fanin-join", Composite, &[], "join of 2 awaited `call!`s to 2 objects"),
        mode(
            "rust-to-js",
            JavaScript,
            &["rust-to-js-raw", "js"],
            "Rust calls a JavaScript Durable Object's method with `call!` (`#[remote]`)",
        ),
        mode("rust-to-js-raw", JavaScript, &["js"], "Rust calls a JavaScript method through a hand-written binding"),
    ]
};

/// The baselines, in the order of their columns.
pub const BASELINES: [&str; 2] = ["rpc", "js"];

/// The mode called `name`.
pub fn get(name: &str) -> Option<&'static Mode> {
    MODES.iter().find(|m| m.name == name)
}

/// Whether `name` is a mode of one of `kinds`.
pub fn is(name: &str, kinds: &[Kind]) -> bool {
    get(name).is_some_and(|m| kinds.contains(&m.kind))
}

/// The bases of `name` (none for a name the table lacks).
pub fn bases(name: &str) -> &'static [&'static str] {
    get(name).map_or(&[], |m| m.bases)
}

/// The comparisons among the modes of `kind`, one table each: a mode of the kind with
/// bases leads one, with its bases, unless an earlier one holds it; a mode of the kind in
/// none is a comparison of its own. Members are in [`MODES`] order.
pub fn comparisons(kind: Kind) -> Vec<(&'static Mode, Vec<&'static str>)> {
    let mut out: Vec<(&Mode, Vec<&str>)> = Vec::new();
    let leads = MODES.iter().filter(|m| m.kind == kind && !m.bases.is_empty());
    for lead in leads.chain(MODES.iter().filter(|m| m.kind == kind)) {
        let members = MODES.iter().map(|m| m.name).filter(|n| *n == lead.name || lead.bases.contains(n));
        if !out.iter().any(|(_, held)| held.contains(&lead.name)) {
            out.push((lead, members.collect()));
        }
    }
    out
}

/// Checks that the example's `/modes` and this table list the same modes.
pub fn check(listed: &[String]) -> Result<()> {
    let only_worker: Vec<&str> = listed.iter().map(String::as_str).filter(|n| get(n).is_none()).collect();
    let only_xtask: Vec<&str> = MODES.iter().map(|m| m.name).filter(|n| !listed.iter().any(|l| l == n)).collect();
    if !only_worker.is_empty() || !only_xtask.is_empty() {
        bail!(
            "the example's /modes and xtask's table of modes (xtask/src/bench/modes.rs) differ: only the \
             Worker has {only_worker:?}, only xtask has {only_xtask:?}; a mode is one entry in each"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_once_with_bases_that_exist() {
        for (i, m) in MODES.iter().enumerate() {
            assert!(MODES[..i].iter().all(|o| o.name != m.name), "{} twice", m.name);
            assert!(m.bases.iter().all(|b| get(b).is_some() && *b != m.name), "{}: {:?}", m.name, m.bases);
        }
        assert!(BASELINES.iter().all(|b| is(b, &[Kind::Baseline])));
        let names =
            |kind| comparisons(kind).into_iter().map(|(lead, members)| (lead.name, members)).collect::<Vec<_>>();
        let pipeline = ("pipeline", vec!["pipeline", "pipeline-rpc", "pipeline-js"]);
        assert_eq!(names(Kind::Composite), [pipeline, ("fanin", vec!["fanin", "fanin-join"])]);
        assert_eq!(names(Kind::Durable), [("durable", vec!["continuation", "durable", "js-durable"])]);
        assert_eq!(names(Kind::Ablation).len(), 4, "modes without bases are their own comparison");
    }

    #[test]
    fn the_worker_and_the_table_must_agree() {
        let all: Vec<String> = MODES.iter().map(|m| m.name.to_string()).collect();
        assert!(check(&all).is_ok());
        let mut other = all[1..].to_vec();
        other.push("made-up".into());
        let err = check(&other).unwrap_err().0;
        assert!(err.contains(r#"only the Worker has ["made-up"], only xtask has ["rpc"]"#), "{err}");
    }
}
