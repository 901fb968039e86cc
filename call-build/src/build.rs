//! The pipeline: `cargo build --lib --target wasm32-unknown-unknown` of the user's crate,
//! `wasm-bindgen` at the locked version, `wasm-opt` when one is installed (release), the
//! crate's JavaScript modules, and `shim.mjs`, all in one directory (`build/worker`) that
//! wrangler bundles from `main = "build/worker/shim.mjs"`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bail;
use crate::callable;
use crate::entry::{self, JsModule};
use crate::error::{Context, Result};
use crate::process::{run, say, write_if_changed};
use crate::project::Project;
use crate::toolchain::{self, WasmCompiler};
use crate::wrangler::Wrangler;
use crate::{wasm_bindgen, wasm_opt};

/// The output directory relative to the crate, and wrangler.toml's `main` below it.
pub const DEFAULT_OUT_DIR: &str = "build/worker";

/// The entry module's file name in the output directory.
pub const SHIM: &str = "shim.mjs";

/// The TypeScript declarations of the Rust Durable Objects' callable methods, beside it.
pub const SHIM_DTS: &str = "shim.d.ts";

/// cargo's profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// `--release` (what wrangler deploys).
    #[default]
    Release,
    /// cargo's dev profile (`--dev`).
    Dev,
}

/// What to build, and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The crate's Cargo.toml; `./Cargo.toml` when `None`.
    pub manifest_path: Option<PathBuf>,
    /// cargo's profile.
    pub profile: Profile,
    /// `--features`.
    pub features: Vec<String>,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// Where the Worker is written; `<crate>/build/worker` when `None`.
    pub out_dir: Option<PathBuf>,
    /// cargo's target directory; cargo's own choice (`CARGO_TARGET_DIR`, `.cargo/config.toml`,
    /// the workspace's `target/`) when `None`.
    pub target_dir: Option<PathBuf>,
    /// Extra environment for `cargo build` (e.g. `CARGO_PROFILE_RELEASE_STRIP=none`).
    pub cargo_env: Vec<(String, String)>,
    /// Skip the check that wrangler.toml's `main` is the shim written here: for builds that
    /// wrangler does not run (a second output directory).
    pub skip_main_check: bool,
    /// Never run wasm-opt, even when one is installed.
    pub no_wasm_opt: bool,
}

/// The outcome of a build.
#[derive(Debug, Clone)]
pub struct Built {
    /// The crate.
    pub project: Project,
    /// Its wrangler.toml.
    pub wrangler: Wrangler,
    /// The output directory.
    pub out_dir: PathBuf,
    /// Every module of the Worker, relative to `out_dir`, the shim first.
    pub modules: Vec<String>,
    /// Size of `index_bg.wasm` in bytes.
    pub wasm_bytes: u64,
    /// The compiler used.
    pub compiler: WasmCompiler,
    /// The wasm-opt that ran, if one did.
    pub wasm_opt: Option<PathBuf>,
}

impl Built {
    /// The generated entry, `<out_dir>/shim.mjs`.
    pub fn shim(&self) -> PathBuf {
        self.out_dir.join(SHIM)
    }
}

/// Builds the crate.
pub fn build(options: &Options) -> Result<Built> {
    let manifest = options.manifest_path.clone().unwrap_or_else(|| PathBuf::from("Cargo.toml"));
    let project = Project::read_cached(&manifest)?;
    let wrangler = Wrangler::read(&project.dir)?;
    let out_dir = match &options.out_dir {
        Some(dir) => std::env::current_dir()?.join(dir),
        None => project.dir.join(DEFAULT_OUT_DIR),
    };
    if !options.skip_main_check {
        wrangler.check_main(&project.dir, &out_dir.join(SHIM))?;
    }
    let (compiler, std_built) = toolchain::ensure(&project.dir, &project.rustc)?;
    let bindgen = wasm_bindgen::ensure(&project.wasm_bindgen)?;
    let target_dir = options.target_dir.clone().unwrap_or_else(|| project.target_dir.clone());
    let wasm_target = target_dir.join("wasm32-unknown-unknown");
    if std_built && wasm_target.exists() {
        // cargo does not notice a new std: artifacts built against the old one must go.
        std::fs::remove_dir_all(&wasm_target)?;
    }

    say(format!(
        "building {} for wasm32 ({})",
        project.name,
        if options.profile == Profile::Dev { "dev" } else { "release" }
    ));
    let mut cargo = compiler.cargo();
    cargo
        .current_dir(&project.dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .envs(options.cargo_env.iter().map(|(k, v)| (k, v)))
        .args(["build", "--lib", "--target", "wasm32-unknown-unknown", "--manifest-path"])
        .arg(&project.manifest)
        .args(["--package", &project.name]);
    if options.profile == Profile::Release {
        cargo.arg("--release");
    }
    if !options.features.is_empty() {
        cargo.args(["--features", &options.features.join(",")]);
    }
    if options.no_default_features {
        cargo.arg("--no-default-features");
    }
    run(&mut cargo)?;
    let profile_dir = if options.profile == Profile::Dev { "debug" } else { "release" };
    let wasm = wasm_target.join(profile_dir).join(format!("{}.wasm", project.lib_name));
    if !wasm.is_file() {
        bail!("cargo produced no {}", wasm.display());
    }

    std::fs::create_dir_all(&out_dir)?;
    // wasm-bindgen adds files but never deletes old ones; snippets change names.
    let snippets = out_dir.join("snippets");
    if snippets.exists() {
        std::fs::remove_dir_all(&snippets)?;
    }
    // The reset-state function and the abort handler: after a hard abort (a panic with
    // panic=abort, an out-of-memory trap) workers-rs starts a fresh wasm instance on the next
    // call, and the shim's wrappers rebuild their objects (worker-build's panic recovery).
    run(Command::new(&bindgen)
        .arg(&wasm)
        .args(["--target", "web", "--out-name", "index", "--out-dir"])
        .arg(&out_dir)
        .args(["--experimental-reset-state-function", "--force-enable-abort-handler"]))?;
    let wasm_out = out_dir.join("index_bg.wasm");
    let wasm_opt = optimize(options, &project, &wasm_out)?;

    let js_modules = copy_js_modules(&project, &out_dir)?;
    let dts = read(&out_dir.join("index.d.ts"))?;
    let js = read(&out_dir.join("index.js"))?;
    let exports = entry::scan_wasm_bindgen(&dts, &js);
    write_if_changed(&out_dir.join(SHIM), &entry::generate(&wrangler, &exports, &js_modules)?)?;
    let classes = wrangler.classes();
    let typed = exports.callables.iter().filter(|(c, _)| classes.contains(c)).map(|(c, m)| (c.as_str(), m.as_slice()));
    let declared = crate::types::declared(&dts);
    write_if_changed(&out_dir.join(SHIM_DTS), &callable::declarations(&typed.collect(), &declared))?;

    let modules = module_list(&out_dir)?;
    let wasm_bytes = std::fs::metadata(&wasm_out)?.len();
    say(format!("built {} ({} KiB wasm) into {}", project.name, wasm_bytes / 1024, out_dir.display()));
    Ok(Built { project, wrangler, out_dir, modules, wasm_bytes, compiler, wasm_opt })
}

/// Runs wasm-opt on a release build when one is installed and not turned off.
fn optimize(options: &Options, project: &Project, wasm: &Path) -> Result<Option<PathBuf>> {
    if options.profile == Profile::Dev || options.no_wasm_opt || project.wasm_opt_disabled {
        return Ok(None);
    }
    let Some(bin) = wasm_opt::find() else {
        say("no wasm-opt found (WASM_OPT_BIN, or wasm-opt on PATH, e.g. npm's binaryen): the module is not optimized further");
        return Ok(None);
    };
    wasm_opt::run_on(&bin, wasm)?;
    Ok(Some(bin))
}

/// Copies `[package.metadata.call-core] js-modules` into `<out>/js/`.
fn copy_js_modules(project: &Project, out_dir: &Path) -> Result<Vec<JsModule>> {
    let mut modules = Vec::new();
    for rel in &project.js_modules {
        let src = project.dir.join(rel);
        let text = std::fs::read_to_string(&src).context(|| format!("js-modules: cannot read {}", src.display()))?;
        let name = rel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        write_if_changed(&out_dir.join("js").join(&name), &text)?;
        modules.push(JsModule { import: format!("./js/{name}"), classes: entry::scan_js_classes(&text) });
    }
    Ok(modules)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).context(|| format!("cannot read {}", path.display()))
}

/// Every module of the Worker, relative to the output directory; the shim comes first.
fn module_list(out: &Path) -> Result<Vec<String>> {
    let mut modules = vec![SHIM.to_string(), "index.js".to_string(), "index_bg.wasm".to_string()];
    let mut stack = vec![out.join("snippets"), out.join("js")];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "js" || e == "mjs") {
                found.push(path.strip_prefix(out).unwrap_or(&path).to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    modules.extend(found);
    Ok(modules)
}
