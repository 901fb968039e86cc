//! `cargo xtask bench`: the experiment in local workerd (every mode of `/modes` at several
//! batch sizes, repeated, validated, compared with `rpc` and `js` from the same run, and a
//! composite mode with its bases, see [`composite`](crate::composite)) and
//! the native micro-benchmark of call-core's per-call work; reports as markdown, JSON and
//! an SVG plot.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::{output, workspace_root, Context};
use crate::workerd::Workerd;
use crate::{bail, http, Result};

/// Batch sizes measured by default.
pub const SIZES: [u32; 4] = [10, 50, 500, 5000];
/// Measured runs per (mode, N) by default: only medians of at least 15 interleaved runs
/// separate a 10 % difference from this machine's noise.
pub const RUNS: usize = 15;
/// Each request makes at least this many calls: `rounds = ceil(MIN_CALLS / N)`.
pub const MIN_CALLS: u32 = 2000;

/// `cargo xtask bench --help`.
pub const HELP: &str = "\
cargo xtask bench [options]

Runs every mode that the example's /modes lists at each N in local workerd: one warm-up
request per (mode, N), then K measured runs, the modes in forward order on odd runs and in
reverse on even runs. Each request runs R = ceil(2000 / N) rounds of N concurrent calls;
every result is validated (ok must equal N*R, or the command fails). Also runs the native
per-call micro-benchmark (cargo bench -p call-core --bench per_call). Writes bench.md,
bench.json and bench.svg to the output directory, prints the tables and, when the output
directory is results/, rewrites the README's generated sections from them.

The results record the full commit hash. The bench refuses to run (and, should the tree
change while it runs, to write) unless the work tree is clean: no tracked change and no
untracked file outside target/ and results/ (README changes inside its generated sections
and changes under results/ do not count). With --allow-dirty it runs anyway and records the
hash of `git diff HEAD` (and of the untracked files), marked in bench.md, bench.json and on
stderr.

With the defaults and the example's 8 single-call modes: 7-15 s per measured run on a 2-core
VM, so about 2-4 minutes of measurement, plus about a minute for the native micro-benchmark
and the wasm cost probe (and the first builds); the 5 chain and fan-in modes add about as much
again (7 modes at N = 10, 50, 500: about 8 s per run). It prints the time to go after every run.

  --modes a,b     only these modes (default: all that /modes lists)
  --n 10,50       batch sizes (default: 10,50,500,5000)
  --runs K        measured runs per (mode, N) (default: 15)
  --out DIR       output directory (default: results/)
  --allow-dirty   measure an uncommitted work tree, recording its diff's hash
  --native        only the native micro-benchmark (prints its table, writes nothing)
  --no-native     skip the native micro-benchmark
  --help          this text
";

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

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Modes to run; `None`: every mode `/modes` lists.
    pub modes: Option<Vec<String>>,
    /// Batch sizes.
    pub sizes: Vec<u32>,
    /// Measured runs per (mode, N).
    pub runs: usize,
    /// Where the reports go.
    pub out: PathBuf,
    /// Run the workerd experiment.
    pub workerd: bool,
    /// Run the native micro-benchmark.
    pub native: bool,
    /// Measure a work tree with uncommitted changes (recorded as such).
    pub allow_dirty: bool,
    /// Print the help and stop.
    pub help: bool,
}

impl Options {
    /// Parses the arguments after `bench`.
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            modes: None,
            sizes: SIZES.to_vec(),
            runs: RUNS,
            out: workspace_root().join("results"),
            workerd: true,
            native: true,
            allow_dirty: false,
            help: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| crate::Error(format!("{arg} needs a value\n\n{HELP}")));
            let list = |v: &str| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
            match arg.as_str() {
                "--modes" => o.modes = Some(list(value()?)),
                "--n" => {
                    let v = value()?;
                    o.sizes = list(v)
                        .iter()
                        .map(|n: &String| n.parse().ok().filter(|&n| n > 0))
                        .collect::<Option<_>>()
                        .ok_or_else(|| crate::Error(format!("--n wants positive integers, got {v:?}")))?;
                }
                "--runs" => {
                    let v = value()?;
                    o.runs =
                        v.parse().ok().filter(|&k| k > 0).ok_or_else(|| crate::Error(format!("bad --runs {v:?}")))?;
                }
                "--out" => o.out = PathBuf::from(value()?),
                "--native" => o.workerd = false,
                "--no-native" => o.native = false,
                "--allow-dirty" => o.allow_dirty = true,
                "--help" | "-h" => o.help = true,
                other => bail!("unknown bench option `{other}`\n\n{HELP}"),
            }
        }
        if o.sizes.is_empty() || o.modes.as_ref().is_some_and(Vec::is_empty) {
            bail!("nothing to run: empty --n or --modes");
        }
        Ok(o)
    }
}

/// Rounds per request at batch size `n`: enough for at least [`MIN_CALLS`] calls.
pub fn rounds_for(n: u32) -> u32 {
    MIN_CALLS.div_ceil(n.max(1)).max(1)
}

/// One measured request.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The mode.
    pub mode: String,
    /// Concurrent calls per round.
    pub n: u32,
    /// Rounds in the request.
    pub rounds: u32,
    /// Which measured run (0-based).
    pub run: usize,
    /// Milliseconds measured inside the controller Durable Object over all rounds.
    pub ms: f64,
    /// Milliseconds the request took as seen by this client.
    pub client_ms: f64,
    /// Validated results (equals `n * rounds`).
    pub ok: u64,
    /// What a durable mode's request wrote (its answer's `writes`), see
    /// [`durable_bench`](crate::durable_bench).
    pub writes: Option<Value>,
}

impl Sample {
    /// In-DO milliseconds per call.
    pub fn ms_per_op(&self) -> f64 {
        self.ms / (f64::from(self.n) * f64::from(self.rounds))
    }
}

/// One `/batch` request; fails unless every one of its `n * rounds` results validated.
pub fn request(workerd: &Workerd, mode: &str, n: u32, rounds: u32, run: usize) -> Result<Sample> {
    let path = format!("/batch?mode={mode}&n={n}&rounds={rounds}");
    let started = Instant::now();
    let answer = http::get(workerd.addr, &path, Duration::from_secs(600))?;
    let client_ms = started.elapsed().as_secs_f64() * 1000.0;
    let json = answer.json().context(|| format!("GET {path}"))?;
    let expected = u64::from(n) * u64::from(rounds);
    let ok = json["ok"].as_u64();
    if answer.status != 200 || ok != Some(expected) {
        bail!(
            "validation failed: GET {path} (status {}) validated {ok:?} of {expected} results: {}",
            answer.status,
            answer.body
        );
    }
    let ms = json["ms"].as_f64().ok_or_else(|| crate::Error(format!("GET {path}: no `ms` in {}", answer.body)))?;
    let writes = json.get("writes").cloned();
    Ok(Sample { mode: mode.into(), n, rounds, run, ms, client_ms, ok: expected, writes })
}

/// The modes the example's `/batch` endpoint offers, as it reports them (`GET /modes`).
pub fn modes(workerd: &Workerd) -> Result<Vec<String>> {
    let answer = http::get(workerd.addr, "/modes", Duration::from_secs(30))?;
    serde_json::from_str(&answer.body).context(|| format!("/modes answered {:?}", answer.body))
}

/// Warms up, then measures every (mode, N) `runs` times: run by run, N by N, the modes in
/// forward order on even-indexed runs and reversed on odd-indexed ones.
pub fn measure(workerd: &Workerd, modes: &[String], sizes: &[u32], runs: usize) -> Result<Vec<Sample>> {
    measure_with(workerd, modes, sizes, runs, rounds_for, true)
}

/// [`measure`] with `rounds(n)` rounds per request, progress on stderr when `verbose`.
pub fn measure_with(
    workerd: &Workerd,
    modes: &[String],
    sizes: &[u32],
    runs: usize,
    rounds: impl Fn(u32) -> u32,
    verbose: bool,
) -> Result<Vec<Sample>> {
    for mode in modes {
        for &n in sizes {
            if verbose {
                eprintln!("bench: warm-up {mode} N={n} R=1 …");
            }
            request(workerd, mode, n, 1, 0)?;
        }
    }
    let mut samples = Vec::new();
    let started = Instant::now();
    for run in 0..runs {
        if verbose && run > 0 {
            let per_run = started.elapsed().as_secs_f64() / run as f64;
            eprintln!(
                "bench: {run}/{runs} runs in {:.0} s, about {:.0} s to go",
                started.elapsed().as_secs_f64(),
                per_run * (runs - run) as f64
            );
        }
        let mut order: Vec<&String> = modes.iter().collect();
        if run % 2 == 1 {
            order.reverse();
        }
        for &n in sizes {
            for mode in &order {
                let rounds = rounds(n);
                let sample = request(workerd, mode, n, rounds, run)?;
                if verbose {
                    eprintln!(
                        "bench: run {}/{runs} {mode} N={n} R={rounds}: {} ms in the DO, {:.4} ms/op, {:.0} ms client",
                        run + 1,
                        sample.ms,
                        sample.ms_per_op(),
                        sample.client_ms
                    );
                }
                samples.push(sample);
            }
        }
    }
    Ok(samples)
}

/// The summary of one (mode, N).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The mode.
    pub mode: String,
    /// Concurrent calls per round.
    pub n: u32,
    /// Rounds per request.
    pub rounds: u32,
    /// Median in-DO ms/op over the runs.
    pub ms_per_op: f64,
    /// Fastest run's ms/op.
    pub min: f64,
    /// Slowest run's ms/op.
    pub max: f64,
    /// Median over runs of the ratio to `rpc`'s ms/op in the same run.
    pub ratio_to_rpc: Option<f64>,
    /// Median over runs of the ratio to `js`'s ms/op in the same run.
    pub ratio_to_js: Option<f64>,
    /// For a composite mode, the same against each of its bases (`composite::bases`).
    pub ratios: Vec<(String, f64)>,
    /// Validated results over all measured runs.
    pub ok: u64,
    /// Every run's samples, in run order.
    pub samples: Vec<Sample>,
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

/// Summarizes the samples per (mode, N), in the order of `modes` then `sizes`.
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
            if mine.is_empty() {
                continue;
            }
            let per_op: Vec<f64> = mine.iter().map(|s| s.ms_per_op()).collect();
            rows.push(Row {
                mode: mode.clone(),
                n,
                rounds: mine[0].rounds,
                ms_per_op: median(&per_op),
                min: per_op.iter().copied().fold(f64::INFINITY, f64::min),
                max: per_op.iter().copied().fold(0.0, f64::max),
                ratio_to_rpc: ratio(&mine, "rpc", n),
                ratio_to_js: ratio(&mine, "js", n),
                ratios: crate::composite::bases(mode)
                    .iter()
                    .chain(crate::durable_bench::bases(mode))
                    .filter_map(|base| Some((base.to_string(), ratio(&mine, base, n)?)))
                    .collect(),
                ok: mine.iter().map(|s| s.ok).sum(),
                samples: mine.into_iter().cloned().collect(),
            });
        }
    }
    rows
}

impl Row {
    /// Calls made over all measured runs (`n * rounds * runs`).
    pub fn calls(&self) -> u64 {
        u64::from(self.n) * u64::from(self.rounds) * self.samples.len() as u64
    }
}

fn ratio_text(r: Option<f64>) -> String {
    r.map_or_else(|| "–".into(), |r| format!("{r:.2}x"))
}

/// The markdown table of the workerd rows.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| mode | N | R | ms/op (median) | min..max | ratio to rpc | ratio to js | other ratios | ok |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let (rpc, js, calls) = (ratio_text(r.ratio_to_rpc), ratio_text(r.ratio_to_js), r.calls());
        let (mode, n, rounds, ok) = (&r.mode, r.n, r.rounds, r.ok);
        let times = format!("{:.4} | {:.4}..{:.4}", r.ms_per_op, r.min, r.max);
        let others: Vec<String> = r.ratios.iter().map(|(base, x)| format!("{x:.2}x {base}")).collect();
        let others = if others.is_empty() { "–".to_string() } else { others.join(", ") };
        out.push_str(&format!("| {mode} | {n} | {rounds} | {times} | {rpc} | {js} | {others} | {ok}/{calls} |\n"));
    }
    out
}

/// `bench.json`: one object per (mode, N) with `"kind": "workerd"`, then one per native
/// figure with `"kind": "native"`.
pub fn to_json(rows: &[Row], native: &[Value]) -> Value {
    let r4 = |x: f64| (x * 1e4).round() / 1e4;
    let mut all: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "kind": "workerd", "mode": r.mode, "n": r.n, "rounds": r.rounds, "runs": r.samples.len(),
                "ms_per_op": r4(r.ms_per_op), "min": r4(r.min), "max": r4(r.max),
                "ratio_to_rpc": r.ratio_to_rpc.map(r4), "ratio_to_js": r.ratio_to_js.map(r4),
                "ratios": r.ratios.iter().map(|(base, x)| (base.clone(), json!(r4(*x)))).collect::<serde_json::Map<_, _>>(),
                "ok": r.ok, "calls": r.calls(),
                "per_run_ms_per_op": r.samples.iter().map(|s| r4(s.ms_per_op())).collect::<Vec<_>>(),
                "per_run_ms": r.samples.iter().map(|s| s.ms).collect::<Vec<_>>(),
                "client_ms": r.samples.iter().map(|s| r4(s.client_ms)).collect::<Vec<_>>(),
                "writes": crate::durable_bench::writes(&r.samples),
            })
        })
        .collect();
    for f in native {
        let mut f = f.clone();
        if let Some(obj) = f.as_object_mut() {
            obj.entry("kind").or_insert_with(|| "native".into());
        }
        all.push(f);
    }
    Value::from(all)
}

/// The header of `bench.md`: date, machine, workerd, commit (with the work tree's state),
/// runs, rounds, timing. A dirty tree is announced first, in bold.
pub fn header(workerd_bin: &std::path::Path, opts: &Options, tree: &crate::git::Tree) -> String {
    let sh = |cmd: &mut Command| output(cmd).map(|s| s.trim().to_owned()).unwrap_or_else(|| "?".into());
    let date = sh(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M:%S UTC"]));
    let nproc = std::thread::available_parallelism().map_or_else(|_| "?".into(), |n| n.to_string());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1));
    let rounds: Vec<String> = opts.sizes.iter().map(|&n| format!("N={n}: R={}", rounds_for(n))).collect();
    let warning = if tree.is_dirty() {
        format!(
            "**WARNING: measured on a work tree with uncommitted changes (`--allow-dirty`): the commit \
             below is not the code that ran; `git diff HEAD` hash {}.**\n\n",
            tree.diff_hash.as_deref().unwrap_or("?")
        )
    } else {
        String::new()
    };
    format!(
        "# cargo xtask bench\n\n{warning}\
         - date: {date}\n\
         - machine: {nproc} cores, `{}`, CPU: {}\n\
         - load average when written (1/5/15 min; the bench itself adds about 1): {}\n\
         - workerd: {}\n\
         - commit: {}\n\
         - runs: {} measured runs per (mode, N) after one warm-up request each\n\
         - rounds: {}\n\
         - timing: {TIMING}\n",
        sh(Command::new("uname").arg("-srm")),
        cpu.map_or("?", str::trim),
        std::fs::read_to_string("/proc/loadavg")
            .map_or_else(|_| "?".into(), |l| l.split(' ').take(3).collect::<Vec<_>>().join(" ")),
        sh(Command::new(workerd_bin).arg("--version")),
        tree.describe(),
        opts.runs,
        rounds.join(", "),
    )
}

/// The first object of `bench.json`: what was measured, and on which tree.
pub fn meta(opts: &Options, modes: &[String], tree: &crate::git::Tree) -> Value {
    json!({
        "kind": "meta",
        "commit": tree.commit,
        "dirty": tree.is_dirty(),
        "diff_hash": tree.diff_hash,
        "dirty_paths": tree.dirty,
        "runs": opts.runs,
        "sizes": opts.sizes,
        "rounds": opts.sizes.iter().map(|&n| rounds_for(n)).collect::<Vec<_>>(),
        "modes": modes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(mode: &str, n: u32, run: usize, ms: f64) -> Sample {
        Sample { mode: mode.into(), n, rounds: rounds_for(n), run, ms, client_ms: ms + 1.0, ok: 2000, writes: None }
    }

    #[test]
    fn rounds_give_at_least_2000_calls() {
        assert_eq!([10, 50, 500, 3, 5000].map(rounds_for), [200, 40, 4, 667, 1]);
    }

    #[test]
    fn options_parse() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o = Options::parse(&args("--modes rpc,call --n 10,50 --runs 7 --out /tmp/x --no-native --allow-dirty"))
            .unwrap();
        assert!(o.allow_dirty && !Options::parse(&[]).unwrap().allow_dirty);
        assert_eq!(Options::parse(&[]).unwrap().runs, 15);
        assert_eq!(o.modes, Some(vec!["rpc".into(), "call".into()]));
        assert_eq!((o.sizes, o.runs, o.out, o.native, o.workerd), (vec![10, 50], 7, "/tmp/x".into(), false, true));
        assert!(!Options::parse(&args("--native")).unwrap().workerd);
        assert!(Options::parse(&args("--n 0")).is_err() && Options::parse(&args("--bogus")).is_err());
        assert!(Options::parse(&args("--runs")).is_err());
    }

    #[test]
    fn composite_modes_get_ratios_to_their_bases() {
        let samples = [
            sample("pipeline", 10, 0, 100.0),
            sample("pipeline-rpc", 10, 0, 300.0),
            sample("pipeline-js", 10, 0, 200.0),
        ];
        let modes = ["pipeline".to_string(), "pipeline-rpc".to_string(), "pipeline-js".to_string()];
        let rows = summarize(&samples, &modes, &[10]);
        let ratios: Vec<(&str, f64)> =
            rows[0].ratios.iter().map(|(b, x)| (b.as_str(), (x * 100.0).round() / 100.0)).collect();
        assert_eq!(ratios, [("pipeline-rpc", 0.33), ("pipeline-js", 0.5)]);
        assert!(rows[1].ratios.is_empty());
        assert!(table(&rows).contains("| 0.33x pipeline-rpc, 0.50x pipeline-js |"));
        assert_eq!(to_json(&rows, &[])[0]["ratios"]["pipeline-js"], 0.5);
    }

    #[test]
    fn ratios_pair_runs() {
        let samples = [
            sample("rpc", 10, 0, 600.0),
            sample("call", 10, 0, 660.0),
            sample("rpc", 10, 1, 300.0),
            sample("call", 10, 1, 360.0),
            sample("rpc", 10, 2, 600.0),
            sample("call", 10, 2, 690.0),
        ];
        let modes = ["rpc".to_string(), "call".to_string()];
        let rows = summarize(&samples, &modes, &[10]);
        assert_eq!(rows.len(), 2);
        let call = &rows[1];
        assert!((call.ratio_to_rpc.unwrap() - 1.15).abs() < 1e-9, "median of 1.1, 1.2, 1.15");
        assert_eq!(call.ratio_to_js, None);
        assert!((call.ms_per_op - 0.33).abs() < 1e-9 && (call.min - 0.18).abs() < 1e-9);
        let md = table(&rows);
        assert!(md.contains("| call | 10 | 200 | 0.3300 | 0.1800..0.3450 | 1.15x | – | – | 6000/6000 |"), "{md}");
        let json = to_json(&rows, &[json!({"name": "build", "ns_per_op": 80.0})]);
        assert_eq!(json[1]["per_run_ms_per_op"].as_array().unwrap().len(), 3);
        assert_eq!(json[2]["kind"], "native");
        assert_eq!(crate::plot::bench(&rows, &modes).matches("<polyline").count(), 2);
    }
}
