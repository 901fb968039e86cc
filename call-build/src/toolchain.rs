//! Which compiler builds the Worker for wasm32, checked against what the crate needs.
//!
//! The standard toolchain comes first: rustup's `wasm32-unknown-unknown` target (what users
//! have; panic=abort). Without it, on Debian, the offline path: Debian's `rustc-web`,
//! `cargo-web`, `rust-web-src` and the `lld` of rustc's LLVM, with a wasm32 std built once
//! per rustc version from that source ([`sysroot`], panic=unwind). call-build
//! never installs a package or a rustup target itself: when neither path is usable it stops
//! and names the fix for both.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bail;
use crate::error::Result;
use crate::process::{cargo, output, say};
use crate::rust_version::{Requirement, Rustc};
use crate::sysroot;

/// Debian's rustc-web.
pub const DEBIAN_RUSTC: &str = "/usr/bin/rustc";

/// Debian's cargo-web.
pub const DEBIAN_CARGO: &str = "/usr/bin/cargo";

/// Debian packages of the offline path, besides `lld-<LLVM major of rustc>`.
pub const DEBIAN_PACKAGES: [&str; 3] = ["rustc-web", "cargo-web", "rust-web-src"];

/// Where `rust-web-src` puts the std source.
const DEBIAN_STD_SRC: &str = "/usr/lib/rustlib/src/rust/library";

/// How wasm32 code is compiled on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WasmCompiler {
    /// rustup's toolchain with the `wasm32-unknown-unknown` target installed (panic=abort).
    Rustup,
    /// Debian's rustc-web with the wasm32 std call-build built (panic=unwind).
    Debian {
        /// The `rustc` wrapper that adds `--sysroot` (and `-Cpanic=unwind` for wasm32).
        rustc: PathBuf,
    },
}

impl WasmCompiler {
    /// A `cargo` command set up to build for wasm32 with this compiler.
    pub fn cargo(&self) -> Command {
        match self {
            WasmCompiler::Rustup => cargo(),
            WasmCompiler::Debian { rustc } => {
                let mut cmd = Command::new(DEBIAN_CARGO);
                // A wrapper (sccache) would call rustup's rustc, not the one given here.
                cmd.env("RUSTC", rustc).env_remove("RUSTC_WRAPPER").env_remove("RUSTC_WORKSPACE_WRAPPER");
                cmd
            }
        }
    }

    /// Whether a panic unwinds (and call-core answers it as a typed error) rather than
    /// aborting the wasm instance.
    pub fn panic_unwind(&self) -> bool {
        matches!(self, WasmCompiler::Debian { .. })
    }
}

/// Whether the `rustc` that `dir` selects (rustup honours `rust-toolchain.toml` there) has
/// the wasm32 std installed.
pub fn rustup_has_wasm32(dir: &Path) -> bool {
    let Some(sysroot) = output(Command::new("rustc").current_dir(dir).args(["--print", "sysroot"])) else {
        return false;
    };
    let lib = Path::new(sysroot.trim()).join("lib/rustlib/wasm32-unknown-unknown/lib");
    std::fs::read_dir(lib)
        .map(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libstd-")))
        .unwrap_or(false)
}

/// Debian's rustc-web, if installed. Its `-vV` is kept in the cache under the binary's
/// size and modification time (a package upgrade changes both): running it costs a no-op
/// rebuild as much as the rest of call-build's own work.
pub fn debian_rustc() -> Option<Rustc> {
    let binary = Path::new(DEBIAN_RUSTC).canonicalize().ok()?;
    let meta = std::fs::metadata(&binary).ok()?;
    let stamp = (meta.len(), meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos());
    let cached = crate::cache::dir().join("bin").join(format!("rustc-web-{}-{}.vV", stamp.0, stamp.1));
    if let Some(rustc) = std::fs::read_to_string(&cached).ok().and_then(|t| Rustc::parse_verbose_version(&t)) {
        return Some(rustc);
    }
    let text = output(Command::new(DEBIAN_RUSTC).arg("-vV"))?;
    // A cache: failing to write it only costs the next build this run.
    let _ = crate::process::write_if_changed(&cached, &text);
    Rustc::parse_verbose_version(&text)
}

/// Finds the compiler for a crate that needs `need`, building the Debian wasm32 std into the
/// cache if that path is taken and the std is not there yet. `dir` is the crate's directory.
/// Returns the compiler and whether the std was built now (artifacts built against an
/// older one must then go).
pub fn ensure(dir: &Path, need: &Requirement) -> Result<(WasmCompiler, bool)> {
    if rustup_has_wasm32(dir) {
        let found = Rustc::of(Path::new("rustc")).map(|r| r.release);
        if found.is_none_or(|v| v < need.version) {
            bail!(
                "rustup's rustc {} has the wasm32 target, but the crate's locked dependencies need {need}: run \
                 `rustup update stable`",
                found.map_or("(unknown)".to_string(), |v| v.to_string())
            );
        }
        say(format!("wasm32: rustup's wasm32-unknown-unknown target ({need} is met)"));
        return Ok((WasmCompiler::Rustup, false));
    }
    let debian = debian_ready(need)?;
    say(format!("wasm32: no rustup wasm32 target; Debian's rustc-web with a wasm32 std built here ({need})"));
    let (rustc, built) = sysroot::ensure(&debian)?;
    Ok((WasmCompiler::Debian { rustc }, built))
}

/// Checks that the Debian path is complete and recent enough, and returns its rustc; the
/// error names the fix for both paths.
pub fn debian_ready(need: &Requirement) -> Result<Rustc> {
    let fixes = |debian: &str| {
        format!(
            "Either install rustup's target: `rustup target add wasm32-unknown-unknown` (and `rustup update \
             stable` if rustup's rustc is older than {}), or, on Debian, {debian}",
            need.version
        )
    };
    let install = "`sudo apt-get update && sudo apt-get install rustc-web cargo-web rust-web-src lld-<N>` (N: the \
                   LLVM major version `/usr/bin/rustc -vV` names)";
    let Some(rustc) = debian_rustc() else {
        bail!("no wasm32 compiler: rustup has no wasm32-unknown-unknown target and Debian's rustc-web is not installed. {}", fixes(install));
    };
    if rustc.release < need.version {
        bail!(
            "no wasm32 compiler: rustup has no wasm32-unknown-unknown target and Debian's rustc-web is {}, but the \
             crate's locked dependencies need {need}. {}",
            rustc.release,
            fixes(&format!("upgrade it from bookworm-security: {install}"))
        );
    }
    let llvm = rustc.llvm_major.map_or("?".to_string(), |m| m.to_string());
    let missing: Vec<String> = [
        (Path::new(DEBIAN_CARGO).is_file(), "cargo-web".to_string()),
        (Path::new(DEBIAN_STD_SRC).is_dir(), "rust-web-src".to_string()),
        (sysroot::lld(&rustc).is_some_and(|p| p.exists()), format!("lld-{llvm}")),
    ]
    .into_iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, package)| package)
    .collect();
    if !missing.is_empty() {
        bail!(
            "no wasm32 compiler: rustup has no wasm32-unknown-unknown target, and Debian's rustc-web {} lacks {}. {}",
            rustc.release,
            missing.join(", "),
            fixes(&format!("`sudo apt-get install {}`", missing.join(" ")))
        );
    }
    Ok(rustc)
}
