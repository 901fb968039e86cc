//! Errors, paths and child-process helpers shared by every task. The error type and the
//! process helpers are call-build's (one error type for the build and the tasks around it);
//! the rest is xtask's own.

use std::path::{Path, PathBuf};
use std::process::Command;

pub use call_build::error::{Context, Error, Result};
pub use call_build::process::{cargo, output, run, show, write_if_changed};

/// The workspace root (the directory holding the top-level Cargo.toml).
pub fn workspace_root() -> PathBuf {
    // xtask lives one level below the root; this holds for `cargo xtask` and for the
    // tests crate, which links this library.
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask has a parent").to_path_buf()
}

/// Prints a progress line for the person running the task.
pub fn say(msg: impl AsRef<str>) {
    eprintln!("xtask: {}", msg.as_ref());
}

/// Whether `program` can be found on PATH.
pub fn on_path(program: &str) -> bool {
    call_build::process::on_path(program).is_some()
}

/// The names of the files in `dir` (none when it cannot be read).
pub fn file_names(dir: &Path) -> Vec<String> {
    let entries = std::fs::read_dir(dir).into_iter().flatten().flatten();
    entries.map(|e| e.file_name().to_string_lossy().into_owned()).collect()
}

/// The date and time now, UTC, as the records write it (`2026-01-01 12:00:00 UTC`).
pub fn utc_date() -> String {
    output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M:%S UTC"])).map_or_else(|| "?".into(), |d| d.trim().into())
}

/// The machine's cores, as the records name them.
pub fn cores() -> String {
    std::thread::available_parallelism().map_or_else(|_| "?".into(), |n| n.to_string())
}

/// The CPU's model name (`/proc/cpuinfo`).
pub fn cpu_model() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1));
    model.map_or("?", str::trim).to_string()
}
