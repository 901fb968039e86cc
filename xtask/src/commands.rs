//! The commands of `cargo xtask`.

use std::process::Command;
use std::time::Instant;

use xtask::build::{self, Built};
use xtask::setup::{self, Toolchain};
use xtask::util::{run, say, workspace_root};
use xtask::workerd::{self, Workerd};
use xtask::{bail, Result};

/// Batch sizes of the demo table.
const DEMO_SIZES: [u32; 3] = [10, 50, 500];
/// Interleaved runs of the demo (the median is shown).
const DEMO_RUNS: usize = 5;
/// In-DO milliseconds that the rounds of one demo request aim at, calibrated per N on the
/// fastest mode, so that every row lasts well over [`DEMO_MIN_MS`] of the in-DO clock,
/// whose step is 1 ms.
const DEMO_TARGET_MS: f64 = 160.0;
/// A row whose median run is shorter than this (in-DO ms) is flagged as clock-limited.
const DEMO_MIN_MS: f64 = 100.0;

/// Rounds per request at each N such that the fastest mode takes about [`DEMO_TARGET_MS`]:
/// one request of about 500 calls per (mode, N), which also warms every mode up.
fn demo_rounds(workerd: &Workerd, modes: &[String]) -> Result<Vec<(u32, u32)>> {
    let mut rounds = Vec::new();
    for n in DEMO_SIZES {
        let probe = 500u32.div_ceil(n);
        let mut fastest = f64::INFINITY;
        for mode in modes {
            let sample = xtask::bench::request(workerd, mode, n, probe, 0)?;
            fastest = fastest.min(sample.ms.max(1.0) / f64::from(n * probe));
        }
        rounds.push((n, (DEMO_TARGET_MS / (fastest * f64::from(n))).ceil().max(1.0) as u32));
    }
    Ok(rounds)
}

fn flag_value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn setup_and_build(crate_arg: Option<&str>) -> Result<(Toolchain, Built)> {
    let tc = setup::ensure()?;
    let built = build::build(&tc, &build::crate_dir(crate_arg)?)?;
    Ok((tc, built))
}

pub(crate) fn build(args: &[String]) -> Result<()> {
    setup_and_build(args.first().map(String::as_str)).map(|_| ())
}

pub(crate) fn serve(args: &[String]) -> Result<()> {
    let port = match flag_value(args, "--port") {
        Some(p) => p.parse().map_err(|_| xtask::Error(format!("bad --port {p}")))?,
        None => 8787,
    };
    // `--storage DIR` keeps the Durable Objects' storage in DIR (kept after stop), so that
    // a served example can be killed and started again on the same state.
    let storage = flag_value(args, "--storage").map(std::path::PathBuf::from);
    let (tc, built) = setup_and_build(None)?;
    let options = workerd::Options { port: Some(port), storage: storage.clone(), ..Default::default() };
    let mut workerd = Workerd::start(&tc, &built, options)?;
    say(format!(
        "serving the example at {} (pid {}, storage {}); try {}/batch?mode=call&n=50 — Ctrl-C stops it",
        workerd.url(),
        workerd.pid().unwrap_or_default(),
        storage.map_or_else(|| "temporary".to_string(), |s| s.display().to_string()),
        workerd.url()
    ));
    // Ctrl-C reaches workerd too (same process group); otherwise wait for it to end.
    let status = workerd.wait()?;
    bail!("workerd exited ({status}):\n{}", workerd.log())
}

pub(crate) fn demo(_args: &[String]) -> Result<()> {
    let started = Instant::now();
    let (tc, built) = setup_and_build(None)?;
    let workerd = Workerd::start(&tc, &built, workerd::Options::default())?;
    say(format!("workerd pid {} on {}", workerd.pid().unwrap_or_default(), workerd.url()));
    let modes = xtask::bench::modes(&workerd)?;
    let rounds = demo_rounds(&workerd, &modes)?;
    say(format!(
        "running {} modes × N = {DEMO_SIZES:?}: {DEMO_RUNS} interleaved runs, rounds per request {rounds:?} \
         (about {DEMO_TARGET_MS} ms each) …",
        modes.len()
    ));
    let rounds_of = |n: u32| rounds.iter().find(|r| r.0 == n).map_or(1, |r| r.1);
    let samples = xtask::bench::measure_with(&workerd, &modes, &DEMO_SIZES, DEMO_RUNS, rounds_of, false)?;
    drop(workerd);
    let rows = xtask::bench::summarize(&samples, &modes, &DEMO_SIZES);
    println!("{}", demo_table(&rows));
    println!("{}\n", demo_takeaway(&rows));
    // Per row, the median run's in-DO time must be well above the clock's 1 ms step.
    let shortest = rows.iter().map(|r| r.ms_per_op * f64::from(r.n * r.rounds)).fold(f64::INFINITY, f64::min);
    let calls: u64 = rows.iter().map(|r| r.ok).sum();
    println!(
        "ms/op: in-DO milliseconds (Date.now() in the controller Durable Object, which advances across \
         the batch's I/O) over N × R calls, median of {DEMO_RUNS} runs with the modes in forward and \
         reverse order, after a warm-up; × rpc and × js: median of the per-run ratios to the `rpc` and \
         `js` rows at the same N. All {calls} results validated; the shortest row took {shortest:.0} ms in \
         the DO (median run){}. The seed rows are the old TypeScript library's published figures, not run here. \
         `cargo xtask bench` measures more runs and N = 5000 (see the README's Performance section). \
         Demo took {:.0?}.",
        if shortest < DEMO_MIN_MS {
            format!(" (under {DEMO_MIN_MS} ms: the clock's 1 ms step matters; rerun)")
        } else {
            " (so no row is limited by the clock's 1 ms step)".to_string()
        },
        started.elapsed()
    );
    Ok(())
}

/// What a mode of the example is, for the demo's newcomers.
fn mode_what(mode: &str) -> &'static str {
    match mode {
        "rpc" => "raw Rust RPC (hand-written binding): baseline",
        "call" => "typed `call!`, awaited",
        "continuation" => "typed `call!` + `then` continuation",
        "js" => "plain Workers RPC, JavaScript to JavaScript",
        "rpc-string" => "ablation: raw RPC of an envelope-sized string",
        "rpc-envelope" => "ablation: raw RPC of a ready envelope to `__call`",
        "rpc-bytes" => "ablation: raw RPC of envelope-sized bytes",
        "rpc-object" => "ablation: raw RPC of the envelope as a JS object",
        other => xtask::composite::what(other),
    }
}

/// The demo's table: the baselines and the call-core modes of this run, the seed's
/// figures beside them, then the ablations.
fn demo_table(rows: &[xtask::bench::Row]) -> String {
    use xtask::readme::is_ablation;
    let ratio = |r: Option<f64>| r.map_or_else(|| "–".to_string(), |r| format!("{r:.2}x"));
    let mut out = String::from("| mode | what | N | R | ms/op | × rpc | × js |\n|---|---|---:|---:|---:|---:|---:|\n");
    let line = |r: &xtask::bench::Row| {
        format!(
            "| {} | {} | {} | {} | {:.4} | {} | {} |\n",
            r.mode,
            mode_what(&r.mode),
            r.n,
            r.rounds,
            r.ms_per_op,
            ratio(r.ratio_to_rpc),
            ratio(r.ratio_to_js)
        )
    };
    let composite = |r: &&xtask::bench::Row| xtask::composite::is_composite(&r.mode);
    rows.iter().filter(|r| !is_ablation(&r.mode) && !composite(r)).for_each(|r| out.push_str(&line(r)));
    out.push_str(
        "| seed: `@lumenize/call` | the old TypeScript library (seed's figures) | 10, 50 | | 2.8–4.0 | | 27–33x |\n\
         | seed: plain Workers RPC | its baseline (seed's figures) | 10, 50 | | 0.10–0.12 | | 1x |\n",
    );
    rows.iter().filter(|r| is_ablation(&r.mode)).for_each(|r| out.push_str(&line(r)));
    if rows.iter().any(|r| composite(&r)) {
        out.push_str(
            "\nChains of 3 calls and fan-ins of 2 (ms/op: per chain or fan-in; × base: median of the per-run \
             ratios to the mode's base, named):\n\n| mode | what | N | R | ms/op | × base |\n|---|---|---:|---:|---:|---|\n",
        );
        for r in rows.iter().filter(composite) {
            let bases: Vec<String> = r.ratios.iter().map(|(b, x)| format!("{x:.2}x `{b}`")).collect();
            let bases = if bases.is_empty() { "–".to_string() } else { bases.join(", ") };
            let what = mode_what(&r.mode);
            out.push_str(&format!("| {} | {what} | {} | {} | {:.4} | {bases} |\n", r.mode, r.n, r.rounds, r.ms_per_op));
        }
    }
    out
}

/// One line on what the table shows: typed calls against both baselines, and the seed.
fn demo_takeaway(rows: &[xtask::bench::Row]) -> String {
    let typed: Vec<&xtask::bench::Row> = rows.iter().filter(|r| xtask::readme::is_call_core(&r.mode)).collect();
    let span = |values: Vec<f64>| {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = (format!("{lo:.2}"), format!("{hi:.2}"));
        match values.is_empty() {
            true => "–".to_string(),
            false if lo == hi => format!("{lo}x"),
            false => format!("{lo}–{hi}x"),
        }
    };
    let names: Vec<String> =
        typed.iter().map(|r| format!("`{}`", r.mode)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    format!(
        "In this run typed calls ({}) cost {} raw Rust RPC and {} plain Workers RPC (`js`); the seed's \
         TypeScript library cost 27–33x plain Workers RPC.",
        names.join(", "),
        span(typed.iter().filter_map(|r| r.ratio_to_rpc).collect()),
        span(typed.iter().filter_map(|r| r.ratio_to_js).collect())
    )
}

pub(crate) fn test(_args: &[String]) -> Result<()> {
    let started = Instant::now();
    setup::ensure()?;
    let root = workspace_root();
    let cargo = || {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(&root);
        cmd
    };
    say("fmt");
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    say("clippy");
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    say("docs");
    run(cargo().args(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-Dwarnings"))?;
    say("tests: unit, ui, native integration, end-to-end in workerd");
    run(cargo().args(["test", "--workspace"]))?;
    say("wrangler deploy --dry-run (the example)");
    wrangler_dry_run()?;
    say(format!("all checks passed in {:.0?}", started.elapsed()));
    Ok(())
}

fn wrangler_dry_run() -> Result<()> {
    let tc = setup::locate()?;
    let crate_dir = build::crate_dir(None)?;
    let outdir = workspace_root().join("target/wrangler-dry-run");
    if outdir.exists() {
        std::fs::remove_dir_all(&outdir)?;
    }
    run(Command::new(tc.npm_bin("wrangler"))
        .current_dir(&crate_dir)
        .args(["deploy", "--dry-run", "--outdir"])
        .arg(&outdir)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "1"))?;
    let names: Vec<String> =
        std::fs::read_dir(&outdir)?.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    for suffix in ["entry.js", "index_bg.wasm"] {
        if !names.iter().any(|n| n.ends_with(suffix)) {
            bail!("wrangler's dry-run bundle in {} has no *{suffix}: {names:?}", outdir.display());
        }
    }
    // esbuild renames classes (`var RemoteDo2 = class extends DurableObject2`), so look at
    // the bundle's exports and at the generated wrapper's body.
    let bundle = std::fs::read_to_string(outdir.join("entry.js"))?;
    let exports = bundle.rsplit("\nexport {").next().unwrap_or_default();
    let exported: Vec<&str> = exports
        .split(['}', ';'])
        .next()
        .unwrap_or_default()
        .split(',')
        .filter_map(|e| e.split_whitespace().last())
        .collect();
    for class in built_classes()? {
        if !exported.contains(&class.as_str()) {
            bail!("wrangler's bundle does not export `{class}` (exports: {exported:?})");
        }
    }
    if !bundle.contains("inner.__call(envelope)") {
        bail!("wrangler's bundle lacks the generated `__call` forwarding: is `main` the generated entry?");
    }
    Ok(())
}

/// The Durable Object classes the example's generated entry wraps.
fn built_classes() -> Result<Vec<String>> {
    let entry = std::fs::read_to_string(build::crate_dir(None)?.join("build/entry.mjs"))?;
    Ok(xtask::entry::scan_js_classes(&entry))
}

/// The work tree's state for the bench's record (README changes confined to its
/// generated sections do not count).
fn tree_state() -> Result<xtask::git::Tree> {
    use xtask::readme::strip_generated;
    xtask::git::tree(&workspace_root(), |head, now| strip_generated(head) == strip_generated(now))
}

pub(crate) fn bench(args: &[String]) -> Result<()> {
    use xtask::bench::{self, Options};
    let opts = Options::parse(args)?;
    if opts.help {
        print!("{}", bench::HELP);
        return Ok(());
    }
    if !opts.workerd {
        println!("{}", xtask::per_call::table(&xtask::per_call::native()?));
        return Ok(());
    }
    let started = Instant::now();
    let tree = tree_state()?;
    if tree.is_dirty() {
        if !opts.allow_dirty {
            bail!(
                "the work tree has uncommitted changes ({}): results must name the code that ran. Commit \
                 (or stash) them, or pass --allow-dirty to measure anyway, recorded as dirty",
                tree.dirty.join(", ")
            );
        }
        eprintln!(
            "\n*** bench: WARNING: the work tree has UNCOMMITTED CHANGES ({}); measuring anyway \
             (--allow-dirty). The results will say so and record the hash of `git diff HEAD`: {}. ***\n",
            tree.dirty.join(", "),
            tree.diff_hash.as_deref().unwrap_or("?")
        );
    }
    let (tc, built) = setup_and_build(None)?;
    let native = if opts.native { xtask::per_call::native()? } else { Vec::new() };
    let workerd = Workerd::start(&tc, &built, workerd::Options::default())?;
    say(format!("workerd pid {} on {}", workerd.pid().unwrap_or_default(), workerd.url()));
    let listed = bench::modes(&workerd)?;
    let modes = opts.modes.clone().unwrap_or_else(|| listed.clone());
    if let Some(unknown) = modes.iter().find(|m| !listed.contains(m)) {
        bail!("--modes: the example has no mode `{unknown}`; /modes lists {listed:?}");
    }
    let samples = bench::measure(&workerd, &modes, &opts.sizes, opts.runs)?;
    let mut native = native;
    native.push(xtask::per_call::wasm_cost(&workerd)?);
    drop(workerd);
    let rows = bench::summarize(&samples, &modes, &opts.sizes);
    let mut tables = format!("## Durable Object calls in local workerd\n\n{}", bench::table(&rows));
    tables.push_str(&format!("\nms/op: {}\n", bench::TIMING));
    tables.push_str("\n## Per-call work of call-core\n\n");
    tables.push_str(&xtask::per_call::table(&native));
    tables.push_str(
        "\nns/op: median (min..max). Native rows: timed samples of 10000 operations each, release \
         build, `cargo bench -p call-core --bench per_call` (call-core/benches/per_call.rs). The wasm \
         row: `/probe/cost` in workerd, timed from the client (see xtask/src/bench.rs `wasm_cost`).\n",
    );
    println!("{tables}");
    let now = tree_state()?;
    if now != tree {
        bail!(
            "the work tree changed while the bench ran (commit {} → {}, changed paths {:?} → {:?}): the \
             results above cannot name the code that ran, so nothing was written",
            tree.commit,
            now.commit,
            tree.dirty,
            now.dirty
        );
    }
    let header = bench::header(&tc.npm_bin("workerd"), &opts, &tree);
    let wasm = format!("- wasm: {} KiB; whole bench took {:.0?}\n\n", built.wasm_bytes / 1024, started.elapsed());
    std::fs::create_dir_all(&opts.out)?;
    let write = |name: &str, text: String| -> Result<()> {
        let path = opts.out.join(name);
        std::fs::write(&path, text).map_err(|e| xtask::Error(format!("cannot write {}: {e}", path.display())))
    };
    let mut json = bench::to_json(&rows, &native);
    if let Some(all) = json.as_array_mut() {
        all.insert(0, bench::meta(&opts, &modes, &tree));
    }
    write("bench.md", format!("{header}{wasm}{tables}"))?;
    write("bench.json", format!("{json:#}\n"))?;
    write("bench.svg", xtask::plot::bench(&rows, &modes))?;
    if modes.iter().any(|m| xtask::composite::is_composite(m)) {
        write("bench-composite.svg", xtask::composite::plot(&rows, &modes))?;
    }
    say(format!("wrote bench.md, bench.json and the plots in {}", opts.out.display()));
    let results = workspace_root().join("results");
    if opts.out.canonicalize().ok() == results.canonicalize().ok() {
        let changed = xtask::readme::update(&workspace_root())?;
        say(if changed { "README.md: generated sections rewritten" } else { "README.md: already up to date" });
    }
    if tree.is_dirty() {
        eprintln!(
            "\n*** bench: WARNING: these results come from a DIRTY work tree (diff hash {}); bench.md says so. ***",
            tree.diff_hash.as_deref().unwrap_or("?")
        );
    }
    say(format!("bench took {:.0?}", started.elapsed()));
    Ok(())
}

pub(crate) fn profile(args: &[String]) -> Result<()> {
    use xtask::profile::{self, Options};
    let opts = Options::parse(args)?;
    if opts.help {
        print!("{}", profile::HELP);
        return Ok(());
    }
    if let Some(from) = &opts.from {
        return profile::summarize(from, opts.top);
    }
    if opts.summary {
        return xtask::profile_summary::run(&setup::ensure()?, &opts, &opts.modes, &opts.sizes);
    }
    profile::run(&setup::ensure()?, &opts)
}

pub(crate) fn fuzz(args: &[String]) -> Result<()> {
    let seconds = match flag_value(args, "--seconds") {
        Some(s) => s.parse().map_err(|_| xtask::Error(format!("bad --seconds {s}")))?,
        None => 60,
    };
    let root = workspace_root();
    let tree = xtask::git::tree(&root, |_, _| false)?;
    let report = xtask::fuzz::run_for(seconds)?;
    let summary = format!(
        "fuzz: {} executions in {} s, {} crash(es){}",
        report.executions,
        report.seconds,
        report.crashes.len(),
        if report.crashes.is_empty() {
            String::new()
        } else {
            format!(" copied to fuzz/regressions: {}", report.crashes.join(", "))
        }
    );
    println!("{summary}");
    // The record the README's fuzzing figure is generated from (`cargo xtask readme`).
    let log = xtask::fuzz::record(&report, &tree.describe());
    let path = root.join("results/fuzz.md");
    std::fs::create_dir_all(root.join("results"))?;
    std::fs::write(&path, log)?;
    say(format!("wrote {}", path.display()));
    if !report.crashes.is_empty() {
        bail!("the fuzzer found crashes; fix them and keep the inputs in fuzz/regressions");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use xtask::bench::{summarize, Sample};

    #[test]
    fn the_demo_table_puts_the_seed_beside_our_modes() {
        let sample =
            |mode: &str, ms: f64| Sample { mode: mode.into(), n: 10, rounds: 100, run: 0, ms, client_ms: ms, ok: 1000 };
        let samples = [sample("rpc", 100.0), sample("call", 110.0), sample("js", 80.0), sample("rpc-string", 105.0)];
        let modes: Vec<String> = ["rpc", "call", "js", "rpc-string"].map(String::from).to_vec();
        let rows = summarize(&samples, &modes, &[10]);
        let table = demo_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2 + 4 + 2, "{table}");
        assert!(
            lines[3].starts_with("| call | typed `call!`, awaited | 10 | 100 | 0.1100 | 1.10x | 1.38x |"),
            "{table}"
        );
        assert!(lines[5].starts_with("| seed: `@lumenize/call` |") && lines[6].starts_with("| seed: plain"), "{table}");
        assert!(lines[7].starts_with("| rpc-string |"), "ablations last: {table}");
        assert_eq!(
            demo_takeaway(&rows),
            "In this run typed calls (`call`) cost 1.10x raw Rust RPC and 1.38x plain Workers RPC \
             (`js`); the seed's TypeScript library cost 27–33x plain Workers RPC."
        );
    }
}
