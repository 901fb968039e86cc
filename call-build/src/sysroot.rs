//! The wasm32 std of the Debian path, built once per rustc version from `rust-web-src` into
//! the cache (with `panic=unwind`, so that a panicking callee becomes a typed error and its
//! object keeps serving), and the `rustc` wrapper that points Debian's rustc at it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bail;
use crate::error::{Context, Error, Result};
use crate::process::{make_executable, run, say, write_if_changed};
use crate::rust_version::Rustc;
use crate::toolchain::{DEBIAN_CARGO, DEBIAN_RUSTC};

/// The lld that matches `rustc`'s LLVM (rustc calls it `rust-lld`; Debian ships none).
pub fn lld(rustc: &Rustc) -> Option<PathBuf> {
    rustc.llvm_major.map(|m| PathBuf::from(format!("/usr/lib/llvm-{m}/bin/lld")))
}

/// The `rustc` wrapper in the cache for Debian's `rustc`, named after it (a name of its own:
/// older tools wrote a wrapper without `-Cpanic=unwind` at `bin/rustc`).
pub fn wrapper(rustc: &Rustc) -> PathBuf {
    crate::cache::dir().join("bin").join(format!("wasm32-rustc-{}", version_key(&rustc.line)))
}

/// The release in `rustc -V`, as a file name.
fn version_key(version: &str) -> String {
    let release = version.split_whitespace().nth(1).unwrap_or("unknown");
    release.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' }).collect()
}

/// Makes sure the sysroot and the wrapper for Debian's `debian` exist; returns the wrapper
/// and whether the std was built now.
pub fn ensure(debian: &Rustc) -> Result<(PathBuf, bool)> {
    let (sysroot, built) = ensure_sysroot(debian)?;
    let rustc = wrapper(debian);
    // `-Cpanic=unwind` only for wasm32 code: the std was built with it, and adding it here
    // rather than in RUSTFLAGS leaves the user's own rustflags (`.cargo/config.toml`) alone.
    let wrapper = format!(
        "#!/bin/sh\n# rustc for wasm32 builds (written by call-build): Debian's rustc-web with the wasm32 std\n\
         # built from rust-web-src (panic=unwind). Host code (build scripts, proc macros) builds as usual.\n\
         case \" $* \" in\n\
         \x20 *\" --target wasm32-unknown-unknown \"*|*\" --target=wasm32-unknown-unknown \"*)\n\
         \x20   exec {DEBIAN_RUSTC} --sysroot '{sysroot}' \"$@\" -Cpanic=unwind ;;\n\
         esac\n\
         exec {DEBIAN_RUSTC} --sysroot '{sysroot}' \"$@\"\n",
        sysroot = sysroot.display()
    );
    write_if_changed(&rustc, &wrapper)?;
    make_executable(&rustc)?;
    Ok((rustc, built))
}

fn ensure_sysroot(debian: &Rustc) -> Result<(PathBuf, bool)> {
    let version = debian.line.clone();
    let cache = crate::cache::dir();
    let sysroot = cache.join(format!("sysroot-{}", version_key(&version)));
    let stamp = sysroot.join(".complete");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(version.as_str()) {
        say(format!("wasm32: std for {version} is cached in {}", sysroot.display()));
        return Ok((sysroot, false));
    }
    say(format!("wasm32: building std for {version} from /usr/lib/rustlib/src (about a minute, once)"));
    let work = cache.join("sysroot-build");
    std::fs::create_dir_all(&work)?;
    std::fs::write(
        work.join("Cargo.toml"),
        "[package]\nname = \"wasm32-sysroot\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         [lib]\npath = \"lib.rs\"\n[profile.release]\npanic = \"unwind\"\n[workspace]\n",
    )?;
    std::fs::write(work.join("lib.rs"), "#![no_std]\n")?;
    // `-Cembed-bitcode=yes` so that crates with `lto = true` link against it.
    run(Command::new(DEBIAN_CARGO)
        .current_dir(&work)
        .env("RUSTC", DEBIAN_RUSTC)
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
    let lld = lld(debian).ok_or_else(|| Error("rustc names no LLVM version".into()))?;
    if !lld.exists() {
        bail!("{} is missing: install the lld of rustc's LLVM", lld.display());
    }
    symlink(&lld, &host.join("bin/rust-lld"))?;
    std::fs::write(&stamp, &version)?;
    std::fs::remove_dir_all(&work).ok();
    Ok((sysroot, true))
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> Result<()> {
    if std::fs::symlink_metadata(link).is_ok() {
        std::fs::remove_file(link)?;
    }
    std::os::unix::fs::symlink(target, link)
        .context(|| format!("cannot link {} -> {}", link.display(), target.display()))
}

#[cfg(not(unix))]
fn symlink(_: &Path, _: &Path) -> Result<()> {
    bail!("the Debian toolchain path exists on Linux only: install rustup's wasm32-unknown-unknown target")
}
