//! `cargo xtask fuzz --seconds S`: fuzz envelope decoding and dispatch with cargo-fuzz
//! (libFuzzer, nightly), for a bounded time.
//!
//! The target is `fuzz/fuzz_targets/envelope.rs`; its seeds are committed in
//! `fuzz/seeds/envelope`. The growing corpus lives in `target/fuzz-corpus` (not
//! committed). Crashing inputs are copied to `fuzz/regressions`, which the test
//! `tests/tests/fuzz_corpus.rs` replays on every `cargo xtask test`.

use std::process::{Command, Stdio};

use crate::util::{cargo, file_names, output, run, say, workspace_root, Context};
use crate::{bail, Result};

/// The cargo-fuzz release installed (and cached) by the command.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// What a fuzzing run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Inputs executed.
    pub executions: u64,
    /// Crashing inputs found (copied to `fuzz/regressions`).
    pub crashes: Vec<String>,
    /// Seconds fuzzed.
    pub seconds: u64,
}

/// Fuzzes for `seconds`.
pub fn run_for(seconds: u64) -> Result<Report> {
    let root = workspace_root();
    if output(Command::new("rustup").args(["run", "nightly", "rustc", "--version"])).is_none() {
        bail!("fuzzing needs the nightly toolchain (libFuzzer instrumentation): `rustup toolchain install nightly`");
    }
    let cargo_fuzz = ensure_cargo_fuzz()?;
    let corpus = root.join("target/fuzz-corpus/envelope");
    std::fs::create_dir_all(&corpus)?;
    let seeds = root.join("fuzz/seeds/envelope");
    let artifacts = root.join("fuzz/artifacts/envelope");
    let before = file_names(&artifacts);
    say(format!("fuzzing `envelope` for {seconds} s (corpus in {})", corpus.display()));
    let out = Command::new(&cargo_fuzz)
        .current_dir(&root)
        .env("RUSTUP_TOOLCHAIN", "nightly")
        .args(["fuzz", "run", "--fuzz-dir", "fuzz", "envelope"])
        .arg(&corpus)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .args(["-print_final_stats=1", "-max_len=65536"])
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .output()
        .context(|| format!("cannot run {}", cargo_fuzz.display()))?;
    let log = String::from_utf8_lossy(&out.stderr);
    let stat = |l: &str| l.strip_prefix("stat::number_of_executed_units:")?.trim().parse().ok();
    let executions = log.lines().filter_map(stat).next_back().unwrap_or(0);
    let crashes: Vec<String> = file_names(&artifacts).into_iter().filter(|a| !before.contains(a)).collect();
    let regressions = root.join("fuzz/regressions");
    std::fs::create_dir_all(&regressions)?;
    for crash in &crashes {
        std::fs::copy(artifacts.join(crash), regressions.join(crash))?;
    }
    if !out.status.success() && crashes.is_empty() {
        let lines: Vec<&str> = log.lines().collect();
        bail!("cargo fuzz failed ({}):\n{}", out.status, lines[lines.len().saturating_sub(30)..].join("\n"));
    }
    Ok(Report { executions, crashes, seconds })
}

/// `results/fuzz.md`: what a run did, as the README quotes it.
pub fn record(report: &Report, tree: &str) -> String {
    format!(
        "# cargo xtask fuzz\n\n\
         - date: {}\n\
         - commit: {tree}\n\
         - target: `envelope` (fuzz/fuzz_targets/envelope.rs: envelope decoding, limits, plan execution, \
         dispatch, argument decoding; a reply that is not a protocol reply, or a `Panic` reply, is a crash)\n\
         - seconds: {}\n\
         - executions: {}\n\
         - crashes: {}\n",
        crate::util::utc_date(),
        report.seconds,
        report.executions,
        report.crashes.len(),
    )
}

/// The figures of a `results/fuzz.md`: seconds, executions, crashes, commit.
pub fn parse_record(text: &str) -> Option<(u64, u64, u64, String)> {
    let field = |key: &str| text.lines().find_map(|l| l.strip_prefix(&format!("- {key}: "))).map(str::trim);
    Some((
        field("seconds")?.parse().ok()?,
        field("executions")?.parse().ok()?,
        field("crashes")?.parse().ok()?,
        field("commit")?.to_string(),
    ))
}

fn ensure_cargo_fuzz() -> Result<std::path::PathBuf> {
    let root = call_build::cache::dir().join("tools").join(format!("cargo-fuzz-{CARGO_FUZZ_VERSION}"));
    let bin = root.join("bin/cargo-fuzz");
    let installed = output(Command::new(&bin).arg("--version")).unwrap_or_default();
    if installed.contains(CARGO_FUZZ_VERSION) {
        return Ok(bin);
    }
    say(format!("installing cargo-fuzz {CARGO_FUZZ_VERSION} from crates.io (once)"));
    run(cargo()
        .args(["install", "cargo-fuzz", "--version", &format!("={CARGO_FUZZ_VERSION}"), "--root"])
        .arg(&root)
        .env_remove("CARGO_TARGET_DIR"))?;
    Ok(bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_reads_back() {
        let report = Report { executions: 1234, crashes: vec![], seconds: 60 };
        let text = record(&report, "abc123 (clean work tree)");
        assert_eq!(parse_record(&text), Some((60, 1234, 0, "abc123 (clean work tree)".to_string())));
    }
}
