//! Installs, idempotently, everything the wasm build and the local runtime need.
//!
//! What a user's machine needs as well lives in call-build's library (the compiler choice,
//! the Debian wasm32 std, wasm-bindgen-cli); this module adds what only this repository
//! does on a machine: installing or upgrading the Debian packages of the offline path with
//! apt (call-build never runs apt) and installing workerd and wrangler with `npm ci`.
//!
//! Nothing is fetched from anywhere but crates.io, npm and Debian's package archive.

use std::path::{Path, PathBuf};
use std::process::Command;

use call_build::project::Project;
use call_build::rust_version::{Requirement, Rustc};
use call_build::toolchain::{self, WasmCompiler, DEBIAN_PACKAGES};

use crate::build::DEFAULT_CRATE;
use crate::util::{on_path, output, run, say, workspace_root};
use crate::{bail, Result};

/// Everything a wasm build and a local run need, located.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The wasm32 compiler.
    pub compiler: WasmCompiler,
    /// The `wasm-bindgen` binary matching Cargo.lock.
    pub wasm_bindgen: PathBuf,
    /// The workspace's `node_modules`.
    pub node_modules: PathBuf,
}

impl Toolchain {
    /// Whether callee panics unwind (and are caught) rather than abort the instance.
    pub fn panic_unwind(&self) -> bool {
        self.compiler.panic_unwind()
    }

    /// Path of an npm-installed binary, e.g. `workerd`.
    pub fn npm_bin(&self, name: &str) -> PathBuf {
        self.node_modules.join(".bin").join(name)
    }
}

fn call_build<T>(result: call_build::Result<T>) -> Result<T> {
    result.map_err(|e| crate::Error(e.0))
}

/// The example, which depends on everything a user's Worker does: its needs are the
/// toolchain's.
fn example() -> Result<Project> {
    call_build(Project::read(&workspace_root().join(DEFAULT_CRATE).join("Cargo.toml")))
}

/// Makes sure everything is installed and returns where it is. Safe to run again: a second
/// run only checks and takes seconds.
pub fn ensure() -> Result<Toolchain> {
    let root = workspace_root();
    let example = example()?;
    if !toolchain::rustup_has_wasm32(&example.dir) {
        if !Path::new("/etc/debian_version").exists() {
            bail!(
                "no wasm32-unknown-unknown target is installed for rustc. Install it with \
                 `rustup target add wasm32-unknown-unknown` (the offline fallback only exists on Debian)"
            );
        }
        ensure_debian_packages(&example.rustc)?;
    }
    let (compiler, std_built) = call_build(toolchain::ensure(&example.dir, &example.rustc))?;
    if std_built {
        // cargo does not notice a new std: drop wasm artifacts built against an old one.
        for stale in ["target/wasm32", "target/wasm32-profiling"] {
            let _ = std::fs::remove_dir_all(root.join(stale));
        }
    }
    let wasm_bindgen = call_build(call_build::wasm_bindgen::ensure(&example.wasm_bindgen))?;
    let node_modules = ensure_npm(&root)?;
    Ok(Toolchain { compiler, wasm_bindgen, node_modules })
}

/// Locates what [`ensure`] would install, without installing; fails with the command to run.
pub fn locate() -> Result<Toolchain> {
    let root = workspace_root();
    let example = example()?;
    let hint = "run `cargo xtask setup` (it installs the wasm toolchain, wasm-bindgen and workerd)";
    let compiler = if toolchain::rustup_has_wasm32(&example.dir) {
        WasmCompiler::Rustup
    } else {
        let debian = toolchain::debian_rustc();
        let rustc = debian.as_ref().map(call_build::sysroot::wrapper).unwrap_or_default();
        if !rustc.is_file() {
            bail!("no wasm32 compiler found: {hint}");
        }
        WasmCompiler::Debian { rustc }
    };
    let wasm_bindgen = call_build::wasm_bindgen::cached(&example.wasm_bindgen);
    if std::env::var_os("WASM_BINDGEN_BIN").is_none() && !wasm_bindgen.is_file() {
        bail!("wasm-bindgen-cli is not installed: {hint}");
    }
    let node_modules = root.join("node_modules");
    if !node_modules.join(".bin").join("workerd").exists() {
        bail!("workerd is not installed: {hint}");
    }
    Ok(Toolchain { compiler, wasm_bindgen, node_modules })
}

fn dpkg_installed(package: &str) -> bool {
    output(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|s| s.trim() == "install ok installed")
}

/// Installs or upgrades Debian's rustc-web (with cargo-web, rust-web-src and the lld of its
/// LLVM) until it is at least `need`. Package lists can be months old on a new machine, and
/// an old list offers a rustc that is too old, so whenever something is missing or old the
/// lists are updated first.
fn ensure_debian_packages(need: &Requirement) -> Result<()> {
    let current = |rustc: Option<Rustc>| rustc.filter(|r| r.release >= need.version);
    let lld_ok = |rustc: &Rustc| rustc.llvm_major.is_some_and(|m| dpkg_installed(&format!("lld-{m}")));
    let packages_ok = || DEBIAN_PACKAGES.iter().all(|p| dpkg_installed(p));
    if let Some(rustc) = current(toolchain::debian_rustc()) {
        if packages_ok() && lld_ok(&rustc) {
            say(format!("apt: rustc-web {} is installed", rustc.release));
            return Ok(());
        }
    }
    match toolchain::debian_rustc() {
        Some(old) if old.release < need.version => {
            say(format!("apt: rustc-web {} is older than {need}: upgrading", old.release))
        }
        _ => say("apt: installing the wasm toolchain"),
    }
    say("apt: `apt-get update` first (a new machine's package lists may be months old)");
    run(&mut apt(&["update"]))?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(DEBIAN_PACKAGES);
    run(&mut apt(&install))?;
    let Some(rustc) = current(toolchain::debian_rustc()) else {
        let found = toolchain::debian_rustc().map_or("none".to_string(), |r| r.release.to_string());
        bail!(
            "after `apt-get update` and `apt-get install rustc-web`, Debian's rustc is {found}, but the \
             locked dependencies need {need}. Enable a Debian suite that has a newer rustc-web \
             (bookworm-security or bookworm-updates) and run `sudo apt-get update && sudo apt-get \
             install rustc-web cargo-web rust-web-src`, or install rustup's target: `rustup target \
             add wasm32-unknown-unknown`"
        );
    };
    say(format!("apt: rustc-web {} is installed", rustc.release));
    // The linker must match the LLVM that rustc-web was built with.
    let Some(major) = rustc.llvm_major else { bail!("`/usr/bin/rustc -vV` names no LLVM version") };
    let lld = format!("lld-{major}");
    if !dpkg_installed(&lld) {
        run(&mut apt(&["install", "-y", "--no-install-recommends", &lld]))?;
    }
    Ok(())
}

fn apt(args: &[&str]) -> Command {
    let mut cmd = if is_root() { Command::new("apt-get") } else { sudo("apt-get") };
    cmd.env("DEBIAN_FRONTEND", "noninteractive").args(args);
    cmd
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

fn sudo(program: &str) -> Command {
    let mut cmd = Command::new("sudo");
    cmd.arg(program);
    cmd
}

fn ensure_npm(root: &Path) -> Result<PathBuf> {
    let node_modules = root.join("node_modules");
    let lock = root.join("package-lock.json");
    let installed_lock = node_modules.join(".package-lock.json");
    let fresh = node_modules.join(".bin/workerd").exists()
        && node_modules.join(".bin/wrangler").exists()
        && modified(&installed_lock) >= modified(&lock);
    if fresh {
        say("npm: workerd and wrangler are installed");
        return Ok(node_modules);
    }
    if !on_path("npm") {
        bail!("npm is not installed: install Node.js 20 or newer (Debian: `apt-get install nodejs npm`)");
    }
    say("npm: installing workerd and wrangler from package-lock.json");
    run(Command::new("npm").current_dir(root).args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]))?;
    Ok(node_modules)
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use call_build::rust_version::{requirement, Version};

    use crate::util::workspace_root;

    /// The workspace's declared `rust-version` (from the top-level Cargo.toml).
    fn declared() -> Version {
        let text = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        let manifest: toml::Value = toml::from_str(&text).unwrap();
        let declared = manifest["workspace"]["package"]["rust-version"].as_str().unwrap();
        Version::parse(declared).unwrap()
    }

    /// The workspace declares exactly the rust-version its locked dependencies need, so the
    /// declaration cannot drift from Cargo.lock again.
    #[test]
    fn declared_rust_version_matches_the_lockfile() {
        let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(workspace_root())
            .args(["metadata", "--format-version", "1", "--locked"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let needed = requirement(&metadata, None).unwrap();
        assert_eq!(declared(), needed.version, "Cargo.toml's rust-version must be {needed}");
    }
}
