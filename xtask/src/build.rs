//! `cargo xtask build [crate]`: call-build's pipeline (the same one a user's wrangler.toml
//! runs as `call-build --release`), plus the workerd config that the tests, the demo and
//! the bench serve the Worker with.
//!
//! The crates of this workspace build into `target/wasm32`, apart from the native builds
//! of `target/`; a crate elsewhere builds where cargo puts it.

use std::path::{Path, PathBuf};

use call_build::wrangler::Wrangler;
use call_build::{Options, Profile};

use crate::setup::Toolchain;
use crate::util::{cargo, run, say, workspace_root, write_if_changed};
use crate::workerd;
use crate::{bail, Result};

/// The example crate built by default.
pub const DEFAULT_CRATE: &str = "examples/call-delay";

/// The usage of `cargo xtask build`.
pub const HELP: &str = "\
cargo xtask build [CRATE]

Builds a Worker crate with call-build (the pipeline of `call-build --release`) into
<CRATE>/build/worker, and writes <CRATE>/build/workerd.capnp for `workerd serve`.
CRATE is a directory with a Cargo.toml and a wrangler.toml, inside this workspace or
anywhere else (default: examples/call-delay); a bare name is looked up under examples/.
It runs `cargo xtask setup` first.
";

/// The outcome of a build.
#[derive(Debug, Clone)]
pub struct Built {
    /// The Worker's directory (call-build's output: `shim.mjs`, `index_bg.wasm`, …).
    pub dir: PathBuf,
    /// The generated workerd config, beside `dir`.
    pub workerd_config: PathBuf,
    /// The crate's wrangler.toml, parsed.
    pub wrangler: Wrangler,
    /// Size of the wasm module in bytes.
    pub wasm_bytes: u64,
}

/// Resolves a crate argument (a path, or a package directory under `examples/`).
pub fn crate_dir(arg: Option<&str>) -> Result<PathBuf> {
    let root = workspace_root();
    let arg = arg.unwrap_or(DEFAULT_CRATE);
    for candidate in [PathBuf::from(arg), root.join(arg), root.join("examples").join(arg)] {
        if candidate.join("Cargo.toml").is_file() && candidate.join("wrangler.toml").is_file() {
            return Ok(candidate.canonicalize()?);
        }
    }
    bail!("no crate with a Cargo.toml and a wrangler.toml at `{arg}`\n\n{HELP}")
}

/// Which build: the normal one, or the profiling one with its own directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Variant {
    /// The release build into `<crate>/build/worker`, cargo's target dir `target/wasm32`:
    /// what the demo, the tests, the bench and wrangler run.
    #[default]
    Release,
    /// The same release profile (LTO, opt-level 3), built for `cargo xtask profile`, with the
    /// wasm `name` section guaranteed (`CARGO_PROFILE_RELEASE_STRIP=none`: rustc passes
    /// `--strip-all` to wasm-ld for `strip = "symbols"`, which drops it; and no wasm-opt),
    /// into `target/profiling/<crate>`, cargo's target dir `target/wasm32-profiling`, so that
    /// the normal build's artifacts and incremental state stay untouched.
    Profiling,
    /// The release build with one cargo feature of the crate on, into
    /// `target/variants/<crate>-<feature>` (sharing `target/wasm32`): another "deploy" of
    /// the same Worker, for tests that restart workerd on a new build.
    Feature(&'static str),
}

/// Builds the crate at `crate_dir` (release profile) into `<crate>/build/worker`.
pub fn build(tc: &Toolchain, crate_dir: &Path) -> Result<Built> {
    build_variant(tc, crate_dir, Variant::Release)
}

/// Builds the crate at `crate_dir` as `variant`.
pub fn build_variant(_tc: &Toolchain, crate_dir: &Path, variant: Variant) -> Result<Built> {
    let root = workspace_root();
    let ours = crate_dir.starts_with(&root);
    let name = crate_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut options = Options {
        manifest_path: Some(crate_dir.join("Cargo.toml")),
        profile: Profile::Release,
        target_dir: ours.then(|| root.join("target/wasm32")),
        ..Options::default()
    };
    match variant {
        Variant::Release => {}
        Variant::Profiling => {
            options.out_dir = Some(root.join("target/profiling").join(&name).join("worker"));
            options.target_dir = Some(root.join("target/wasm32-profiling"));
            options.cargo_env.push(("CARGO_PROFILE_RELEASE_STRIP".into(), "none".into()));
            options.skip_main_check = true;
            options.no_wasm_opt = true;
        }
        Variant::Feature(feature) => {
            options.out_dir = Some(root.join("target/variants").join(format!("{name}-{feature}")).join("worker"));
            options.features.push(feature.to_string());
            options.skip_main_check = true;
        }
    }
    if variant != Variant::Release {
        say(format!("building {name} ({variant:?})"));
    }
    let built = call_build::build(&options)?;
    // `workerd serve` reads the config and the modules it embeds relative to the config.
    let parent = built.out_dir.parent().unwrap_or(&built.out_dir);
    let dir_name = built.out_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let workerd_config = parent.join("workerd.capnp");
    write_if_changed(&workerd_config, &workerd::config(&built.wrangler, &built.modules, &dir_name))?;
    Ok(Built { dir: built.out_dir, workerd_config, wrangler: built.wrangler, wasm_bytes: built.wasm_bytes })
}

/// Installs call-build from this checkout as a user does (`cargo install --path
/// call-build`), into `install_root`, building in `target/call-build-install` (kept, so a
/// reinstall is incremental); returns the directory of the `call-build` binary.
pub fn install_call_build(install_root: &Path) -> Result<PathBuf> {
    let root = workspace_root();
    run(cargo()
        .current_dir(&root)
        .args(["install", "--quiet", "--locked", "--path", "call-build", "--root"])
        .arg(install_root)
        .arg("--target-dir")
        .arg(root.join("target/call-build-install")))?;
    Ok(install_root.join("bin"))
}
