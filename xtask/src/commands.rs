//! The commands of `cargo xtask`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use xtask::build::{self, Built};
use xtask::setup::{self, Toolchain};
use xtask::util::{run, say, workspace_root, write_if_changed, Context};
use xtask::workerd::{self, Workerd};
use xtask::{bail, Result};

fn flag_value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn setup_and_build(crate_arg: Option<&str>) -> Result<(Toolchain, Built)> {
    // The crate first: a wrong path fails before setup's checks run.
    let dir = build::crate_dir(crate_arg)?;
    let tc = setup::ensure()?;
    let built = build::build(&tc, &dir)?;
    Ok((tc, built))
}

pub(crate) fn build(args: &[String]) -> Result<()> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{}", build::HELP);
        return Ok(());
    }
    match args {
        [] => setup_and_build(None).map(drop),
        [path] if !path.starts_with('-') => setup_and_build(Some(path)).map(drop),
        _ => bail!("unexpected arguments {args:?}\n\n{}", build::HELP),
    }
}

pub(crate) fn serve(args: &[String]) -> Result<()> {
    let port = flag_value(args, "--port").unwrap_or("8787");
    let port = port.parse().map_err(|_| xtask::Error(format!("bad --port {port}")))?;
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

pub(crate) fn demo(args: &[String]) -> Result<()> {
    use xtask::bench::{demo, run};
    let started = Instant::now();
    let record = args.iter().any(|a| a == "--record");
    let tree = tree_state()?;
    if record && tree.is_dirty() && !args.iter().any(|a| a == "--allow-dirty") {
        bail!(
            "--record: the work tree has uncommitted changes ({}): results/demo.md must name the code that ran. \
             Commit them, or pass --allow-dirty as well",
            tree.dirty.join(", ")
        );
    }
    let (tc, built) = setup_and_build(None)?;
    let workerd = Workerd::start(&tc, &built, workerd::Options::default())?;
    say(format!("workerd pid {} on {}", workerd.pid().unwrap_or_default(), workerd.url()));
    let modes: Vec<String> = run::modes(&workerd)?.into_iter().filter(|m| demo::runs(m)).collect();
    let rounds = demo::rounds(&workerd, &modes)?;
    let (sizes, runs, target) = (demo::SIZES, demo::RUNS, demo::TARGET_MS);
    say(format!(
        "running {} modes × N = {sizes:?}: {runs} interleaved runs, rounds per request {rounds:?} (about {target} \
         ms each) …",
        modes.len()
    ));
    let rounds_of = |n: u32| rounds.iter().find(|r| r.0 == n).map_or(1, |r| r.1);
    let samples = run::measure(&workerd, &modes, &demo::SIZES, demo::RUNS, rounds_of, false)?;
    drop(workerd);
    let rows = xtask::bench::results::summarize(&samples, &modes, &demo::SIZES);
    let report = demo::report(&rows, started.elapsed());
    println!("{report}");
    if record {
        let path = workspace_root().join("results/demo.md");
        write_if_changed(&path, &demo::record(&report, &tree))?;
        say(format!("wrote {}", path.display()));
        rewrite_generated()?;
    }
    Ok(())
}

/// Rewrites the generated sections of README.md and docs/*.md from results/.
fn rewrite_generated() -> Result<()> {
    let (same, rewritten) = ("generated sections already up to date", "generated sections rewritten in");
    xtask::bench::generated::update(&workspace_root(), same, rewritten)
}

pub(crate) fn test(args: &[String]) -> Result<()> {
    let started = Instant::now();
    let loaded_only = match args {
        [] => false,
        [flag] if flag == "--loaded" => true,
        _ => bail!("unexpected arguments {args:?}: `cargo xtask test [--loaded]`"),
    };
    setup::ensure()?;
    let root = workspace_root();
    let cargo = || {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(&root);
        cmd
    };
    // The loaded mode (xtask::load): the suites start CPU hogs beside their tests.
    let loaded = |suite: &[&str]| {
        let mut cmd = cargo();
        cmd.args(["test", "-p", "tests"]).args(suite).env(xtask::load::ENV, "1");
        cmd
    };
    if loaded_only {
        say(format!(
            "loaded machine: the end-to-end and durable suites with {} CPU hogs beside them",
            xtask::load::HOGS
        ));
        run(&mut loaded(&["--test", "e2e"]))?;
        run(&mut loaded(&["--test", "durable"]))?;
        say(format!("the loaded suites passed in {:.0?}", started.elapsed()));
        return Ok(());
    }
    say("fmt");
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    say("clippy");
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    say("docs");
    run(cargo().args(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-Dwarnings"))?;
    say("tests: unit, ui (on the host, and the fail cases for wasm32), native, end-to-end in workerd, a user's own Worker");
    run(cargo().args(["test", "--workspace", "--exclude", "tests"]))?;
    // Every suite of tests/ but the durable one, which runs loaded below (once: it is the
    // longest, and the loaded run is the harder one).
    let suites = test_suites(&root.join("tests/tests"))?;
    let mut unloaded = cargo();
    unloaded.args(["test", "-p", "tests", "--lib"]);
    for suite in suites.iter().filter(|s| s.as_str() != "durable") {
        unloaded.args(["--test", suite]);
    }
    run(&mut unloaded)?;
    say(format!(
        "loaded machine: the lifetimes end-to-end tests again and the durable suite, with {} CPU hogs beside them",
        xtask::load::HOGS
    ));
    run(&mut loaded(&["--test", "e2e", "--", "lifetimes"]))?;
    run(&mut loaded(&["--test", "durable"]))?;
    say("cargo package: the publishable crates, each built from its packaged form");
    package(&root)?;
    say("wrangler deploy --dry-run (the example and examples/hello), `[build]` running call-build");
    let bin = build::install_call_build(&root.join("target/call-build"))?;
    wrangler_dry_run(&bin, "examples/call-delay", Some(&root.join("target/wasm32")))?;
    wrangler_dry_run(&bin, "examples/hello", Some(&root.join("target/wasm32")))?;
    say(format!("all checks passed in {:.0?}", started.elapsed()));
    Ok(())
}

/// The test suites of the `tests` package: each `tests/tests/NAME.rs` and `tests/tests/NAME/`
/// (with a `main.rs`), so that a new suite cannot be left out.
fn test_suites(dir: &Path) -> Result<Vec<String>> {
    let mut suites = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        if path.extension().is_some_and(|e| e == "rs") || path.join("main.rs").is_file() {
            suites.push(name);
        }
    }
    suites.sort();
    Ok(suites)
}

/// The crates a user depends on or installs, as `cargo package` checks them (together: cargo
/// packages workspace members against each other's packaged form).
const PUBLISHED: [&str; 3] = ["call-macros", "call-core", "call-build"];

fn package(root: &Path) -> Result<()> {
    let mut cmd = xtask::util::cargo();
    cmd.current_dir(root).arg("package");
    for p in PUBLISHED {
        cmd.args(["-p", p]);
    }
    // A developer's uncommitted edits would stop it; CI's clean clone never needs this.
    let dirty = xtask::util::output(
        Command::new("git").current_dir(root).args(["status", "--porcelain", "--"]).args(PUBLISHED),
    )
    .is_some_and(|s| !s.trim().is_empty());
    if dirty {
        say(format!("cargo package: uncommitted changes in {PUBLISHED:?}, so --allow-dirty"));
        cmd.arg("--allow-dirty");
    }
    run(&mut cmd)
}

/// `wrangler deploy --dry-run` of `crate_rel`, whose `[build]` command runs the installed
/// call-build (`bin` first on PATH); `target_dir` as `CARGO_TARGET_DIR`, so that it reuses
/// the tests' build.
fn wrangler_dry_run(bin: &Path, crate_rel: &str, target_dir: Option<&Path>) -> Result<()> {
    let tc = setup::locate()?;
    let crate_dir = build::crate_dir(Some(crate_rel))?;
    let name = crate_dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let outdir = workspace_root().join("target/wrangler-dry-run").join(&name);
    if outdir.exists() {
        std::fs::remove_dir_all(&outdir)?;
    }
    let path = std::env::join_paths(
        std::iter::once(bin.to_path_buf()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .map_err(|e| xtask::Error(e.to_string()))?;
    let mut wrangler = Command::new(tc.npm_bin("wrangler"));
    wrangler
        .current_dir(&crate_dir)
        .args(["deploy", "--dry-run", "--outdir"])
        .arg(&outdir)
        .env("PATH", path)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "1");
    if let Some(dir) = target_dir {
        wrangler.env("CARGO_TARGET_DIR", dir);
    }
    run(&mut wrangler)?;
    let names = xtask::util::file_names(&outdir);
    for suffix in ["shim.js", "index_bg.wasm"] {
        if !names.iter().any(|n| n.ends_with(suffix)) {
            bail!("wrangler's dry-run bundle in {} has no *{suffix}: {names:?}", outdir.display());
        }
    }
    // esbuild renames classes (`var RemoteDo2 = class extends DurableObject2`), so look at
    // the bundle's exports and at the generated wrapper's body.
    let bundle = std::fs::read_to_string(outdir.join("shim.js"))?;
    let exports = bundle.rsplit("\nexport {").next().and_then(|e| e.split(['}', ';']).next()).unwrap_or_default();
    let exported: Vec<&str> = exports.split(',').filter_map(|e| e.split_whitespace().last()).collect();
    let shim = std::fs::read_to_string(crate_dir.join("build/worker/shim.mjs"))?;
    for class in call_build::entry::scan_js_classes(&shim) {
        if !exported.contains(&class.as_str()) {
            bail!("wrangler's bundle of {name} does not export `{class}` (exports: {exported:?})");
        }
    }
    if !bundle.contains("inner.__call(envelope)") {
        bail!("wrangler's bundle of {name} lacks the generated `__call` forwarding: is `main` call-build's shim?");
    }
    Ok(())
}

/// The work tree's state for the bench's record (changes of README.md and docs/*.md
/// confined to their generated sections do not count).
fn tree_state() -> Result<xtask::git::Tree> {
    use xtask::bench::generated::{is_generated_file, strip_generated};
    xtask::git::tree(&workspace_root(), |path, head, now| {
        is_generated_file(path) && strip_generated(head) == strip_generated(now)
    })
}

pub(crate) fn bench(args: &[String]) -> Result<()> {
    use xtask::bench::results::{summarize, Entry};
    use xtask::bench::{conversion, modes, plot, probes, report, run};
    let opts = run::Options::parse(args)?;
    if opts.help {
        print!("{}", run::HELP);
        return Ok(());
    }
    if !opts.workerd {
        println!("{}", report::per_call_table(&probes::native()?));
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
    let native = if opts.native { probes::native()? } else { Vec::new() };
    let workerd = Workerd::start(&tc, &built, workerd::Options::default())?;
    say(format!("workerd pid {} on {}", workerd.pid().unwrap_or_default(), workerd.url()));
    let listed = run::modes(&workerd)?;
    let modes = opts.modes.clone().unwrap_or_else(|| listed.clone());
    run::offered(&modes, &listed).context(|| "--modes".into())?;
    let samples = run::measure(&workerd, &modes, &opts.sizes, opts.runs, run::rounds_for, true)?;
    let wasm = probes::wasm_cost(&workerd)?;
    let durable = modes.iter().any(|m| modes::is(m, &[modes::Kind::Durable]));
    let commit = if durable { Some(probes::commit_cost(&workerd)?) } else { None };
    let conversion = conversion::measure(&workerd)?;
    drop(workerd);
    let rows = summarize(&samples, &modes, &opts.sizes);
    let per_call: Vec<_> = native.iter().cloned().chain([wasm.clone()]).collect();
    let tables = report::tables(&rows, &per_call, commit.as_ref(), Some(&conversion));
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
    let header = report::header(&tc.npm_bin("workerd"), &opts, &tree);
    let wasm_line = format!("- wasm: {} KiB; whole bench took {:.0?}\n\n", built.wasm_bytes / 1024, started.elapsed());
    let mut entries = vec![report::meta(&opts, &modes, &tree)];
    entries.extend(rows.iter().cloned().map(|row| Entry::Workerd(Box::new(row))));
    entries.extend(native.into_iter().map(Entry::Native));
    entries.push(Entry::Wasm(wasm));
    entries.extend(commit.map(Entry::Commit));
    entries.push(Entry::Conversion(conversion));
    let json = serde_json::to_value(&entries).map_err(|e| xtask::Error(format!("bench.json: {e}")))?;
    let write = |name: &str, text: String| write_if_changed(&opts.out.join(name), &text);
    write("bench.md", format!("{header}{wasm_line}{tables}"))?;
    write("bench.json", format!("{json:#}\n"))?;
    write("bench.svg", plot::bench(&rows, &modes))?;
    if modes.iter().any(|m| modes::is(m, &[modes::Kind::Composite])) {
        write("bench-composite.svg", plot::composite(&rows, &modes))?;
    }
    say(format!("wrote bench.md, bench.json and the plots in {}", opts.out.display()));
    let results = workspace_root().join("results");
    if opts.out.canonicalize().ok() == results.canonicalize().ok() {
        rewrite_generated()?;
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
    let run = if opts.summary { profile::run_summary } else { profile::run };
    run(&setup::ensure()?, &opts)
}

pub(crate) fn fuzz(args: &[String]) -> Result<()> {
    let seconds = flag_value(args, "--seconds").unwrap_or("60");
    let seconds = seconds.parse().map_err(|_| xtask::Error(format!("bad --seconds {seconds}")))?;
    let root = workspace_root();
    let tree = xtask::git::tree(&root, |_, _, _| false)?;
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
    // The record the README's fuzzing figure is generated from (`cargo xtask readme`).
    let path = root.join("results/fuzz.md");
    write_if_changed(&path, &xtask::fuzz::record(&report, &tree.describe()))?;
    say(format!("wrote {}", path.display()));
    if !report.crashes.is_empty() {
        bail!("the fuzzer found crashes; fix them and keep the inputs in fuzz/regressions");
    }
    Ok(())
}
