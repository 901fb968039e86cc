//! The commands of `cargo xtask`.

use std::process::Command;
use std::time::{Duration, Instant};

use xtask::build::{self, Built};
use xtask::setup::{self, Toolchain};
use xtask::util::{run, say, workspace_root};
use xtask::workerd::{self, Workerd};
use xtask::{bail, http, Result};

/// Batch sizes of the demo table.
const DEMO_SIZES: [u32; 3] = [10, 50, 500];

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
    let (tc, built) = setup_and_build(None)?;
    let mut workerd = Workerd::start(&tc, &built, workerd::Options { port: Some(port), storage: None })?;
    say(format!(
        "serving the example at {} (pid {}); try {}/batch?mode=call&n=50 — Ctrl-C stops it",
        workerd.url(),
        workerd.pid().unwrap_or_default(),
        workerd.url()
    ));
    // Ctrl-C reaches workerd too (same process group); otherwise wait for it to end.
    let status = workerd.wait()?;
    bail!("workerd exited ({status}):\n{}", workerd.log())
}

/// The modes the example's `/batch` endpoint offers, as it reports them.
pub(crate) fn modes(workerd: &Workerd) -> Result<Vec<String>> {
    let answer = http::get(workerd.addr, "/modes", Duration::from_secs(30))?;
    let modes: Vec<String> = serde_json::from_str(&answer.body)
        .map_err(|e| xtask::Error(format!("/modes answered {:?}: {e}", answer.body)))?;
    Ok(modes)
}

/// One `/batch` run, validated: every one of the `n` results must be correct.
pub(crate) fn batch(workerd: &Workerd, mode: &str, n: u32) -> Result<serde_json::Value> {
    let path = format!("/batch?mode={mode}&n={n}");
    let answer = http::get(workerd.addr, &path, Duration::from_secs(300))?;
    let json = answer.json()?;
    if answer.status != 200 || json["ok"].as_u64() != Some(u64::from(n)) {
        bail!("{path} validated {} of {n}: {}", json["ok"], answer.body);
    }
    Ok(json)
}

pub(crate) fn demo(_args: &[String]) -> Result<()> {
    let (tc, built) = setup_and_build(None)?;
    let workerd = Workerd::start(&tc, &built, workerd::Options::default())?;
    say(format!("workerd pid {} on {}", workerd.pid().unwrap_or_default(), workerd.url()));
    let modes = modes(&workerd)?;
    for mode in &modes {
        batch(&workerd, mode, 10)?; // warm-up: first instantiation and JIT
    }
    let mut table = String::from("| mode | N | ok | ms | ms/op |\n|---|---:|---:|---:|---:|\n");
    for mode in &modes {
        for n in DEMO_SIZES {
            let started = Instant::now();
            let json = batch(&workerd, mode, n)?;
            let client_ms = started.elapsed().as_secs_f64() * 1000.0;
            let ms = json["ms"].as_f64().unwrap_or(client_ms);
            table.push_str(&format!("| {mode} | {n} | {} | {ms:.1} | {:.4} |\n", json["ok"], ms / f64::from(n)));
        }
    }
    println!("{table}");
    println!(
        "ms: measured inside the controller Durable Object (Date.now() advances across the \
         batch's I/O); one run each, after a warm-up. `cargo xtask bench` repeats and compares."
    );
    Ok(())
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
    run(Command::new(tc.npm_bin("wrangler"))
        .current_dir(&crate_dir)
        .args(["deploy", "--dry-run", "--outdir"])
        .arg(&outdir)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "1"))?;
    for file in ["entry.js", "index_bg.wasm"] {
        let found = std::fs::read_dir(&outdir)?
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(file.trim_start_matches("entry")));
        if !found {
            bail!("wrangler's dry-run bundle in {} lacks a {file}", outdir.display());
        }
    }
    Ok(())
}

pub(crate) fn bench(args: &[String]) -> Result<()> {
    use xtask::bench::{self, Options};
    let opts = Options::parse(args)?;
    if opts.help {
        print!("{}", bench::HELP);
        return Ok(());
    }
    if !opts.workerd {
        println!("{}", bench::native_table(&bench::native()?));
        return Ok(());
    }
    let started = Instant::now();
    let (tc, built) = setup_and_build(None)?;
    let native = if opts.native { bench::native()? } else { Vec::new() };
    let workerd = Workerd::start(&tc, &built, workerd::Options::default())?;
    say(format!("workerd pid {} on {}", workerd.pid().unwrap_or_default(), workerd.url()));
    let listed = modes(&workerd)?;
    let modes = opts.modes.clone().unwrap_or_else(|| listed.clone());
    if let Some(unknown) = modes.iter().find(|m| !listed.contains(m)) {
        bail!("--modes: the example has no mode `{unknown}`; /modes lists {listed:?}");
    }
    let samples = bench::measure(&workerd, &modes, &opts.sizes, opts.runs)?;
    let mut native = native;
    native.push(bench::wasm_cost(&workerd)?);
    drop(workerd);
    let rows = bench::summarize(&samples, &modes, &opts.sizes);
    let mut tables = format!("## Durable Object calls in local workerd\n\n{}", bench::table(&rows));
    tables.push_str(&format!("\nms/op: {}\n", bench::TIMING));
    tables.push_str("\n## Per-call work of call-core\n\n");
    tables.push_str(&bench::native_table(&native));
    tables.push_str(
        "\nns/op: median (min..max). Native rows: timed samples of 10000 operations each, release \
         build, `cargo bench -p call-core --bench per_call` (call-core/benches/per_call.rs). The wasm \
         row: `/probe/cost` in workerd, timed from the client (see xtask/src/bench.rs `wasm_cost`).\n",
    );
    println!("{tables}");
    let header = bench::header(&tc.npm_bin("workerd"), &opts);
    let wasm = format!("- wasm: {} KiB; whole bench took {:.0?}\n\n", built.wasm_bytes / 1024, started.elapsed());
    std::fs::create_dir_all(&opts.out)?;
    let write = |name: &str, text: String| -> Result<()> {
        let path = opts.out.join(name);
        std::fs::write(&path, text).map_err(|e| xtask::Error(format!("cannot write {}: {e}", path.display())))
    };
    write("bench.md", format!("{header}{wasm}{tables}"))?;
    write("bench.json", format!("{:#}\n", bench::to_json(&rows, &native)))?;
    write("bench.svg", xtask::plot::bench(&rows, &modes))?;
    say(format!("wrote bench.md, bench.json and bench.svg in {}", opts.out.display()));
    Ok(())
}

pub(crate) fn fuzz(args: &[String]) -> Result<()> {
    let seconds = match flag_value(args, "--seconds") {
        Some(s) => s.parse().map_err(|_| xtask::Error(format!("bad --seconds {s}")))?,
        None => 60,
    };
    let report = xtask::fuzz::run_for(seconds)?;
    println!(
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
    if !report.crashes.is_empty() {
        bail!("the fuzzer found crashes; fix them and keep the inputs in fuzz/regressions");
    }
    Ok(())
}
