//! A bench run's results: the one row type per (mode, N), summarized from the samples,
//! written to `bench.json` and read back from it, with the run's other entries (what was
//! run, the per-call figures, the cost of a storage commit) and, for the reports, the
//! other files of `results/`.

use std::path::Path;

use serde::{Deserialize, Serialize, Serializer};

use super::modes;
use super::run::Sample;
use crate::util::Context;
use crate::Result;

/// The summary of one (mode, N). Figures are kept as measured; `bench.json` holds them
/// rounded to 4 decimals.
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
    /// Median over runs of the ratio to `js`'s ms/op in the same run.
    #[serde(serialize_with = "r4")]
    pub ratio_to_js: Option<f64>,
    /// The same against each of the mode's bases ([`modes::Mode::bases`]), in their order.
    #[serde(default, with = "ratios")]
    pub ratios: Vec<(String, f64)>,
    /// Validated results over all measured runs.
    pub ok: u64,
    /// Calls made over all measured runs (`n * rounds * runs`).
    pub calls: u64,
    /// Every run's ms/op, in run order.
    #[serde(serialize_with = "r4")]
    pub per_run_ms_per_op: Vec<f64>,
    /// Every run's in-DO ms for the whole request.
    pub per_run_ms: Vec<f64>,
    /// Every run's wall time seen by the client, for reference.
    #[serde(serialize_with = "r4")]
    pub client_ms: Vec<f64>,
    /// A durable mode's writes, medians over the runs.
    #[serde(default)]
    pub writes: Option<Writes>,
}

/// What a durable mode wrote, per side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Writes {
    /// The calling object.
    pub caller: Side,
    /// The called object (its reply records).
    pub callee: Side,
}

/// One side's writes: medians over runs, rounded to 3 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// Rows written per call.
    pub rows_per_call: Option<f64>,
    /// Commits (turns with writes) per batch of N calls.
    pub commits_per_batch: Option<f64>,
}

impl Row {
    /// The median of the per-run ratios to `base` (a baseline or one of the mode's bases).
    pub fn ratio_to(&self, base: &str) -> Option<f64> {
        match base {
            "rpc" => self.ratio_to_rpc,
            "js" => self.ratio_to_js,
            other => self.ratios.iter().find(|(b, _)| b == other).map(|(_, x)| *x),
        }
    }
}

/// Rounds to 4 decimals whatever holds `f64`s, as `bench.json` writes them.
fn r4<T: Round, S: Serializer>(value: &T, s: S) -> std::result::Result<S::Ok, S::Error> {
    value.round4().serialize(s)
}

trait Round {
    type Out: Serialize;
    fn round4(&self) -> Self::Out;
}

impl Round for f64 {
    type Out = f64;
    fn round4(&self) -> f64 {
        (self * 1e4).round() / 1e4
    }
}

impl Round for Option<f64> {
    type Out = Option<f64>;
    fn round4(&self) -> Option<f64> {
        self.map(|x| x.round4())
    }
}

impl Round for Vec<f64> {
    type Out = Vec<f64>;
    fn round4(&self) -> Vec<f64> {
        self.iter().map(Round::round4).collect()
    }
}

/// The bases' ratios as a JSON object (rounded), read back in the object's order.
mod ratios {
    use super::Round;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(ratios: &[(String, f64)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(ratios.iter().map(|(base, x)| (base, x.round4())))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, f64)>, D::Error> {
        Ok(serde_json::Map::deserialize(d)?.into_iter().filter_map(|(k, v)| Some((k, v.as_f64()?))).collect())
    }
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
/// and each ratio the median over runs of the ratio to the base's sample of the same run.
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
    for mode in modes {
        for &n in sizes {
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
                ratios: modes::bases(mode)
                    .iter()
                    .filter_map(|base| Some((base.to_string(), ratio(&mine, base, n)?)))
                    .collect(),
                ok: mine.iter().map(|s| s.ok).sum(),
                calls: u64::from(n) * u64::from(first.rounds) * mine.len() as u64,
                per_run_ms_per_op: per_op,
                per_run_ms: mine.iter().map(|s| s.ms).collect(),
                client_ms: mine.iter().map(|s| s.client_ms).collect(),
                writes: writes(&mine),
            });
        }
    }
    rows
}

/// Per side, the median over `samples` of rows per call and commits per batch; `None`
/// when the samples carry no `writes`.
fn writes(samples: &[&Sample]) -> Option<Writes> {
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
        Side { rows_per_call: per("rows", true), commits_per_batch: per("commits", false) }
    };
    samples.iter().any(|s| s.writes.is_some()).then(|| Writes { caller: side("caller"), callee: side("callee") })
}

/// One entry of `bench.json`, an array: what was run, then the rows, the per-call
/// figures, and the cost of a storage commit when durable modes ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Entry {
    /// What was measured, and on which tree.
    Meta(Meta),
    /// One (mode, N).
    Workerd(Row),
    /// A native per-call figure.
    Native(PerCall),
    /// The per-call work in wasm inside workerd.
    Wasm(PerCall),
    /// What one storage commit costs in this workerd.
    Commit(Commit),
}

/// The run's description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// `git rev-parse HEAD`.
    pub commit: String,
    /// Whether the work tree had changes that count.
    pub dirty: bool,
    /// The hash of those changes.
    pub diff_hash: Option<String>,
    /// Their paths.
    pub dirty_paths: Vec<String>,
    /// Measured runs per (mode, N).
    pub runs: usize,
    /// Batch sizes.
    pub sizes: Vec<u32>,
    /// Rounds per request at each size.
    pub rounds: Vec<u32>,
    /// The modes run.
    pub modes: Vec<String>,
}

/// A per-call figure: ns per op over timed samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerCall {
    /// Short name.
    pub name: String,
    /// What is timed.
    pub what: String,
    /// Median.
    pub ns_per_op: f64,
    /// Fastest sample.
    pub min: f64,
    /// Slowest sample.
    pub max: f64,
    /// Timed samples.
    pub samples: usize,
    /// Operations per sample.
    pub ops_per_sample: u64,
    /// Every sample's ns per op.
    pub raw: Vec<f64>,
}

/// The cost of a turn with a write (one commit) and of an empty tick, ms per turn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    /// Turns per request.
    pub turns: u32,
    /// A turn that writes a row.
    pub write_ms_per_turn: f64,
    /// An empty `setTimeout(0)` tick.
    pub tick_ms_per_turn: f64,
}

/// A bench run as `results/` holds it, with the other records the reports quote.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// `bench.md`'s header lines (`- key: value`), in order.
    pub header: Vec<(String, String)>,
    /// The rows, in the bench's order.
    pub rows: Vec<Row>,
    /// The native and wasm per-call figures.
    pub per_call: Vec<PerCall>,
    /// The cost of one storage commit, when measured.
    pub commit: Option<Commit>,
    /// `fuzz.md` (written by `cargo xtask fuzz`), if there is one.
    pub fuzz: Option<String>,
    /// `demo.md` (written by `cargo xtask demo --record`), if there is one.
    pub demo: Option<String>,
    /// `profile-summary.md` (`cargo xtask profile --summary`), if there is one.
    pub profile_summary: Option<String>,
}

impl Results {
    /// Reads `dir/bench.json`, `dir/bench.md` and the other records in `dir`.
    pub fn read(dir: &Path) -> Result<Results> {
        let read = |name: &str| std::fs::read_to_string(dir.join(name));
        let path = dir.join("bench.json");
        let json = read("bench.json").context(|| format!("cannot read {}", path.display()))?;
        let entries: Vec<Entry> = serde_json::from_str(&json).context(|| path.display().to_string())?;
        let md = read("bench.md").context(|| format!("cannot read {}", dir.join("bench.md").display()))?;
        let mut results = Results::parse(entries, &md);
        results.fuzz = read("fuzz.md").ok();
        results.demo = read("demo.md").ok();
        results.profile_summary = read("profile-summary.md").ok();
        Ok(results)
    }

    /// Builds from `bench.json`'s entries and `bench.md`'s text.
    pub fn parse(entries: Vec<Entry>, md: &str) -> Results {
        let mut r = Results::default();
        for entry in entries {
            match entry {
                Entry::Meta(_) => {}
                Entry::Workerd(row) => r.rows.push(row),
                Entry::Native(f) | Entry::Wasm(f) => r.per_call.push(f),
                Entry::Commit(c) => r.commit = Some(c),
            }
        }
        r.header = md
            .lines()
            .take_while(|l| !l.starts_with("## "))
            .filter_map(|l| l.strip_prefix("- ")?.split_once(": "))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        r
    }

    /// A header field of `bench.md` (`?` when absent).
    pub fn field(&self, key: &str) -> &str {
        self.header.iter().find(|(k, _)| k == key).map_or("?", |(_, v)| v.as_str())
    }

    /// The modes, in the bench's order.
    pub fn modes(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for row in &self.rows {
            if !seen.contains(&row.mode.as_str()) {
                seen.push(&row.mode);
            }
        }
        seen
    }

    /// The modes of one of `kinds`, in the bench's order.
    pub fn modes_of(&self, kinds: &[modes::Kind]) -> Vec<&str> {
        self.modes().into_iter().filter(|m| modes::is(m, kinds)).collect()
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
        let (lo, hi) = (self.rows.iter().map(|r| r.runs).min(), self.rows.iter().map(|r| r.runs).max());
        match (lo, hi) {
            (Some(a), Some(b)) if a == b => a.to_string(),
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => "no".into(),
        }
    }

    /// A per-call figure (ns per op), by name.
    pub fn per_call(&self, name: &str) -> Option<f64> {
        self.per_call.iter().find(|f| f.name == name).map(|f| f.ns_per_op)
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
        let samples: Vec<Sample> = ms.iter().enumerate().map(|(i, (m, ms))| sample(m, 10, i / 2, *ms)).collect();
        let rows = summarize(&samples, &["rpc".into(), "call".into()], &[10]);
        let call = &rows[1];
        assert!((call.ratio_to_rpc.unwrap() - 1.15).abs() < 1e-9, "median of 1.1, 1.2, 1.15");
        assert_eq!(call.ratio_to_js, None);
        assert!((call.ms_per_op - 0.33).abs() < 1e-9 && (call.min - 0.18).abs() < 1e-9);
        assert_eq!((call.runs, call.calls, call.per_run_ms.as_slice()), (3, 6000, &[660.0, 360.0, 690.0][..]));
    }

    #[test]
    fn bases_and_writes() {
        let mut samples = vec![sample("pipeline", 10, 0, 100.0), sample("pipeline-rpc", 10, 0, 300.0)];
        samples.push(sample("pipeline-js", 10, 0, 200.0));
        let modes = ["pipeline", "pipeline-rpc", "pipeline-js"].map(String::from);
        let rows = summarize(&samples, &modes, &[10]);
        let ratios: Vec<(&str, f64)> =
            rows[0].ratios.iter().map(|(b, x)| (b.as_str(), (x * 100.0).round() / 100.0)).collect();
        assert_eq!(ratios, [("pipeline-rpc", 0.33), ("pipeline-js", 0.5)]);
        let durable = |rows: u64, commits: u64| Sample {
            writes: Some(
                serde_json::json!({ "caller": { "rows": rows, "commits": commits }, "callee": { "rows": 0 } }),
            ),
            ..sample("durable", 10, 0, 1.0)
        };
        let w = writes(&[&durable(800, 400), &durable(800, 600), &durable(880, 400)]).unwrap();
        assert_eq!((w.caller.rows_per_call, w.caller.commits_per_batch), (Some(0.4), Some(2.0)));
        assert_eq!((w.callee.rows_per_call, w.callee.commits_per_batch), (Some(0.0), None));
        assert_eq!(writes(&[&sample("call", 10, 0, 1.0)]), None);
    }

    /// `bench.json` reads into these types and writes back byte for byte: one row type,
    /// and no field of the committed results lost on the way.
    #[test]
    fn the_committed_bench_json_round_trips() {
        let path = crate::util::workspace_root().join("results/bench.json");
        let text = std::fs::read_to_string(path).unwrap();
        let entries: Vec<Entry> = serde_json::from_str(&text).unwrap();
        assert!(entries.iter().any(|e| matches!(e, Entry::Workerd(r) if r.writes.is_some())));
        assert_eq!(format!("{:#}\n", serde_json::to_value(&entries).unwrap()), text);
    }
}
