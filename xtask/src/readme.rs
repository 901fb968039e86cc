//! `cargo xtask readme`: the README's figures, generated from `results/`.
//!
//! Every figure of the README's Performance section that comes from a bench run lives
//! between marker comments,
//!
//! ```text
//! <!-- generated:bench-table -->
//! …
//! <!-- /generated -->
//! ```
//!
//! and is rewritten from `results/bench.json` (the rows) and `results/bench.md` (the run's
//! header: date, machine, workerd, commit). The tables are generic over the modes present:
//! a mode added to the example gets its rows by itself (`rpc-…` modes are ablations, `rpc`
//! and `js` the baselines, `pipeline…` and `fanin…` composite modes with their own table,
//! see [`composite`](crate::composite); every other mode is one call through call-core).
//! The unit test
//! `the_readme_matches_results` fails when a generated section differs from what
//! `results/` produces, so a hand-edited figure cannot land.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::util::{workspace_root, Context};
use crate::{bail, Result};

/// Opens a generated section; the name follows, then ` -->`.
pub const OPEN: &str = "<!-- generated:";
/// Closes a generated section.
pub const CLOSE: &str = "<!-- /generated -->";

/// The seed's figures (the TypeScript predecessor, measured before this project; quoted).
pub const SEED: &str = "the TypeScript library `@lumenize/call` took 2.8–4.0 ms/op where plain Workers RPC took \
                        0.10–0.12 ms/op at N = 10 and 50 (27–33x slower)";

/// One (mode, N) of `bench.json` (`"kind": "workerd"`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Measured {
    /// The mode.
    pub mode: String,
    /// Concurrent calls per round.
    pub n: u32,
    /// Rounds per request.
    pub rounds: u32,
    /// Measured runs.
    pub runs: usize,
    /// Median ms/op.
    pub ms_per_op: f64,
    /// Fastest run.
    pub min: f64,
    /// Slowest run.
    pub max: f64,
    /// Median of per-run ratios to `rpc`.
    pub ratio_to_rpc: Option<f64>,
    /// Median of per-run ratios to `js`.
    pub ratio_to_js: Option<f64>,
    /// Median of per-run ratios to each base of a composite or durable mode.
    #[serde(default)]
    pub ratios: BTreeMap<String, f64>,
    /// A durable mode's rows per call and commits per batch on each side
    /// ([`durable_bench::writes`](crate::durable_bench::writes)).
    #[serde(default)]
    pub writes: Option<Value>,
}

/// A bench run as `results/` holds it.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// `bench.md`'s header lines (`- key: value`), in order.
    pub header: Vec<(String, String)>,
    /// The workerd rows, in the bench's order.
    pub rows: Vec<Measured>,
    /// The native and wasm per-call figures.
    pub per_call: Vec<Value>,
    /// `fuzz.md` (written by `cargo xtask fuzz`), if there is one.
    pub fuzz: Option<String>,
    /// `demo.md` (written by `cargo xtask demo --record`), if there is one.
    pub demo: Option<String>,
    /// The cost of one storage commit, when measured ([`durable_bench::commit_cost`](crate::durable_bench::commit_cost)).
    pub commit: Option<Value>,
    /// `profile-summary.md` (`cargo xtask profile --summary`), when there is one.
    pub profile_summary: Option<String>,
}

impl Results {
    /// Reads `dir/bench.json` and `dir/bench.md`.
    pub fn read(dir: &Path) -> Result<Results> {
        let json_path = dir.join("bench.json");
        let text = std::fs::read_to_string(&json_path).context(|| format!("cannot read {}", json_path.display()))?;
        let all: Vec<Value> = serde_json::from_str(&text).context(|| json_path.display().to_string())?;
        let md_path = dir.join("bench.md");
        let md = std::fs::read_to_string(&md_path).context(|| format!("cannot read {}", md_path.display()))?;
        let mut results = Results::parse(&all, &md)?;
        results.fuzz = std::fs::read_to_string(dir.join("fuzz.md")).ok();
        results.demo = std::fs::read_to_string(dir.join("demo.md")).ok();
        results.profile_summary = std::fs::read_to_string(dir.join("profile-summary.md")).ok();
        Ok(results)
    }

    /// Builds from `bench.json`'s array and `bench.md`'s text.
    pub fn parse(all: &[Value], md: &str) -> Result<Results> {
        let mut rows = Vec::new();
        let mut per_call = Vec::new();
        let mut commit = None;
        for item in all {
            match item["kind"].as_str() {
                Some("commit") => commit = Some(item.clone()),
                Some("workerd") => rows.push(serde_json::from_value(item.clone()).context(|| format!("row {item}"))?),
                Some("native" | "wasm") => per_call.push(item.clone()),
                _ => {}
            }
        }
        let header = md
            .lines()
            .take_while(|l| !l.starts_with("## "))
            .filter_map(|l| l.strip_prefix("- ")?.split_once(": "))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok(Results { header, rows, per_call, commit, fuzz: None, demo: None, profile_summary: None })
    }

    fn field(&self, key: &str) -> &str {
        self.header.iter().find(|(k, _)| k == key).map_or("?", |(_, v)| v.as_str())
    }

    /// The modes, in the bench's order.
    pub fn modes(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        self.rows.iter().map(|r| r.mode.as_str()).filter(|m| seen.insert(*m)).collect()
    }

    /// The batch sizes, ascending.
    pub fn sizes(&self) -> Vec<u32> {
        self.rows.iter().map(|r| r.n).collect::<BTreeSet<_>>().into_iter().collect()
    }

    pub(crate) fn row(&self, mode: &str, n: u32) -> Option<&Measured> {
        self.rows.iter().find(|r| r.mode == mode && r.n == n)
    }

    pub(crate) fn of(&self, mode: &str) -> Vec<&Measured> {
        self.rows.iter().filter(|r| r.mode == mode).collect()
    }

    /// Measured runs per (mode, N): one number, or a range when rows differ.
    pub fn runs(&self) -> String {
        let runs: BTreeSet<usize> = self.rows.iter().map(|r| r.runs).collect();
        match (runs.first(), runs.last()) {
            (Some(a), Some(b)) if a == b => a.to_string(),
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => "no".into(),
        }
    }

    /// A native per-call figure (ns per op) of the run, by name.
    pub(crate) fn native(&self, name: &str) -> Option<f64> {
        self.per_call.iter().find(|f| f["name"] == name).and_then(|f| f["ns_per_op"].as_f64())
    }
}

/// `rpc` and `js`: what the other modes are compared with.
pub fn is_baseline(mode: &str) -> bool {
    mode == "rpc" || mode == "js"
}

/// `rpc-…`: raw RPC carrying part of what a call carries.
pub fn is_ablation(mode: &str) -> bool {
    mode.starts_with("rpc-")
}

/// Modes of one call through call-core.
pub fn is_call_core(mode: &str) -> bool {
    !is_baseline(mode) && !is_ablation(mode) && !crate::composite::is_composite(mode)
}

/// Rewrites every generated section of `readme` from `results`.
pub fn render(readme: &str, results: &Results) -> Result<String> {
    let mut out = String::with_capacity(readme.len());
    let mut rest = readme;
    while let Some(start) = rest.find(OPEN) {
        let after_open = &rest[start + OPEN.len()..];
        let Some(name_end) = after_open.find(" -->") else { bail!("README: unterminated `{OPEN}` marker") };
        let name = &after_open[..name_end];
        let body_start = start + OPEN.len() + name_end + " -->".len();
        let Some(close) = rest[body_start..].find(CLOSE) else { bail!("README: section `{name}` has no `{CLOSE}`") };
        out.push_str(&rest[..body_start]);
        out.push('\n');
        out.push_str(&section(name, results)?);
        out.push_str(CLOSE);
        rest = &rest[body_start + close + CLOSE.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `text` with the bodies of its generated sections removed: two READMEs that differ
/// only in generated figures are equal after this.
pub fn strip_generated(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let Some(close) = rest[start..].find(CLOSE) else { break };
        let Some(name_end) = rest[start..].find(" -->") else { break };
        out.push_str(&rest[..start + name_end + 4]);
        rest = &rest[start + close..];
    }
    out.push_str(rest);
    out
}

/// The body of one generated section (ends with a newline).
pub fn section(name: &str, r: &Results) -> Result<String> {
    if name == "fuzz" {
        return Ok(fuzz(r));
    }
    if name == "demo" {
        return Ok(crate::demo::section(r.demo.as_deref()));
    }
    if r.rows.is_empty() {
        bail!("results/bench.json has no workerd rows: run `cargo xtask bench`");
    }
    Ok(match name {
        "bench-run" => run_paragraph(r),
        "bench-table" => {
            let modes: Vec<&str> = r
                .modes()
                .into_iter()
                .filter(|m| {
                    !is_ablation(m) && !crate::composite::is_composite(m) && !crate::durable_bench::is_durable(m)
                })
                .collect();
            let mut s = mode_table(r, &modes, false);
            let _ = writeln!(
                s,
                "\nms per call: median of {} runs; a ratio range runs over N, each the median of the per-run \
                 ratios at that N. ![ms/op against N](results/bench.svg)",
                r.runs()
            );
            s
        }
        "bench-ablations" => {
            let modes: Vec<&str> = r.modes().into_iter().filter(|m| is_ablation(m)).collect();
            if modes.is_empty() {
                "(No ablation mode in the latest run.)\n".into()
            } else {
                mode_table(r, &modes, true)
            }
        }
        "bench-seed" => seed_paragraph(r),
        "bench-composite" => crate::composite::section(r),
        "bench-durable" => crate::durable_bench::section(r),
        "bench-targets" => crate::targets::table(r),
        "bench-per-call" => per_call(r),
        "profile-breakdown" => profile_breakdown(r),
        other => bail!("README: unknown generated section `{other}`"),
    })
}

/// `results/profile-summary.md` without its title, its `## N = …` headings as paragraphs.
fn profile_breakdown(r: &Results) -> String {
    let Some(text) = &r.profile_summary else {
        return "(No profile summary in results/: run `cargo xtask profile --summary`.)\n".into();
    };
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.starts_with("# ")) {
        match line.strip_prefix("## ") {
            Some(heading) => {
                let _ = writeln!(out, "**{heading}** (results/profile-summary.md):");
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    format!("{}\n", out.trim_matches('\n'))
}

fn ms(x: f64) -> String {
    format!("{x:.3}")
}

/// One table row's cells after its name: the mode's ms/op at each N, then its ratio range
/// to each of `bases` (`1` in the base's own column).
pub(crate) fn ms_and_ratio_cells(s: &mut String, r: &Results, mode: &str, sizes: &[u32], bases: &[&str]) {
    for &n in sizes {
        let _ = write!(s, " {} |", r.row(mode, n).map_or("–".into(), |x| ms(x.ms_per_op)));
    }
    for &base in bases {
        let cell = if mode == base {
            "1".to_string()
        } else {
            ratio_range(r.of(mode).iter().filter_map(|x| x.ratio_to(base)))
        };
        let _ = write!(s, " {cell} |");
    }
}

/// `a–bx` over the values (`ax` when equal), or `–` when there are none.
pub(crate) fn ratio_range(values: impl IntoIterator<Item = f64>) -> String {
    range(values, |x| format!("{x:.2}"), "x")
}

fn range(values: impl IntoIterator<Item = f64>, fmt: impl Fn(f64) -> String, unit: &str) -> String {
    let v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return "–".into();
    }
    let (lo, hi) = (
        fmt(v.iter().copied().fold(f64::INFINITY, f64::min)),
        fmt(v.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
    );
    if lo == hi {
        format!("{lo}{unit}")
    } else {
        format!("{lo}–{hi}{unit}")
    }
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn run_paragraph(r: &Results) -> String {
    let rounds: Vec<String> =
        r.sizes().iter().filter_map(|&n| r.rows.iter().find(|x| x.n == n)).map(|x| x.rounds.to_string()).collect();
    let sizes: Vec<String> = r.sizes().iter().map(u32::to_string).collect();
    let spreads: Vec<f64> = r.rows.iter().filter(|x| x.min > 0.0).map(|x| x.max / x.min).collect();
    format!(
        "The figures below are from the latest `cargo xtask bench` ([results/bench.md](results/bench.md)): \
         commit {}, {}; **{} measured runs** per (mode, N) after one warm-up request each; R = {} rounds at \
         N = {}; both Durable Objects in one local workerd ({}), on {}. In this run the slowest of a (mode, N)'s \
         runs took {:.2}x the fastest (median over the rows of max/min).{}\n",
        r.field("commit"),
        r.field("date"),
        r.runs(),
        rounds.join(", "),
        sizes.join(", "),
        r.field("workerd"),
        r.field("machine"),
        crate::bench::median(&spreads),
        if r.rows.iter().any(|x| x.runs < crate::bench::RUNS) {
            format!(
                " With fewer than {} runs per (mode, N), differences of 10-20 % are not established.",
                crate::bench::RUNS
            )
        } else {
            String::new()
        }
    )
}

fn mode_table(r: &Results, modes: &[&str], with_median: bool) -> String {
    let sizes = r.sizes();
    let mut s = String::from("| mode |");
    for n in &sizes {
        let _ = write!(s, " N={n} |");
    }
    s.push_str(" ratio to `rpc` |");
    if with_median {
        s.push_str(" median over N |");
    }
    s.push_str(" ratio to `js` |\n|---|");
    s.push_str(&"---:|".repeat(sizes.len() + 2 + usize::from(with_median)));
    s.push('\n');
    for mode in modes {
        let _ = write!(s, "| `{mode}` |");
        for &n in &sizes {
            let _ = write!(s, " {} |", r.row(mode, n).map_or("–".into(), |x| ms(x.ms_per_op)));
        }
        let rows = r.of(mode);
        let to = |base: &str, get: fn(&Measured) -> Option<f64>| {
            if *mode == base {
                "1".to_string()
            } else {
                ratio_range(rows.iter().filter_map(|x| get(x)))
            }
        };
        let _ = write!(s, " {} |", to("rpc", |x| x.ratio_to_rpc));
        if with_median {
            let ratios: Vec<f64> = rows.iter().filter_map(|x| x.ratio_to_rpc).collect();
            let _ = write!(
                s,
                " {} |",
                if ratios.is_empty() { "–".into() } else { format!("{:.2}x", crate::bench::median(&ratios)) }
            );
        }
        let _ = writeln!(s, " {} |", to("js", |x| x.ratio_to_js));
    }
    s
}

fn seed_paragraph(r: &Results) -> String {
    let sizes: Vec<String> = r.sizes().iter().map(u32::to_string).collect();
    let ours: Vec<String> = r
        .modes()
        .into_iter()
        .filter(|m| is_call_core(m) && !crate::durable_bench::is_durable(m))
        .map(|m| {
            let rows = r.of(m);
            let ratios: Vec<String> = [
                ("rpc", rows.iter().filter_map(|x| x.ratio_to_rpc).collect::<Vec<_>>()),
                ("js", rows.iter().filter_map(|x| x.ratio_to_js).collect()),
            ]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(base, v)| format!("{} `{base}`", ratio_range(v)))
            .collect();
            let ratios = if ratios.is_empty() { String::new() } else { format!(" ({})", ratios.join(", ")) };
            format!("`{m}` {} ms/op{ratios}", range(rows.iter().map(|x| x.ms_per_op), ms, ""))
        })
        .collect();
    let ours = if ours.is_empty() { "no call-core mode was measured".to_string() } else { ours.join("; ") };
    format!(
        "Against the seed: {SEED}, and hung at 45 of 50 concurrent calls in production. Here, at N = {}: {ours}.\n",
        list(&sizes)
    )
}

fn per_call(r: &Results) -> String {
    if r.per_call.is_empty() {
        return "(The latest run has no per-call figures: it ran with `--no-native`.)\n".into();
    }
    let mut s = crate::per_call::table(&r.per_call);
    let call: Vec<f64> = r.of("call").iter().map(|x| x.ms_per_op).collect();
    if let (Some(wasm), false) = (r.native("wasm_call_work"), call.is_empty()) {
        let call_ms = crate::bench::median(&call);
        let _ = writeln!(
            s,
            "\nThe wasm row, {:.1} µs, is {:.1} % of one `call` in the same run ({} ms/op, the median over N).",
            wasm / 1000.0,
            wasm / 1e6 / call_ms * 100.0,
            ms(call_ms)
        );
    }
    s
}

/// The fuzzing figure, from `results/fuzz.md`.
fn fuzz(r: &Results) -> String {
    match r.fuzz.as_deref().and_then(crate::fuzz::parse_record) {
        Some((seconds, executions, crashes, commit)) => format!(
            "  The latest run (results/fuzz.md, `cargo xtask fuzz --seconds {seconds}` at {commit}): {executions} \
             executions in {seconds} s, {crashes} crash(es).\n"
        ),
        None => "  (No fuzzing run is recorded: `cargo xtask fuzz` writes results/fuzz.md.)\n".to_string(),
    }
}

/// Rewrites the README's generated sections from `results/`; returns whether it changed.
pub fn update(root: &Path) -> Result<bool> {
    let path = root.join("README.md");
    let old = std::fs::read_to_string(&path).context(|| format!("cannot read {}", path.display()))?;
    let new = render(&old, &Results::read(&root.join("results"))?)?;
    if new != old {
        std::fs::write(&path, &new).context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(new != old)
}

/// `cargo xtask readme [--check]`.
pub fn command(args: &[String]) -> Result<()> {
    let root = workspace_root();
    match args.first().map(String::as_str) {
        None => {
            let changed = update(&root)?;
            crate::util::say(if changed {
                "README.md: generated sections rewritten from results/"
            } else {
                "README.md: generated sections already match results/"
            });
            Ok(())
        }
        Some("--check") => {
            let old = std::fs::read_to_string(root.join("README.md"))?;
            if render(&old, &Results::read(&root.join("results"))?)? != old {
                bail!("README.md's generated sections differ from results/: run `cargo xtask readme`");
            }
            Ok(())
        }
        Some(other) => bail!("unknown readme option `{other}` (cargo xtask readme [--check])"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(mode: &str, n: u32, ms: f64, rpc: f64, js: f64) -> Value {
        json!({"kind": "workerd", "mode": mode, "n": n, "rounds": 2000 / n, "runs": 15, "ms_per_op": ms,
               "min": ms * 0.9, "max": ms * 1.2, "ratio_to_rpc": rpc, "ratio_to_js": js})
    }

    fn results(extra: &[Value]) -> Results {
        let mut all = vec![
            json!({"kind": "meta", "commit": "abc"}),
            row("rpc", 10, 0.1, 1.0, 1.2),
            row("rpc", 50, 0.1, 1.0, 1.3),
            row("call", 10, 0.11, 1.1, 1.32),
            row("call", 50, 0.125, 1.25, 1.6),
            row("js", 10, 0.08, 0.8, 1.0),
            row("js", 50, 0.08, 0.75, 1.0),
            json!({"kind": "native", "name": "pieces", "what": "all four", "ns_per_op": 1100.0, "min": 1000.0, "max": 1200.0}),
        ];
        all.extend(extra.iter().cloned());
        let md = "# cargo xtask bench\n\n- date: 2026-01-01\n- commit: abc (clean work tree)\n- machine: 2 cores\n\n## Durable\n- x: y\n";
        Results::parse(&all, md).unwrap()
    }

    #[test]
    fn sections_render_from_results() {
        let r = results(&[]);
        assert_eq!(r.modes(), ["rpc", "call", "js"]);
        assert_eq!(r.field("commit"), "abc (clean work tree)");
        assert_eq!(r.field("x"), "?", "only the header counts");
        let table = section("bench-table", &r).unwrap();
        assert!(table.contains("| mode | N=10 | N=50 | ratio to `rpc` | ratio to `js` |"), "{table}");
        assert!(table.contains("| `call` | 0.110 | 0.125 | 1.10–1.25x | 1.32–1.60x |"), "{table}");
        assert!(table.contains("| `rpc` | 0.100 | 0.100 | 1 | 1.20–1.30x |"), "{table}");
        assert!(table.contains("median of 15 runs"), "{table}");
        let targets = section("bench-targets", &r).unwrap();
        assert!(targets.contains("| `call` ≤ 1.10x `rpc` at every N | 1.10–1.25x | missed at N = 50 |"), "{targets}");
        assert!(targets.contains("| `continuation` ≤ 1.15x `rpc` at every N | not measured |  |"), "{targets}");
        assert!(targets.contains("1.1 µs (build + envelope + serve + decode) | met |"), "{targets}");
        assert!(targets.contains("| ms/op at N = 5000 ≤ 1.5x N = 50 | not measured |"), "{targets}");
        assert!(section("bench-run", &r).unwrap().contains("**15 measured runs**"));
        assert!(section("bench-seed", &r)
            .unwrap()
            .contains("`call` 0.110–0.125 ms/op (1.10–1.25x `rpc`, 1.32–1.60x `js`)"));
        assert_eq!(section("bench-ablations", &r).unwrap(), "(No ablation mode in the latest run.)\n");
        assert!(section("bench-nope", &r).is_err());
    }

    #[test]
    fn new_modes_get_rows_by_themselves() {
        let r = results(&[row("batched", 10, 0.2, 2.0, 2.5), row("rpc-string", 50, 0.12, 1.2, 1.5)]);
        let table = section("bench-table", &r).unwrap();
        assert!(table.contains("| `batched` | 0.200 | – | 2.00x | 2.50x |"), "{table}");
        assert!(!table.contains("rpc-string"), "ablations have their own table");
        let ablations = section("bench-ablations", &r).unwrap();
        assert!(ablations.contains("| `rpc-string` | – | 0.120 | 1.20x | 1.20x | 1.50x |"), "{ablations}");
        assert!(section("bench-seed", &r).unwrap().contains("`batched` 0.200 ms/op (2.00x `rpc`, 2.50x `js`)"));
        let mut no_js = r.clone();
        no_js.rows.retain(|x| x.mode != "js");
        no_js.rows.iter_mut().for_each(|x| x.ratio_to_js = None);
        assert!(section("bench-seed", &no_js).unwrap().contains("`call` 0.110–0.125 ms/op (1.10–1.25x `rpc`);"));
    }

    #[test]
    fn composite_modes_have_their_own_table_and_targets() {
        let mut pipeline = row("pipeline", 10, 0.12, 1.2, 1.4);
        pipeline["ratios"] = json!({"pipeline-rpc": 0.35, "pipeline-js": 0.9});
        let mut fanin = row("fanin", 10, 0.2, 2.0, 2.5);
        fanin["ratios"] = json!({"fanin-join": 1.2});
        let r =
            results(&[pipeline, row("pipeline-rpc", 10, 0.33, 3.3, 4.0), fanin, row("fanin-join", 10, 0.17, 1.7, 2.1)]);
        let table = section("bench-table", &r).unwrap();
        assert!(!table.contains("pipeline") && !table.contains("fanin"), "{table}");
        let composite = section("bench-composite", &r).unwrap();
        assert!(
            composite.contains("| mode | what | N=10 | N=50 | ratio to `pipeline-rpc` | ratio to `pipeline-js` |"),
            "{composite}"
        );
        assert!(
            composite.contains("| `pipeline` | chain of 3 as one nested `call!`: 1 RPC | 0.120 | – | 0.35x | 0.90x |"),
            "{composite}"
        );
        assert!(
            composite
                .contains("| `pipeline-rpc` | chain of 3 as sequential raw Rust RPCs: 3 RPCs | 0.330 | – | 1 | – |"),
            "{composite}"
        );
        assert!(
            composite.contains("| `fanin` | fan-in of 2 calls to 2 objects, 1 continuation | 0.200 | – | 1.20x |"),
            "{composite}"
        );
        let targets = section("bench-targets", &r).unwrap();
        assert!(targets.contains("| `pipeline` ≤ 0.40x `pipeline-rpc` at every N | 0.35x | met |"), "{targets}");
        assert!(targets.contains("| `pipeline` ≤ 1.00x `pipeline-js` at every N | 0.90x | met |"), "{targets}");
        assert!(targets.contains("| `fanin` ≤ 1.15x `fanin-join` at every N | 1.20x | missed |"), "{targets}");
        assert!(!section("bench-seed", &r).unwrap().contains("pipeline"));
        assert_eq!(
            section("bench-composite", &results(&[])).unwrap(),
            "(No pipeline or fan-in mode in the latest run.)\n"
        );
    }

    #[test]
    fn markers_are_rewritten_and_stripped() {
        let r = results(&[]);
        let readme = "intro\n<!-- generated:bench-seed -->\nold figures\n<!-- /generated -->\noutro\n";
        let new = render(readme, &r).unwrap();
        assert!(new.starts_with("intro\n<!-- generated:bench-seed -->\nAgainst the seed"), "{new}");
        assert!(new.ends_with(".\n<!-- /generated -->\noutro\n"), "{new}");
        assert_eq!(render(&new, &r).unwrap(), new, "idempotent");
        assert_eq!(strip_generated(&new), strip_generated(readme));
        assert_ne!(strip_generated(&new), strip_generated(&new.replace("intro", "intro!")));
        assert!(render("<!-- generated:bench-seed -->\nno end\n", &r).is_err());
        assert!(render("<!-- generated:bench-unknown -->\n<!-- /generated -->", &r).is_err());
    }

    /// The README's generated sections are what `results/` produces: figures come from a
    /// bench run, never from a hand edit (`cargo xtask readme` rewrites them).
    #[test]
    fn the_readme_matches_results() {
        let root = workspace_root();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        for name in ["bench-run", "bench-table", "bench-targets"] {
            assert!(readme.contains(&format!("{OPEN}{name} -->")), "README.md lacks the generated section {name}");
        }
        let results = Results::read(&root.join("results")).unwrap();
        let expected = render(&readme, &results).unwrap();
        if expected != readme {
            let diff: Vec<String> = readme
                .lines()
                .zip(expected.lines())
                .filter(|(a, b)| a != b)
                .take(5)
                .map(|(a, b)| format!("README:  {a}\nresults: {b}"))
                .collect();
            panic!(
                "README.md's generated sections differ from results/ (run `cargo xtask readme`):\n{}",
                diff.join("\n")
            );
        }
    }
}
