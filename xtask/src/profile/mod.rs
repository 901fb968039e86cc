//! `cargo xtask profile`: V8's CPU profile of one `/batch` mode in local workerd.
//!
//! Builds the example's profiling variant ([`build::Variant::Profiling`]: the release
//! build, with the wasm `name` section checked), starts workerd with its inspector on
//! 127.0.0.1, connects to the Worker's DevTools target over WebSocket and runs
//! `Profiler.enable`, `Profiler.setSamplingInterval`, `Profiler.start`, then drives
//! `/batch?mode=M&n=N&rounds=R` requests for S seconds (after a warm-up), `Profiler.stop`.
//! Only the `Profiler` domain is enabled: `Debugger.enable` would switch wasm to
//! unoptimized debug code and distort the profile.
//!
//! The profile is written as a `.cpuprofile` (Chrome DevTools: Performance → Load
//! profile, for the call tree and total times) and summarized: the samples charged to
//! categories ([`summary`], which `--summary` runs for several modes and sizes) and the
//! top functions by self time ([`cpuprofile`]), wasm functions under their Rust names.
//! [`inspector`] talks to V8.

pub mod cpuprofile;
pub mod inspector;
pub mod summary;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use self::cpuprofile::{wasm_function_names, CpuProfile};
use self::inspector::{debugger_url, Cdp};
use crate::args::Args;
use crate::bench::run::{self as bench, request, rounds_for};
use crate::build::{self, Variant};
use crate::setup::Toolchain;
use crate::util::{say, workspace_root, write_if_changed, Context};
use crate::workerd::{self, Workerd};
use crate::{bail, Result};

/// `cargo xtask profile --help`.
pub const HELP: &str = "\
cargo xtask profile [options]

Builds the example's profiling variant (release, wasm function names kept; into
target/profiling/, the normal build is untouched), runs it in local workerd with V8's
inspector on 127.0.0.1, samples V8's CPU profiler while /batch?mode=M&n=N&rounds=R requests
run back to back for S seconds (after a warm-up), writes the profile to
results/profile-<mode>-n<N>.cpuprofile (open it in Chrome DevTools: Performance → Load
profile) and prints where the time went by category (as --summary does) and the top
functions by self time.

  --mode M          the /batch mode (default: call)
  --n N             concurrent calls per round (default: 50)
  --rounds R        rounds per request (default: ceil(2000 / N), as the bench)
  --seconds S       seconds of profiled requests (default: 10)
  --warmup S        seconds of requests before the profiler starts (default: 2)
  --interval US     sampling interval in microseconds (default: 50)
  --top K           functions to list (default: 20)
  --out FILE        where the profile goes (default: results/profile-<mode>-n<N>.cpuprofile)
  --from FILE       run nothing: summarize a .cpuprofile written before (wasm names from the
                    profiling build in target/profiling/, if there)
  --summary         profile every mode of --modes at every N of --n (default: rpc, call,
                    continuation, js at N = 50, 500) in one workerd, charge every sample to a
                    category (string crossings, Date.now(), deadline, RPC send, …) and write
                    results/profile-summary.md: µs per call per category and mode, and the
                    differences between modes; docs/performance.md quotes it
  --modes a,b       with --summary: the modes
  --help            this text
";

/// What to profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The `/batch` mode.
    pub mode: String,
    /// Concurrent calls per round.
    pub n: u32,
    /// Rounds per request.
    pub rounds: u32,
    /// Seconds of profiled requests.
    pub seconds: f64,
    /// Seconds of requests before the profiler starts.
    pub warmup: f64,
    /// Sampling interval in microseconds.
    pub interval_us: u32,
    /// Functions to list.
    pub top: usize,
    /// The `.cpuprofile` to write.
    pub out: PathBuf,
    /// Summarize this `.cpuprofile` instead of running.
    pub from: Option<PathBuf>,
    /// Print the help and stop.
    pub help: bool,
    /// `--summary`: profile `modes` × `sizes` and write results/profile-summary.md.
    pub summary: bool,
    /// With `--summary`: the modes.
    pub modes: Vec<String>,
    /// With `--summary`: the batch sizes (`--n`, a list).
    pub sizes: Vec<u32>,
}

/// The modes and sizes of `--summary` by default.
pub const SUMMARY_MODES: [&str; 4] = ["rpc", "call", "continuation", "js"];
/// See [`SUMMARY_MODES`].
pub const SUMMARY_SIZES: [u32; 2] = [50, 500];

impl Options {
    /// Parses the arguments after `profile`.
    pub fn parse(args: &[String]) -> Result<Options> {
        let valued =
            ["--mode", "--n", "--rounds", "--seconds", "--warmup", "--interval", "--top", "--out", "--from", "--modes"];
        let a = Args::parse(args, &["--summary", "--help", "-h"], &valued, HELP)?;
        let summary = a.flag("--summary");
        let sizes = a.list("--n")?.unwrap_or_else(|| if summary { SUMMARY_SIZES.to_vec() } else { vec![50] });
        let (mode, n) = (a.value("--mode")?.unwrap_or_else(|| "call".to_string()), sizes[0]);
        let modes = a.list("--modes")?.unwrap_or_else(|| SUMMARY_MODES.map(String::from).to_vec());
        if let Some(m) = modes.iter().chain([&mode]).find(|m| crate::bench::modes::get(m).is_none()) {
            bail!("unknown mode {m:?} (xtask/src/bench/modes.rs lists them)");
        }
        let out = workspace_root().join(format!("results/profile-{mode}-n{n}.cpuprofile"));
        Ok(Options {
            rounds: a.count("--rounds")?.unwrap_or_else(|| rounds_for(n)),
            seconds: a.count("--seconds")?.unwrap_or(10.0),
            warmup: a.value::<f64>("--warmup")?.unwrap_or(2.0).max(0.0),
            interval_us: a.count("--interval")?.unwrap_or(50),
            top: a.count("--top")?.unwrap_or(20),
            out: a.value("--out")?.unwrap_or(out),
            from: a.value("--from")?,
            help: a.flag("--help") || a.flag("-h"),
            sizes: if summary { sizes } else { vec![n] },
            mode,
            n,
            summary,
            modes,
        })
    }
}

/// The example's profiling build in workerd, V8's profiler attached through the inspector.
pub(crate) struct Session {
    // Declared first so that it closes before workerd stops.
    cdp: Cdp,
    workerd: Workerd,
    /// The wasm module's function names.
    pub(crate) names: BTreeMap<u32, String>,
}

impl Session {
    /// Builds the profiling variant, starts it with the inspector on 127.0.0.1, checks
    /// that the example offers `modes`, and enables the profiler at `interval_us`.
    pub(crate) fn start(tc: &Toolchain, modes: &[String], interval_us: u32) -> Result<Session> {
        let built = build::build_variant(tc, &build::crate_dir(None)?, Variant::Profiling)?;
        let names = check_names(&built.dir.join("index_bg.wasm"))?;
        let inspector = workerd::free_port()?;
        let options = workerd::Options { inspector: Some(inspector), ..workerd::Options::default() };
        let workerd = Workerd::start(tc, &built, options)?;
        let pid = workerd.pid().unwrap_or_default();
        say(format!("workerd pid {pid} on {}, inspector on 127.0.0.1:{inspector}", workerd.url()));
        bench::offered(modes, &bench::modes(&workerd)?)?;
        let mut cdp = Cdp::connect(&debugger_url(SocketAddr::from(([127, 0, 0, 1], inspector)))?)?;
        cdp.call("Profiler.enable", json!({}))?;
        cdp.call("Profiler.setSamplingInterval", json!({ "interval": interval_us }))?;
        Ok(Session { cdp, workerd, names })
    }

    /// Drives `opts`' requests for `opts.warmup` seconds, then profiles them for
    /// `opts.seconds`; writes the profile to `out` and charges its samples to categories.
    pub(crate) fn profile(&mut self, opts: &Options, out: &Path) -> Result<Profiled> {
        drive(&self.workerd, opts, Duration::from_secs_f64(opts.warmup))?;
        self.cdp.call("Profiler.start", json!({}))?;
        let load = drive(&self.workerd, opts, Duration::from_secs_f64(opts.seconds));
        let stopped = self.cdp.call("Profiler.stop", json!({}));
        let (load, mut answer) = (load?, stopped?);
        let raw = answer.get_mut("profile").map(Value::take).unwrap_or_default();
        write_if_changed(out, &raw.to_string())?;
        let profile: CpuProfile = serde_json::from_value(raw).context(|| "Profiler.stop: not a CPU profile".into())?;
        let frames = profile.names(&self.names);
        let mut breakdown = summary::categorize(&profile, &frames, load.calls);
        breakdown.ms_per_op = load.do_ms / load.calls.max(1) as f64;
        Ok(Profiled { profile, frames, breakdown, load })
    }
}

/// One profile taken, and what it shows.
pub(crate) struct Profiled {
    pub(crate) profile: CpuProfile,
    /// Its frames' names ([`CpuProfile::names`]).
    pub(crate) frames: Vec<String>,
    pub(crate) breakdown: summary::Breakdown,
    pub(crate) load: Load,
}

/// Runs `cargo xtask profile` with a set-up toolchain.
pub fn run(tc: &Toolchain, opts: &Options) -> Result<()> {
    let mut session = Session::start(tc, std::slice::from_ref(&opts.mode), opts.interval_us)?;
    say(format!(
        "warm-up: {} s of /batch?mode={}&n={}&rounds={}, then {} s profiled at a {} µs sampling interval",
        opts.warmup, opts.mode, opts.n, opts.rounds, opts.seconds, opts.interval_us
    ));
    let p = session.profile(opts, &opts.out)?;
    drop(session);
    println!("{}\n\n{}", p.load.describe(opts), summary::table(&[(&opts.mode, &p.breakdown)]));
    println!("{}", p.profile.top(&p.frames, opts.top));
    println!(
        "profile written to {}; open it in Chrome DevTools (Performance → Load profile) for the call tree, \
         the total times and the flame chart",
        opts.out.display()
    );
    Ok(())
}

/// Profiles every (mode, N) of `opts.modes` × `opts.sizes` in one workerd and writes the
/// summary to results/profile-summary.md (and each profile beside it).
pub fn run_summary(tc: &Toolchain, opts: &Options) -> Result<()> {
    let root = workspace_root();
    let tree = crate::git::tree(&root, |_, _, _| false)?;
    let mut session = Session::start(tc, &opts.modes, opts.interval_us)?;
    let (modes, sizes) = (opts.modes.join(","), opts.sizes.iter().map(u32::to_string).collect::<Vec<_>>().join(","));
    let command = format!("cargo xtask profile --summary --modes {modes} --n {sizes} --seconds {}", opts.seconds);
    let (seconds, interval_us) = (opts.seconds, opts.interval_us);
    let mut record = summary::Summary { tree: tree.describe(), command, seconds, interval_us, rows: Vec::new() };
    for &n in &opts.sizes {
        for mode in &opts.modes {
            let one = Options { mode: mode.clone(), n, rounds: rounds_for(n), ..opts.clone() };
            let out = root.join("results").join(format!("profile-{mode}-n{n}.cpuprofile"));
            let Profiled { breakdown: b, load, .. } = session.profile(&one, &out)?;
            let per_call = |us: f64| us / load.calls.max(1) as f64;
            say(format!(
                "{mode} N={n}: {} calls, {:.1} µs sampled per call ({:.1} µs CPU), profile in {}",
                load.calls,
                per_call(b.total_us),
                per_call(b.total_us - b.us.get(summary::CATEGORIES[0].0).copied().unwrap_or(0.0)),
                out.display()
            ));
            record.rows.push((n, mode.clone(), b));
        }
    }
    drop(session);
    let text = summary::render(&record);
    let path = root.join("results").join("profile-summary.md");
    std::fs::write(&path, &text)?;
    println!("{text}");
    say(format!("wrote {}", path.display()));
    if tree.is_dirty() {
        say("WARNING: profiled a DIRTY work tree; profile-summary.md says so");
    }
    Ok(())
}

/// Reads a wasm module's `name` section and fails unless it names call-core's functions.
pub(crate) fn check_names(path: &Path) -> Result<BTreeMap<u32, String>> {
    let bytes = std::fs::read(path).context(|| format!("cannot read {}", path.display()))?;
    let names = wasm_function_names(&bytes).context(|| path.display().to_string())?;
    let ours = names.values().filter(|n| n.contains("call_core::")).count();
    if ours == 0 {
        bail!(
            "{} names {} functions, none of call-core: the profile would show wasm frames without Rust names",
            path.display(),
            names.len()
        );
    }
    say(format!("wasm name section: {} functions named, {ours} of them in call_core", names.len()));
    Ok(names)
}

/// What the profiled requests did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Load {
    requests: u64,
    pub(crate) calls: u64,
    pub(crate) do_ms: f64,
    wall: Duration,
}

impl Load {
    fn describe(&self, opts: &Options) -> String {
        format!(
            "profiled: {} requests of /batch?mode={}&n={}&rounds={} in {:.1} s, {} calls validated, {:.4} ms/op \
             inside the controller (with the profiler attached; compare with the bench only roughly)",
            self.requests,
            opts.mode,
            opts.n,
            opts.rounds,
            self.wall.as_secs_f64(),
            self.calls,
            self.do_ms / self.calls.max(1) as f64
        )
    }
}

/// Runs requests back to back for `time` (at least one).
pub(crate) fn drive(workerd: &Workerd, opts: &Options, time: Duration) -> Result<Load> {
    let started = Instant::now();
    let mut load = Load::default();
    loop {
        let sample = request(workerd, &opts.mode, opts.n, opts.rounds, 0)?;
        load.requests += 1;
        load.calls += sample.ok;
        load.do_ms += sample.ms;
        if started.elapsed() >= time {
            load.wall = started.elapsed();
            return Ok(load);
        }
    }
}

/// `--from FILE`: summarizes a `.cpuprofile` written before, naming wasm frames from the
/// profiling build's module when it is there (V8 names them itself when the module had a
/// `name` section, so it is only a fallback).
pub fn summarize(path: &Path, top: usize) -> Result<()> {
    let text = std::fs::read_to_string(path).context(|| format!("cannot read {}", path.display()))?;
    let profile: CpuProfile =
        serde_json::from_str(&text).context(|| format!("{} is not a CPU profile", path.display()))?;
    let wasm = workspace_root().join("target/profiling/call-delay/index_bg.wasm");
    let names = std::fs::read(wasm).ok().and_then(|b| wasm_function_names(&b).ok()).unwrap_or_default();
    println!("{}", profile.top(&profile.names(&names), top));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o = Options::parse(&args("--mode rpc --n 10 --seconds 3 --top 5")).unwrap();
        assert_eq!((o.mode.as_str(), o.n, o.rounds, o.seconds, o.top), ("rpc", 10, 200, 3.0, 5));
        assert!(o.out.ends_with("results/profile-rpc-n10.cpuprofile"));
        let d = Options::parse(&[]).unwrap();
        assert_eq!((d.mode.as_str(), d.n, d.seconds, d.interval_us, d.top), ("call", 50, 10.0, 50, 20));
        let s = Options::parse(&args("--summary --modes rpc,call --n 10,50")).unwrap();
        assert!(s.summary);
        assert_eq!((s.modes.len(), s.sizes.as_slice()), (2, &[10, 50][..]));
        assert_eq!(Options::parse(&args("--summary")).unwrap().sizes, SUMMARY_SIZES);
        for bad in ["--n 0", "--n 10,x", "--top x", "--mode nope", "--modes rpc,a/b", "--bogus", "--seconds"] {
            assert!(Options::parse(&args(bad)).is_err(), "{bad}");
        }
    }
}
