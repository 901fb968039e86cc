//! `wasm-bindgen-cli` at exactly the version of the `wasm-bindgen` crate in the user's
//! Cargo.lock (any other version refuses the module): `WASM_BINDGEN_BIN` if set, else the
//! copy cached per version, else `cargo install` from crates.io into that cache, once.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bail;
use crate::error::Result;
use crate::process::{cargo, output, run, say};

/// Where the CLI of `version` is cached: `<cache>/tools/wasm-bindgen-<version>/bin/wasm-bindgen`.
pub fn cached(version: &str) -> PathBuf {
    crate::cache::dir().join("tools").join(format!("wasm-bindgen-{version}")).join("bin/wasm-bindgen")
}

/// The version `bin --version` reports, if it runs.
fn version_of(bin: &Path) -> Option<String> {
    let out = output(Command::new(bin).arg("--version"))?;
    out.trim().strip_prefix("wasm-bindgen ").map(|v| v.split_whitespace().next().unwrap_or_default().to_string())
}

/// Finds (or installs) `wasm-bindgen` `version`.
pub fn ensure(version: &str) -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("WASM_BINDGEN_BIN").map(PathBuf::from) {
        return match version_of(&bin) {
            Some(v) if v == version => Ok(bin),
            found => bail!(
                "WASM_BINDGEN_BIN={} is wasm-bindgen {}, but Cargo.lock has wasm-bindgen {version}: point it at \
                 wasm-bindgen-cli {version} (`cargo install wasm-bindgen-cli --version ={version}`) or unset it",
                bin.display(),
                found.as_deref().unwrap_or("(its --version does not answer)")
            ),
        };
    }
    let bin = cached(version);
    if version_of(&bin).as_deref() == Some(version) {
        say(format!("wasm-bindgen-cli {version} is cached in {}", bin.display()));
        return Ok(bin);
    }
    let root = bin.parent().and_then(Path::parent).expect("the cached path has two parents");
    say(format!(
        "installing wasm-bindgen-cli {version} from crates.io into {} (several minutes, once per version): \
         the CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock (set WASM_BINDGEN_BIN to use \
         your own)",
        root.display()
    ));
    // Not `--locked`: the CLI's own lockfile names a crate version crates.io no longer
    // serves (webpki-roots 1.0.11), so it is resolved afresh; the version itself is exact.
    run(cargo()
        .args(["install", "wasm-bindgen-cli", "--version", &format!("={version}"), "--root"])
        .arg(root)
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"))?;
    match version_of(&bin) {
        Some(v) if v == version => Ok(bin),
        _ => bail!("`cargo install wasm-bindgen-cli --version ={version}` left no working {}", bin.display()),
    }
}
