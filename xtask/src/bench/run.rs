//! Running the experiment in local workerd: the bench's options, one validated `/batch`
//! request, and the measured runs (warm-up, then the modes in forward and reverse order,
//! run after run), which the demo runs too with its own rounds.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::args::Args;
use crate::util::{workspace_root, Context};
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

Runs every mode of the example at each N in local workerd (the modes of
xtask/src/bench/modes.rs, which must be those /modes lists): one warm-up request per (mode, N),
then K measured runs, the modes in forward order on odd runs and in reverse on even runs, each
request R = ceil(2000 / N) rounds of N concurrent calls, every result validated. Also runs the
native per-call micro-benchmark (cargo bench -p call-core --bench per_call). Writes bench.md,
bench.json and the plots to the output directory and, when that is results/, rewrites the
generated sections of README.md and docs/*.md. It refuses a work tree with changes outside
results/ and those generated sections (the results name the commit that ran) unless
--allow-dirty, which records the hash of the changes. With the defaults the committed run of
the example's 15 modes took 309 s here (results/bench.md); it prints the time to go after
every run.

  --modes a,b     only these modes (default: all that /modes lists)
  --n 10,50       batch sizes (default: 10,50,500,5000)
  --runs K        measured runs per (mode, N) (default: 15)
  --out DIR       output directory (default: results/)
  --allow-dirty   measure an uncommitted work tree, recording its diff's hash
  --native        only the native micro-benchmark (prints its table, writes nothing)
  --no-native     skip the native micro-benchmark
  --help          this text
";

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
    /// Run the workerd experiment (not only the native micro-benchmark).
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
        let flags = ["--native", "--no-native", "--allow-dirty", "--help", "-h"];
        let a = Args::parse(args, &flags, &["--modes", "--n", "--runs", "--out"], HELP)?;
        Ok(Options {
            modes: a.list("--modes")?,
            sizes: a.list("--n")?.unwrap_or(SIZES.to_vec()),
            runs: a.count("--runs")?.unwrap_or(RUNS),
            out: a.value("--out")?.unwrap_or_else(|| workspace_root().join("results")),
            workerd: !a.flag("--native"),
            native: !a.flag("--no-native"),
            allow_dirty: a.flag("--allow-dirty"),
            help: a.flag("--help") || a.flag("-h"),
        })
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
    /// What a durable mode's request wrote (its answer's `writes`: per side, `rows` and
    /// `commits`, a commit being a turn with writes).
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

/// The modes the example's `/batch` offers (`GET /modes`), checked against xtask's table
/// ([`modes::check`](super::modes::check)).
pub fn modes(workerd: &Workerd) -> Result<Vec<String>> {
    let answer = http::get(workerd.addr, "/modes", Duration::from_secs(30))?;
    let listed: Vec<String> =
        serde_json::from_str(&answer.body).context(|| format!("/modes answered {:?}", answer.body))?;
    super::modes::check(&listed)?;
    Ok(listed)
}

/// Checks that `wanted` (`--modes`, `--mode`) are modes the example offers.
pub fn offered(wanted: &[String], listed: &[String]) -> Result<()> {
    if let Some(unknown) = wanted.iter().find(|m| !listed.contains(m)) {
        bail!("the example has no mode `{unknown}`; /modes lists {listed:?}");
    }
    Ok(())
}

/// Warms up, then measures every (mode, N) `runs` times with `rounds(n)` rounds per
/// request: run by run, N by N, the modes in forward order on even-indexed runs and
/// reversed on odd-indexed ones; progress on stderr when `verbose`.
pub fn measure(
    workerd: &Workerd,
    modes: &[String],
    sizes: &[u32],
    runs: usize,
    rounds: impl Fn(u32) -> u32,
    verbose: bool,
) -> Result<Vec<Sample>> {
    let say = |line: String| {
        if verbose {
            eprintln!("bench: {line}");
        }
    };
    for mode in modes {
        for &n in sizes {
            say(format!("warm-up {mode} N={n} R=1 …"));
            request(workerd, mode, n, 1, 0)?;
        }
    }
    let mut samples = Vec::new();
    let started = Instant::now();
    for run in 0..runs {
        if run > 0 {
            let per_run = started.elapsed().as_secs_f64() / run as f64;
            let elapsed = started.elapsed().as_secs_f64();
            say(format!("{run}/{runs} runs in {elapsed:.0} s, about {:.0} s to go", per_run * (runs - run) as f64));
        }
        let mut order: Vec<&String> = modes.iter().collect();
        if run % 2 == 1 {
            order.reverse();
        }
        for &n in sizes {
            for mode in &order {
                let rounds = rounds(n);
                let s = request(workerd, mode, n, rounds, run)?;
                say(format!(
                    "run {}/{runs} {mode} N={n} R={rounds}: {} ms in the DO, {:.4} ms/op, {:.0} ms client",
                    run + 1,
                    s.ms,
                    s.ms_per_op(),
                    s.client_ms
                ));
                samples.push(s);
            }
        }
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(Options::parse(&args("--runs")).is_err() && Options::parse(&args("--runs 0")).is_err());
        assert!(offered(&["rpc".into()], &["rpc".into()]).is_ok() && offered(&["x".into()], &[]).is_err());
    }
}
