//! A bench run's results: the one row type per (mode, N), summarized from the samples,
//! written to `bench.json` with the run's other entries and read back from it, and the
//! run as `results/` holds it for the reports.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{json, Value};

use super::modes::{self, Kind};
use super::run::Sample;
use crate::util::Context;
use crate::Result;

/// The summary of one (mode, N), kept as measured; `bench.json` holds its figures rounded
/// to 4 decimals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The mode.
    pub mode: String,
    /// Concurrent calls per round.
    pub n: u32,
    /// Rounds per request.
    pub rounds: u32,
    /// Measured runs.
    pub runs: usize,
    /// Median in-DO ms/op over the runs.
    #[serde(serialize_with = "r4")]
    pub ms_per_op: f64,
    /// Fastest run's ms/op.
    #[serde(serialize_with = "r4")]
    pub min: f64,
    /// Slowest run's ms/op.
    #[serde(serialize_with = "r4")]
    pub max: f64,
    /// Median over runs of the ratio to `rpc`'s ms/op in the same run.
    #[serde(serialize_with = "r4")]
    pub ratio_to_rpc: Option<f64>,
    /// The same to `js`.
    #[serde(serialize_with = "r4")]
    pub ratio_to_js: Option<f64>,
    /// The same to each of the mode's bases.
    #[serde(default, serialize_with = "r4")]
    pub ratios: BTreeMap<String, f64>,
    /// Validated results over all measured runs.
    pub ok: u64,
    /// Calls made over all measured runs.
    pub calls: u64,
    /// Every run's ms/op, in run order.
    #[serde(serialize_with = "r4")]
    pub per_run_ms_per_op: Vec<f64>,
    /// Every run's in-DO ms for the whole request.
    pub per_run_ms: Vec<f64>,
    /// Every run's wall time seen by the client, for reference.
    #[serde(serialize_with = "r4")]
    pub client_ms: Vec<f64>,
    /// A durable mode's writes: per side (`caller`, `callee`), the medians over runs of
    /// `rows_per_call` and `commits_per_batch` (a commit is a turn with writes).
    #[serde(default)]
    pub writes: Option<Value>,
}

impl Row {
    /// The median of the per-run ratios to `base` (a baseline or one of the mode's bases).
    pub fn ratio_to(&self, base: &str) -> Option<f64> {
        match base {
            "rpc" => self.ratio_to_rpc,
            "js" => self.ratio_to_js,
            other => self.ratios.get(other).copied(),
        }
    }

    /// The ratios to the mode's bases, in the bases' order.
    pub fn base_ratios(&self) -> Vec<(&'static str, f64)> {
        modes::bases(&self.mode).iter().filter_map(|b| Some((*b, *self.ratios.get(*b)?))).collect()
    }

    /// One write figure (`side`: `caller` or `callee`; `field`: `rows_per_call` or
    /// `commits_per_batch`).
    pub fn written(&self, side: &str, field: &str) -> Option<f64> {
        self.writes.as_ref()?[side][field].as_f64()
    }
}

/// Serializes with every number rounded to 4 decimals, as `bench.json` holds figures.
fn r4<T: Serialize, S: Serializer>(value: &T, s: S) -> std::result::Result<S::Ok, S::Error> {
    fn round(v: &mut Value) {
        match v {
            Value::Number(n) => *v = n.as_f64().map_or(Value::Null, |x| ((x * 1e4).round() / 1e4).into()),
            Value::Array(items) => items.iter_mut().for_each(round),
            Value::Object(map) => map.values_mut().for_each(round),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(value).map_err(serde::ser::Error::custom)?;
    round(&mut v);
    v.serialize(s)
}

/// The median (mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        len if len % 2 == 1 => v[len / 2],
        len => (v[len / 2 - 1] + v[len / 2]) / 2.0,
    }
}

/// Summarizes the samples per (mode, N), in the order of `modes` then `sizes`: medians,
/// and each ratio the median over runs of the ratio to the base's sample of the same run
/// (pairing measurements taken seconds apart cancels part of the machine's drift).
pub fn summarize(samples: &[Sample], modes: &[String], sizes: &[u32]) -> Vec<Row> {
    let of = |mode: &str, n: u32| -> Vec<&Sample> { samples.iter().filter(|s| s.mode == mode && s.n == n).collect() };
    let ratio = |mine: &[&Sample], base: &str, n: u32| -> Option<f64> {
        let base = of(base, n);
        let ratios: Vec<f64> = mine
            .iter()
            .filter_map(|s| base.iter().find(|b| b.run == s.run).map(|b| s.ms_per_op() / b.ms_per_op()))
            .filter(|r| r.is_finite())
            .collect();
        (!ratios.is_empty()).then(|| median(&ratios))
    };
    let mut rows = Vec::new();
    for (mode, &n) in modes.iter().flat_map(|m| sizes.iter().map(move |n| (m, n))) {
        let mine = of(mode, n);
        let Some(first) = mine.first() else { continue };
        let per_op: Vec<f64> = mine.iter().map(|s| s.ms_per_op()).collect();
        rows.push(Row {
            mode: mode.clone(),
            n,
            rounds: first.rounds,
            runs: mine.len(),
            ms_per_op: median(&per_op),
            min: per_op.iter().copied().fold(f64::INFINITY, f64::min),
            max: per_op.iter().copied().fold(0.0, f64::max),
            ratio_to_rpc: ratio(&mine, "rpc", n),
            ratio_to_js: ratio(&mine, "js", n),
            ratios: modes::bases(mode).iter().filter_map(|b| Some((b.to_string(), ratio(&mine, b, n)?))).collect(),
            ok: mine.iter().map(|s| s.ok).sum(),
            calls: u64::from(n) * u64::from(first.rounds) * mine.len() as u64,
            per_run_ms_per_op: per_op,
            per_run_ms: mine.iter().map(|s| s.ms).collect(),
            client_ms: mine.iter().map(|s| s.client_ms).collect(),
            writes: writes(&mine),
        });
    }
    rows
}

/// Per side, the medians over `samples` of rows per call and commits per batch, rounded
/// to 3 decimals; `None` when the samples carry no `writes`.
fn writes(samples: &[&Sample]) -> Option<Value> {
    let per = |side: &str, field: &str, per_call: bool| {
        let values: Vec<f64> = samples
            .iter()
            .filter_map(|s| {
                let batches = f64::from(s.rounds) * if per_call { f64::from(s.n) } else { 1.0 };
                Some(s.writes.as_ref()?[side][field].as_f64()? / batches)
            })
            .collect();
        (!values.is_empty()).then(|| (median(&values) * 1e3).round() / 1e3)
    };
    let side = |s| json!({ "rows_per_call": per(s, "rows", true), "commits_per_batch": per(s, "commits", false) });
    samples.iter().any(|s| s.writes.is_some()).then(|| json!({ "caller": side("caller"), "callee": side("callee") }))
}

/// One entry of `bench.json`, an array: what was run (commit, dirty, diff_hash,
/// dirty_paths, runs, sizes, rounds, modes), the rows, the per-call figures (name, what,
/// ns_per_op, min, max, samples, ops_per_sample, raw), and the cost of a storage commit
/// when durable modes ran (turns, write_ms_per_turn, tick_ms_per_turn), and the value
/// conversion of calls by name (samples, shapes: shape, what, k, json_ns, swb_ns, ratio…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[allow(missing_docs)] // the variants are the kinds of entries named above
pub enum Entry {
    Meta(Value),
    Workerd(Box<Row>),
    Native(Value),
    Wasm(Value),
    Commit(Value),
    Conversion(Value),
}

/// A bench run as `results/` holds it, with the other records the generated sections quote.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// `bench.md`'s header lines (`- key: value`), in order.
    pub header: Vec<(String, String)>,
    /// The rows, in the bench's order.
    pub rows: Vec<Row>,
    /// The native and wasm per-call figures.
    pub per_call: Vec<Value>,
    /// The cost of one storage commit, when measured.
    pub commit: Option<Value>,
    /// JSON against serde-wasm-bindgen for the values of calls by name, when measured.
    pub conversion: Option<Value>,
    /// `fuzz.md` (`cargo xtask fuzz`), when there.
    pub fuzz: Option<String>,
    /// `demo.md` (`cargo xtask demo --record`), when there.
    pub demo: Option<String>,
    /// `profile-summary.md` (`cargo xtask profile --summary`), when there.
    pub profile_summary: Option<String>,
}

impl Results {
    /// Reads `dir/bench.json`, `dir/bench.md` and the other records in `dir`.
    pub fn read(dir: &Path) -> Result<Results> {
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).context(|| format!("cannot read {name}"));
        let entries: Vec<Entry> = serde_json::from_str(&read("bench.json")?).context(|| "bench.json".into())?;
        let mut results = Results::parse(entries, &read("bench.md")?);
        (results.fuzz, results.demo) = (read("fuzz.md").ok(), read("demo.md").ok());
        results.profile_summary = read("profile-summary.md").ok();
        Ok(results)
    }

    /// Builds from `bench.json`'s entries and `bench.md`'s text.
    pub fn parse(entries: Vec<Entry>, md: &str) -> Results {
        let mut r = Results::default();
        for entry in entries {
            match entry {
                Entry::Meta(_) => {}
                Entry::Workerd(row) => r.rows.push(*row),
                Entry::Native(f) | Entry::Wasm(f) => r.per_call.push(f),
                Entry::Commit(c) => r.commit = Some(c),
                Entry::Conversion(c) => r.conversion = Some(c),
            }
        }
        let header = md.lines().take_while(|l| !l.starts_with("## "));
        let fields = header.filter_map(|l| l.strip_prefix("- ")?.split_once(": "));
        r.header = fields.map(|(k, v)| (k.to_string(), v.to_string())).collect();
        r
    }

    /// A header field of `bench.md` (`?` when absent).
    pub fn field(&self, key: &str) -> &str {
        self.header.iter().find(|(k, _)| k == key).map_or("?", |(_, v)| v.as_str())
    }

    /// The modes of one of `kinds`, in the bench's order (all with `None`).
    pub fn modes(&self, kinds: Option<&[Kind]>) -> Vec<&str> {
        // The rows come mode by mode ([`summarize`]), so this is each mode once.
        let rows = self.rows.iter().filter(|r| kinds.is_none_or(|k| modes::is(&r.mode, k)));
        let mut seen: Vec<&str> = rows.map(|r| r.mode.as_str()).collect();
        seen.dedup();
        seen
    }

    /// The batch sizes, ascending.
    pub fn sizes(&self) -> Vec<u32> {
        let mut sizes: Vec<u32> = self.rows.iter().map(|r| r.n).collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    }

    /// The row of (`mode`, `n`).
    pub fn row(&self, mode: &str, n: u32) -> Option<&Row> {
        self.rows.iter().find(|r| r.mode == mode && r.n == n)
    }

    /// The rows of `mode`, by N.
    pub fn of(&self, mode: &str) -> Vec<&Row> {
        self.rows.iter().filter(|r| r.mode == mode).collect()
    }

    /// Measured runs per (mode, N): one number, or a range when rows differ.
    pub fn runs(&self) -> String {
        match (self.rows.iter().map(|r| r.runs).min(), self.rows.iter().map(|r| r.runs).max()) {
            (Some(a), Some(b)) if a == b => a.to_string(),
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => "no".into(),
        }
    }

    /// The range over N of one write figure of `mode` ([`Row::written`]; `–` when none).
    pub fn writes_range(&self, mode: &str, side: &str, field: &str) -> String {
        crate::markdown::range(
            self.of(mode).into_iter().filter_map(|x| x.written(side, field)),
            crate::markdown::count,
            "",
        )
    }

    /// A per-call figure (ns per op), by name.
    pub fn per_call(&self, name: &str) -> Option<f64> {
        self.per_call.iter().find(|f| f["name"] == name)?["ns_per_op"].as_f64()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(mode: &str, n: u32, run: usize, ms: f64) -> Sample {
        let rounds = super::super::run::rounds_for(n);
        Sample { mode: mode.into(), n, rounds, run, ms, client_ms: ms + 1.0, ok: u64::from(n * rounds), writes: None }
    }

    #[test]
    fn ratios_pair_runs() {
        let ms = [("rpc", 600.0), ("call", 660.0), ("rpc", 300.0), ("call", 360.0), ("rpc", 600.0), ("call", 690.0)];
        let mut samples: Vec<Sample> = ms.iter().enumerate().map(|(i, (m, ms))| sample(m, 10, i / 2, *ms)).collect();
        samples.extend([sample("pipeline", 10, 0, 100.0), sample("pipeline-rpc", 10, 0, 300.0)]);
        samples.push(sample("pipeline-js", 10, 0, 200.0));
        let modes = ["rpc", "call", "pipeline", "pipeline-rpc", "pipeline-js"].map(String::from);
        let rows = summarize(&samples, &modes, &[10]);
        let call = &rows[1];
        assert!((call.ratio_to_rpc.unwrap() - 1.15).abs() < 1e-9, "median of 1.1, 1.2, 1.15");
        assert!((call.ms_per_op - 0.33).abs() < 1e-9 && (call.min - 0.18).abs() < 1e-9);
        assert_eq!((call.ratio_to_js, call.runs, call.calls, call.per_run_ms.len()), (None, 3, 6000, 3));
        let ratios: Vec<(&str, String)> =
            rows[2].base_ratios().into_iter().map(|(b, x)| (b, format!("{x:.2}"))).collect();
        assert_eq!(ratios, [("pipeline-rpc", "0.33".into()), ("pipeline-js", "0.50".into())], "in the bases' order");
    }

    #[test]
    fn writes_per_call_and_per_batch() {
        let writes_of = |rows: u64, commits: u64| Sample {
            writes: Some(json!({ "caller": { "rows": rows, "commits": commits }, "callee": { "rows": 0 } })),
            ..sample("durable", 10, 0, 1.0)
        };
        let w = writes(&[&writes_of(800, 400), &writes_of(800, 600), &writes_of(880, 400)]).unwrap();
        assert_eq!(
            w,
            json!({ "caller": { "rows_per_call": 0.4, "commits_per_batch": 2.0 },
                              "callee": { "rows_per_call": 0.0, "commits_per_batch": null } })
        );
        assert_eq!(writes(&[&sample("call", 10, 0, 1.0)]), None);
    }

    /// `bench.json` reads into these types and writes back byte for byte: one row type,
    /// and no field of the committed results lost on the way.
    #[test]
    fn the_committed_bench_json_round_trips() {
        let text = std::fs::read_to_string(crate::util::workspace_root().join("results/bench.json")).unwrap();
        let entries: Vec<Entry> = serde_json::from_str(&text).unwrap();
        assert!(entries.iter().any(|e| matches!(e, Entry::Workerd(r) if r.writes.is_some())));
        assert_eq!(format!("{:#}\n", serde_json::to_value(&entries).unwrap()), text);
    }
}
