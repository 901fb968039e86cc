//! `cargo xtask build [crate]`: compile a workers-rs crate to wasm32, run wasm-bindgen,
//! generate the JavaScript entry and the workerd config, all under `<crate>/build/`.
//!
//! The same `build/entry.mjs` is wrangler.toml's `main`, so `wrangler dev` and
//! `wrangler deploy` run exactly what the tests run in workerd.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::entry::{self, JsModule};
use crate::setup::Toolchain;
use crate::util::{run, say, workspace_root, write_if_changed, Context};
use crate::workerd;
use crate::wrangler::{CrateInfo, Wrangler};
use crate::{bail, Result};

/// The example crate built by default.
pub const DEFAULT_CRATE: &str = "examples/call-delay";

/// The outcome of a build.
#[derive(Debug, Clone)]
pub struct Built {
    /// `<crate>/build`.
    pub dir: PathBuf,
    /// The generated workerd config in `dir`.
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
        if candidate.join("wrangler.toml").is_file() {
            return Ok(candidate.canonicalize()?);
        }
    }
    bail!("no crate with a wrangler.toml at `{arg}`")
}

/// Which build: the normal one, or the profiling one with its own directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Variant {
    /// The release build into `<crate>/build`, cargo's target dir `target/wasm32`: what the
    /// demo, the tests, the bench and wrangler run.
    #[default]
    Release,
    /// The same release profile (LTO, opt-level 3), built for `cargo xtask profile`, with the
    /// wasm `name` section guaranteed (`CARGO_PROFILE_RELEASE_STRIP=none`: rustc passes
    /// `--strip-all` to wasm-ld for `strip = "symbols"`, which drops it), into
    /// `target/profiling/<crate>`, cargo's target dir `target/wasm32-profiling`, so that the
    /// normal build's artifacts and incremental state stay untouched.
    Profiling,
    /// The release build with one cargo feature of the crate on, into
    /// `target/variants/<crate>-<feature>` (sharing `target/wasm32`): another "deploy" of
    /// the same Worker, for tests that restart workerd on a new build.
    Feature(&'static str),
}

/// Builds the crate at `crate_dir` (release profile) into `<crate>/build`.
pub fn build(tc: &Toolchain, crate_dir: &Path) -> Result<Built> {
    build_variant(tc, crate_dir, Variant::Release)
}

/// Builds the crate at `crate_dir` as `variant`.
pub fn build_variant(tc: &Toolchain, crate_dir: &Path, variant: Variant) -> Result<Built> {
    let root = workspace_root();
    let info = CrateInfo::read(crate_dir)?;
    let wrangler = Wrangler::read(crate_dir)?;
    let (out, target_dir) = match variant {
        Variant::Release => (crate_dir.join("build"), root.join("target/wasm32")),
        Variant::Profiling => (root.join("target/profiling").join(&info.name), root.join("target/wasm32-profiling")),
        Variant::Feature(feature) => {
            (root.join("target/variants").join(format!("{}-{feature}", info.name)), root.join("target/wasm32"))
        }
    };
    std::fs::create_dir_all(&out)?;

    say(format!(
        "building {} for wasm32{}",
        info.name,
        match variant {
            Variant::Release => String::new(),
            Variant::Profiling => " (profiling)".to_string(),
            Variant::Feature(feature) => format!(" (feature {feature})"),
        }
    ));
    let mut cargo = tc.wasm_cargo();
    if variant == Variant::Profiling {
        cargo.env("CARGO_PROFILE_RELEASE_STRIP", "none");
    }
    cargo.current_dir(&root).env("CARGO_TARGET_DIR", &target_dir).args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "--package",
        &info.name,
    ]);
    if let Variant::Feature(feature) = variant {
        cargo.args(["--features", feature]);
    }
    run(&mut cargo)?;
    let wasm = target_dir.join("wasm32-unknown-unknown/release").join(format!("{}.wasm", info.name.replace('-', "_")));
    if !wasm.is_file() {
        bail!("{} was not produced; is the crate a `cdylib`?", wasm.display());
    }

    // wasm-bindgen adds files but never deletes old ones; snippets change names.
    let snippets = out.join("snippets");
    if snippets.exists() {
        std::fs::remove_dir_all(&snippets)?;
    }
    // wasm-bindgen keeps the `name` section (demangling the names in it; `--no-demangle`
    // would not) and drops DWARF unless `--keep-debug`: V8 names wasm frames from the
    // `name` section only, so the profiling build needs nothing more here.
    run(Command::new(&tc.wasm_bindgen)
        .arg(&wasm)
        .args(["--target", "web", "--out-name", "index", "--out-dir"])
        .arg(&out)
        .args(["--experimental-reset-state-function", "--force-enable-abort-handler"]))?;

    let mut js_modules = Vec::new();
    for rel in &info.js_modules {
        let src = crate_dir.join(rel);
        let text = std::fs::read_to_string(&src).context(|| format!("js module {}", src.display()))?;
        let name = rel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        write_if_changed(&out.join("js").join(&name), &text)?;
        js_modules.push(JsModule { import: format!("./js/{name}"), classes: entry::scan_js_classes(&text) });
    }

    let dts = read(&out.join("index.d.ts"))?;
    let js = read(&out.join("index.js"))?;
    let exports = entry::scan_wasm_bindgen(&dts, &js);
    write_if_changed(&out.join("entry.mjs"), &entry::generate(&wrangler, &exports, &js_modules)?)?;

    let modules = module_list(&out)?;
    let workerd_config = out.join("workerd.capnp");
    write_if_changed(&workerd_config, &workerd::config(&wrangler, &modules))?;
    let wasm_bytes = std::fs::metadata(out.join("index_bg.wasm"))?.len();
    say(format!("built {} ({} KiB wasm) in {}", info.name, wasm_bytes / 1024, out.display()));
    Ok(Built { dir: out, workerd_config, wrangler, wasm_bytes })
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).context(|| format!("cannot read {}", path.display()))
}

/// Every module of the Worker, relative to the build dir; the entry comes first.
fn module_list(out: &Path) -> Result<Vec<String>> {
    let mut modules = vec!["entry.mjs".to_string(), "index.js".to_string(), "index_bg.wasm".to_string()];
    let mut stack = vec![out.join("snippets"), out.join("js")];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "js" || e == "mjs") {
                let rel = path.strip_prefix(out).expect("under out").to_string_lossy().into_owned();
                found.push(rel);
            }
        }
    }
    found.sort();
    modules.extend(found);
    Ok(modules)
}
