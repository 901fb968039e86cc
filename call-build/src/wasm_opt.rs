//! Binaryen's `wasm-opt` on the release module, when one is installed: `WASM_OPT_BIN`, else
//! `wasm-opt` on PATH (npm's `binaryen` puts one in `node_modules/.bin`). call-build never
//! downloads it; without one the module is left as rustc and wasm-bindgen made it, and the
//! build says so.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Result;
use crate::process::{on_path, run, say};

/// The wasm features rustc's wasm32-unknown-unknown output uses (and exception handling,
/// which a panic=unwind std and wasm-bindgen's catch wrappers emit): named rather than
/// `--all-features`, so that wasm-opt never writes an encoding workerd does not read yet.
const FEATURES: [&str; 7] = [
    "mutable-globals",
    "sign-ext",
    "nontrapping-float-to-int",
    "bulk-memory",
    "multivalue",
    "reference-types",
    "exception-handling",
];

/// The `wasm-opt` to use, if any.
pub fn find() -> Option<PathBuf> {
    std::env::var_os("WASM_OPT_BIN").map(PathBuf::from).or_else(|| on_path("wasm-opt"))
}

/// Optimizes `wasm` in place with `bin` (`-O`, the name section kept for stack traces).
pub fn run_on(bin: &Path, wasm: &Path) -> Result<()> {
    let tmp = wasm.with_extension("opt.wasm");
    let mut cmd = Command::new(bin);
    cmd.arg(wasm).arg("-o").arg(&tmp).args(["-O", "--debuginfo"]);
    cmd.args(FEATURES.iter().map(|f| format!("--enable-{f}")));
    say(format!("wasm-opt -O: {}", bin.display()));
    run(&mut cmd)?;
    std::fs::rename(&tmp, wasm)?;
    Ok(())
}
