//! Installs, idempotently, everything the wasm build and the local runtime need.
//!
//! * wasm32 compiler: an installed rustup `wasm32-unknown-unknown` target is used as is.
//!   Without one, on Debian, the offline fallback: Debian's `rustc-web` with `rust-web-src`
//!   and the matching `lld`, plus a wasm32 std built once from that source (with
//!   `panic=unwind`, so a panicking callee becomes a typed error and the instance lives
//!   on), reached through a `rustc --sysroot` wrapper in the cache dir.
//! * `wasm-bindgen-cli` at exactly the version in Cargo.lock, cached per version.
//! * `workerd` and `wrangler` from the committed package-lock.json (`npm ci`).
//!
//! Nothing is fetched from anywhere but crates.io, npm and Debian's package archive.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::rust_version::{self, Requirement, Rustc};
use crate::util::{cache_dir, on_path, output, run, say, workspace_root, write_if_changed, Context};
use crate::{bail, Result};

/// Debian packages of the offline fallback, besides `lld-<llvm major>`.
const DEBIAN_PACKAGES: [&str; 3] = ["rustc-web", "cargo-web", "rust-web-src"];

/// Debian's rustc-web.
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";

/// The crate whose wasm build the compiler must manage (the example, which depends on
/// everything a user's Worker does).
const EXAMPLE_PACKAGE: &str = "call-delay";

/// How wasm32 code is compiled on this machine.
#[derive(Debug, Clone)]
pub enum WasmCompiler {
    /// rustup's toolchain with the `wasm32-unknown-unknown` target installed (panic=abort).
    Rustup,
    /// Debian's rustc-web with a sysroot built here (panic=unwind).
    Debian {
        /// The `rustc` wrapper that adds `--sysroot`.
        rustc: PathBuf,
    },
}

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
    /// A `cargo` command set up to build for wasm32 with this toolchain.
    pub fn wasm_cargo(&self) -> Command {
        match &self.compiler {
            WasmCompiler::Rustup => Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())),
            WasmCompiler::Debian { rustc } => {
                let mut cmd = Command::new("/usr/bin/cargo");
                cmd.env("RUSTC", rustc)
                    .env_remove("RUSTC_WRAPPER")
                    .env_remove("RUSTC_WORKSPACE_WRAPPER")
                    .env("CARGO_ENCODED_RUSTFLAGS", "-Cpanic=unwind");
                cmd
            }
        }
    }

    /// Whether callee panics unwind (and are caught) rather than abort the instance.
    pub fn panic_unwind(&self) -> bool {
        matches!(self.compiler, WasmCompiler::Debian { .. })
    }

    /// Path of an npm-installed binary, e.g. `workerd`.
    pub fn npm_bin(&self, name: &str) -> PathBuf {
        self.node_modules.join(".bin").join(name)
    }
}

/// Makes sure everything is installed and returns where it is. Safe to run again: a second
/// run only checks and takes seconds.
pub fn ensure() -> Result<Toolchain> {
    let root = workspace_root();
    let compiler = ensure_wasm_compiler()?;
    let wasm_bindgen = ensure_wasm_bindgen(&root)?;
    let node_modules = ensure_npm(&root)?;
    Ok(Toolchain { compiler, wasm_bindgen, node_modules })
}

/// Locates what [`ensure`] would install, without installing; fails with the command to run.
pub fn locate() -> Result<Toolchain> {
    let root = workspace_root();
    let hint = "run `cargo xtask setup` (it installs the wasm toolchain, wasm-bindgen and workerd)";
    let compiler = if rustup_has_wasm32() {
        WasmCompiler::Rustup
    } else {
        let rustc = cache_dir().join("bin").join("rustc");
        if !rustc.is_file() {
            bail!("no wasm32 compiler found: {hint}");
        }
        WasmCompiler::Debian { rustc }
    };
    let wasm_bindgen = wasm_bindgen_path(&wasm_bindgen_version(&root)?);
    if !wasm_bindgen.is_file() {
        bail!("wasm-bindgen-cli is not installed: {hint}");
    }
    let node_modules = root.join("node_modules");
    if !node_modules.join(".bin").join("workerd").exists() {
        bail!("workerd is not installed: {hint}");
    }
    Ok(Toolchain { compiler, wasm_bindgen, node_modules })
}

fn rustup_has_wasm32() -> bool {
    let Some(sysroot) = output(Command::new("rustc").arg("--print").arg("sysroot")) else {
        return false;
    };
    let lib = Path::new(sysroot.trim()).join("lib/rustlib/wasm32-unknown-unknown/lib");
    std::fs::read_dir(lib)
        .map(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libstd-")))
        .unwrap_or(false)
}

/// The oldest rustc that builds the example, from Cargo.lock (see [`rust_version`]).
fn needed_rustc() -> Result<Requirement> {
    let root = workspace_root();
    rust_version::requirement(&rust_version::metadata(&root)?, Some(EXAMPLE_PACKAGE))
}

fn ensure_wasm_compiler() -> Result<WasmCompiler> {
    let need = needed_rustc()?;
    if rustup_has_wasm32() {
        let found = Rustc::of(Path::new("rustc")).map(|r| r.release);
        if found.is_none_or(|v| v < need.version) {
            bail!(
                "rustup's rustc {} has the wasm32 target, but the locked dependencies need {need}: \
                 run `rustup update stable` (or remove the wasm32 target to use the Debian fallback)",
                found.map_or("(unknown)".to_string(), |v| v.to_string())
            );
        }
        say(format!("wasm32: using rustup's installed wasm32-unknown-unknown target ({need} is met)"));
        return Ok(WasmCompiler::Rustup);
    }
    if !Path::new("/etc/debian_version").exists() {
        bail!(
            "no wasm32-unknown-unknown target is installed for rustc. Install it with \
             `rustup target add wasm32-unknown-unknown` (the offline fallback only exists on Debian)"
        );
    }
    say(format!("wasm32: no rustup wasm32 target; using Debian's rustc-web with a locally built std ({need})"));
    ensure_debian_packages(&need)?;
    let sysroot = ensure_sysroot()?;
    let rustc = cache_dir().join("bin").join("rustc");
    let wrapper = format!(
        "#!/bin/sh\n# rustc for wasm32 builds: Debian's rustc-web with the sysroot that xtask built.\n\
         exec /usr/bin/rustc --sysroot '{}' \"$@\"\n",
        sysroot.display()
    );
    write_if_changed(&rustc, &wrapper)?;
    make_executable(&rustc)?;
    Ok(WasmCompiler::Debian { rustc })
}

/// Debian's rustc-web, if installed.
fn debian_rustc() -> Option<Rustc> {
    Rustc::of(Path::new(DEBIAN_RUSTC))
}

fn llvm_major() -> Result<u32> {
    debian_rustc()
        .and_then(|r| r.llvm_major)
        .ok_or_else(|| crate::Error(format!("`{DEBIAN_RUSTC} -vV` names no LLVM version")))
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
    if let Some(rustc) = current(debian_rustc()) {
        if packages_ok() && lld_ok(&rustc) {
            say(format!("apt: rustc-web {} is installed", rustc.release));
            return Ok(());
        }
    }
    match debian_rustc() {
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
    let Some(rustc) = current(debian_rustc()) else {
        let found = debian_rustc().map_or("none".to_string(), |r| r.release.to_string());
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
    let lld = format!("lld-{}", llvm_major()?);
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

/// Builds the wasm32 std from rust-web-src once per rustc version.
fn ensure_sysroot() -> Result<PathBuf> {
    let version = output(Command::new("/usr/bin/rustc").arg("-V"))
        .ok_or_else(|| crate::Error("/usr/bin/rustc -V failed".into()))?;
    let version = version.trim().to_string();
    let key: String = version
        .split_whitespace()
        .nth(1)
        .unwrap_or("unknown")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
        .collect();
    let sysroot = cache_dir().join(format!("sysroot-{key}"));
    let stamp = sysroot.join(".complete");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(version.as_str()) {
        say(format!("wasm32: std for {version} is cached in {}", sysroot.display()));
        return Ok(sysroot);
    }
    say(format!("wasm32: building std for {version} from /usr/lib/rustlib/src (about a minute)"));
    let work = cache_dir().join("sysroot-build");
    std::fs::create_dir_all(&work)?;
    std::fs::write(
        work.join("Cargo.toml"),
        "[package]\nname = \"wasm32-sysroot\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         [lib]\npath = \"lib.rs\"\n[profile.release]\npanic = \"unwind\"\n[workspace]\n",
    )?;
    std::fs::write(work.join("lib.rs"), "#![no_std]\n")?;
    run(Command::new("/usr/bin/cargo")
        .current_dir(&work)
        .env("RUSTC", "/usr/bin/rustc")
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_ENCODED_RUSTFLAGS", "-Cembed-bitcode=yes\x1f-Cpanic=unwind")
        .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
        .arg("-Zbuild-std=std,panic_unwind,panic_abort"))?;

    if sysroot.exists() {
        std::fs::remove_dir_all(&sysroot)?;
    }
    let rustlib = sysroot.join("lib/rustlib");
    let target_lib = rustlib.join("wasm32-unknown-unknown/lib");
    std::fs::create_dir_all(&target_lib)?;
    let deps = work.join("target/wasm32-unknown-unknown/release/deps");
    for entry in std::fs::read_dir(&deps)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rlib") {
            std::fs::copy(&path, target_lib.join(path.file_name().unwrap_or_default()))?;
        }
    }
    // Host libraries, std sources and the lld that rustc calls `rust-lld`.
    let host = rustlib.join("x86_64-unknown-linux-gnu");
    std::fs::create_dir_all(host.join("bin"))?;
    symlink(Path::new("/usr/lib/rustlib/x86_64-unknown-linux-gnu/lib"), &host.join("lib"))?;
    symlink(Path::new("/usr/lib/rustlib/src"), &rustlib.join("src"))?;
    symlink(Path::new("/usr/lib/rustlib/etc"), &rustlib.join("etc"))?;
    let lld = PathBuf::from(format!("/usr/lib/llvm-{}/bin/lld", llvm_major()?));
    if !lld.exists() {
        bail!("{} is missing; is lld-{} installed?", lld.display(), llvm_major()?);
    }
    symlink(&lld, &host.join("bin/rust-lld"))?;
    std::fs::write(&stamp, &version)?;
    // Cargo does not notice a new sysroot: drop wasm artifacts built against an old one.
    let stale = workspace_root().join("target/wasm32");
    if stale.exists() {
        std::fs::remove_dir_all(&stale)?;
    }
    std::fs::remove_dir_all(&work).ok();
    Ok(sysroot)
}

fn symlink(target: &Path, link: &Path) -> Result<()> {
    if std::fs::symlink_metadata(link).is_ok() {
        std::fs::remove_file(link)?;
    }
    std::os::unix::fs::symlink(target, link)
        .context(|| format!("cannot link {} -> {}", link.display(), target.display()))
}

fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// The `wasm-bindgen` version in Cargo.lock: the CLI must match it exactly.
pub fn wasm_bindgen_version(root: &Path) -> Result<String> {
    #[derive(serde::Deserialize)]
    struct Lock {
        package: Vec<Package>,
    }
    #[derive(serde::Deserialize)]
    struct Package {
        name: String,
        version: String,
    }
    let text = std::fs::read_to_string(root.join("Cargo.lock")).context(|| "cannot read Cargo.lock".into())?;
    let lock: Lock = toml::from_str(&text).context(|| "cannot parse Cargo.lock".into())?;
    lock.package
        .into_iter()
        .find(|p| p.name == "wasm-bindgen")
        .map(|p| p.version)
        .ok_or_else(|| crate::Error("Cargo.lock has no wasm-bindgen package".into()))
}

fn wasm_bindgen_path(version: &str) -> PathBuf {
    cache_dir().join("tools").join(format!("wasm-bindgen-{version}")).join("bin/wasm-bindgen")
}

fn ensure_wasm_bindgen(root: &Path) -> Result<PathBuf> {
    let version = wasm_bindgen_version(root)?;
    let bin = wasm_bindgen_path(&version);
    let installed = output(Command::new(&bin).arg("--version"));
    if installed.as_deref().map(str::trim) == Some(&format!("wasm-bindgen {version}")) {
        say(format!("wasm-bindgen-cli {version} is cached in {}", bin.display()));
        return Ok(bin);
    }
    say(format!("installing wasm-bindgen-cli {version} from crates.io (several minutes, once)"));
    let tool_root = bin.parent().and_then(Path::parent).expect("bin has two parents");
    // `--locked` fails here (a locked dependency is missing from the index), so resolve
    // afresh; the version itself is pinned exactly.
    run(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["install", "wasm-bindgen-cli", "--version", &format!("={version}"), "--root"])
        .arg(tool_root)
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"))?;
    Ok(bin)
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
