//! A small test runner for the end-to-end suite: build the example, start one workerd on a
//! free loopback port, run every test against it (a panic fails one test, not the run),
//! stop workerd by its PID, report like libtest.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use xtask::workerd::{self, Workerd};
use xtask::{build, http, setup};

/// What a test gets: the running Worker.
pub struct Ctx {
    pub workerd: Workerd,
}

impl Ctx {
    /// `GET path`, expecting status 200 and a JSON body.
    pub fn json(&self, path: &str) -> serde_json::Value {
        let answer =
            http::get(self.workerd.addr, path, Duration::from_secs(120)).unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(answer.status, 200, "GET {path} answered {}: {}", answer.status, answer.body);
        answer.json().unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }
}

/// A named test.
pub type Test = (&'static str, fn(&Ctx));

/// Runs `tests` (those matching the command line's filters) and reports.
pub fn run(tests: &[Test]) -> ExitCode {
    let forgotten = unregistered();
    if !forgotten.is_empty() {
        eprintln!(
            "error: end-to-end tests not registered in tests/tests/e2e/main.rs (they would never run): {}",
            forgotten.join(", ")
        );
        return ExitCode::FAILURE;
    }
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let selected: Vec<&Test> = tests
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    println!("\nrunning {} end-to-end tests in workerd", selected.len());
    if selected.is_empty() {
        return ExitCode::SUCCESS;
    }
    let ctx = match start() {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("error: cannot run the end-to-end tests: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("workerd pid {} listening on {}", ctx.workerd.pid().unwrap_or_default(), ctx.workerd.url());
    // CALL_CORE_TEST_LOADED=1: CPU hogs beside the tests, stopped (by PID) when dropped.
    let hogs = xtask::load::Hogs::if_enabled();
    // The tests' own panics are reported below; keep the default hook's output short.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| eprintln!("    {info}")));
    let mut failed = Vec::new();
    let started = Instant::now();
    for (name, test) in selected {
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| test(&ctx)));
        let status = if outcome.is_ok() { "ok" } else { "FAILED" };
        println!("test {name} ... {status} ({:.1?})", t.elapsed());
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    std::panic::set_hook(default_hook);
    drop(hogs);
    let log = ctx.workerd.log();
    drop(ctx); // stops workerd by its PID
    if failed.is_empty() {
        println!("\ntest result: ok. all end-to-end tests passed in {:.1?}\n", started.elapsed());
        ExitCode::SUCCESS
    } else {
        println!("\nworkerd log:\n{log}");
        println!("\ntest result: FAILED. failed: {}\n", failed.join(", "));
        ExitCode::FAILURE
    }
}

fn start() -> xtask::Result<Ctx> {
    let tc = setup::locate()?;
    let built = build::build(&tc, &build::crate_dir(None)?)?;
    let workerd = Workerd::start(&tc, &built, workerd::Options::default())?;
    Ok(Ctx { workerd })
}

/// The test functions of the suite's modules (`pub fn name(ctx: &Ctx)`) that main.rs does
/// not name as `module::name`: a test written and never registered fails the suite.
fn unregistered() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let main = read("main.rs");
    let mut forgotten = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else { return vec![format!("cannot read {}", dir.display())] };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(module) = file.strip_suffix(".rs") else { continue };
        if module == "main" || module == "harness" {
            continue;
        }
        for line in read(&file).lines() {
            let Some(rest) = line.strip_prefix("pub fn ") else { continue };
            let Some((name, params)) = rest.split_once('(') else { continue };
            if params.starts_with("ctx: &Ctx)") && !main.contains(&format!("{module}::{name})")) {
                forgotten.push(format!("{module}::{name}"));
            }
        }
    }
    forgotten.sort();
    forgotten
}
