//! The user's crate as `cargo metadata` resolves it: its package, lib target, target dir,
//! the `wasm-bindgen` version in its Cargo.lock, the oldest rustc its dependencies accept,
//! and its `[package.metadata.call-core]`. `cargo metadata` works for a crate in any
//! workspace (its own, a larger one, none) and writes Cargo.lock when there is none yet.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bail;
use crate::error::{Context, Error, Result};
use crate::process::cargo;
use crate::rust_version::{self, Requirement};

/// What the build needs to know about the crate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Project {
    /// The package name.
    pub name: String,
    /// Its Cargo.toml.
    pub manifest: PathBuf,
    /// The directory of its Cargo.toml (where wrangler.toml is).
    pub dir: PathBuf,
    /// The lib target's name, as the `.wasm` file is named (`-` becomes `_`).
    pub lib_name: String,
    /// The root of its workspace (where Cargo.lock is).
    pub workspace_root: PathBuf,
    /// cargo's target directory for this crate (`CARGO_TARGET_DIR` and `.cargo/config.toml`
    /// taken into account).
    pub target_dir: PathBuf,
    /// `wasm-bindgen`'s version in the crate's Cargo.lock: the CLI must be exactly it.
    pub wasm_bindgen: String,
    /// The oldest rustc that builds the crate's locked dependencies.
    pub rustc: Requirement,
    /// JavaScript modules (relative to `dir`) from `[package.metadata.call-core] js-modules`.
    pub js_modules: Vec<PathBuf>,
    /// `wasm-opt = false` in `[package.metadata.wasm-pack.profile.release]`, as worker-build
    /// reads it.
    pub wasm_opt_disabled: bool,
}

impl Project {
    /// Reads the crate whose manifest is `manifest`.
    pub fn read(manifest: &Path) -> Result<Project> {
        let manifest = manifest.canonicalize().context(|| format!("no Cargo.toml at {}", manifest.display()))?;
        let dir = manifest.parent().ok_or_else(|| Error(format!("{} has no parent", manifest.display())))?;
        // Run from the crate's directory: cargo finds `.cargo/config.toml` from there.
        let out = cargo()
            .current_dir(dir)
            .args(["metadata", "--format-version", "1", "--filter-platform", "wasm32-unknown-unknown"])
            .arg("--manifest-path")
            .arg(&manifest)
            .output()
            .context(|| "cannot run `cargo metadata`".into())?;
        if !out.status.success() {
            bail!("`cargo metadata` failed for {}:\n{}", manifest.display(), String::from_utf8_lossy(&out.stderr));
        }
        let metadata: Value =
            serde_json::from_slice(&out.stdout).context(|| "`cargo metadata` printed no JSON".into())?;
        Project::from_metadata(&metadata, &manifest)
    }

    /// [`Project::read`], answered from the cache when the crate's Cargo.toml, its
    /// workspace's Cargo.toml and Cargo.lock and `CARGO_TARGET_DIR` are what they were: `cargo
    /// metadata` takes as long as a no-op `cargo build`, which a rebuild should cost alone.
    pub fn read_cached(manifest: &Path) -> Result<Project> {
        let manifest = manifest.canonicalize().context(|| format!("no Cargo.toml at {}", manifest.display()))?;
        let env: Vec<String> = ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"]
            .iter()
            .map(|k| std::env::var(k).unwrap_or_default())
            .collect();
        let key = |p: &Project| {
            let files = [p.manifest.clone(), p.workspace_root.join("Cargo.toml"), p.workspace_root.join("Cargo.lock")];
            let contents: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap_or_default()).collect();
            hash(&(&p.manifest, contents, &env))
        };
        let path = crate::cache::dir().join("projects").join(format!("{:016x}.json", hash(&manifest)));
        let cached: Option<(u64, Project)> =
            std::fs::read(&path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
        if let Some((k, project)) = cached {
            if project.manifest == manifest && k == key(&project) {
                return Ok(project);
            }
        }
        let project = Project::read(&manifest)?;
        let json = serde_json::to_string(&(key(&project), &project)).unwrap_or_default();
        // A cache: failing to write it only costs the next build a `cargo metadata`.
        let _ = crate::process::write_if_changed(&path, &json);
        Ok(project)
    }

    /// Reads the parts of `cargo metadata`'s output that concern the package of `manifest`.
    pub fn from_metadata(metadata: &Value, manifest: &Path) -> Result<Project> {
        let packages = metadata["packages"].as_array().ok_or_else(|| Error("metadata has no packages".into()))?;
        let package = packages
            .iter()
            .find(|p| p["manifest_path"].as_str().map(Path::new) == Some(manifest))
            .ok_or_else(|| Error(format!("`cargo metadata` lists no package for {}", manifest.display())))?;
        let name = str_of(package, "name")?.to_string();
        let id = str_of(package, "id")?;
        let lib = package["targets"].as_array().into_iter().flatten().find(|t| kinds(t).any(|k| k == "cdylib"));
        let Some(lib) = lib else {
            bail!(
                "{}: the crate must be a `cdylib` to build a Worker: add `[lib] crate-type = [\"cdylib\"]`",
                manifest.display()
            );
        };
        let call_core = &package["metadata"]["call-core"];
        let js_modules = call_core["js-modules"].as_array().into_iter().flatten();
        let js_modules = js_modules.filter_map(Value::as_str).map(PathBuf::from).collect();
        let wasm_opt = &package["metadata"]["wasm-pack"]["profile"]["release"]["wasm-opt"];
        Ok(Project {
            lib_name: str_of(lib, "name")?.replace('-', "_"),
            dir: manifest.parent().unwrap_or(manifest).to_path_buf(),
            manifest: manifest.to_path_buf(),
            target_dir: PathBuf::from(str_of(metadata, "target_directory")?),
            workspace_root: PathBuf::from(str_of(metadata, "workspace_root")?),
            wasm_bindgen: locked_version(metadata, id, "wasm-bindgen")?,
            rustc: rust_version::requirement(metadata, Some(&name))?,
            js_modules,
            wasm_opt_disabled: wasm_opt == &Value::Bool(false),
            name,
        })
    }
}

fn hash<T: std::hash::Hash>(value: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

fn str_of<'a>(value: &'a Value, key: &str) -> Result<&'a str> {
    value[key].as_str().ok_or_else(|| Error(format!("`cargo metadata`: no `{key}`")))
}

fn kinds(target: &Value) -> impl Iterator<Item = &str> {
    target["crate_types"].as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// The version of `dependency` in the resolved graph reachable from package `root`.
fn locked_version(metadata: &Value, root: &str, dependency: &str) -> Result<String> {
    let nodes = metadata["resolve"]["nodes"].as_array().ok_or_else(|| Error("metadata has no resolve graph".into()))?;
    let deps = |id: &str| -> Vec<String> {
        let node = nodes.iter().find(|n| n["id"].as_str() == Some(id));
        let deps = node.and_then(|n| n["deps"].as_array()).into_iter().flatten();
        deps.filter_map(|d| d["pkg"].as_str().map(str::to_string)).collect()
    };
    let packages = metadata["packages"].as_array().into_iter().flatten();
    let by_id = |id: &str| packages.clone().find(|p| p["id"].as_str() == Some(id));
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![root.to_string()];
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(p) = by_id(&id).filter(|p| p["name"].as_str() == Some(dependency)) {
            return Ok(str_of(p, "version")?.to_string());
        }
        stack.extend(deps(&id));
    }
    bail!("the crate does not depend on `{dependency}` (is it a workers-rs crate?)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata(crate_types: &[&str]) -> Value {
        json!({
            "target_directory": "/t",
            "workspace_root": "/p",
            "workspace_members": ["app"],
            "packages": [
                { "id": "app", "name": "my-app", "version": "0.1.0", "manifest_path": "/p/Cargo.toml",
                  "rust_version": null,
                  "targets": [{ "name": "my-app", "crate_types": crate_types }],
                  "metadata": { "call-core": { "js-modules": ["js/a.mjs"] },
                                "wasm-pack": { "profile": { "release": { "wasm-opt": false } } } } },
                { "id": "worker", "name": "worker", "version": "0.8.7", "rust_version": "1.91",
                  "manifest_path": "/r/worker/Cargo.toml", "targets": [] },
                { "id": "wb", "name": "wasm-bindgen", "version": "0.2.130", "rust_version": "1.71",
                  "manifest_path": "/r/wb/Cargo.toml", "targets": [] },
            ],
            "resolve": { "nodes": [
                { "id": "app", "deps": [{ "pkg": "worker", "dep_kinds": [{ "kind": null }] }] },
                { "id": "worker", "deps": [{ "pkg": "wb", "dep_kinds": [{ "kind": null }] }] },
                { "id": "wb", "deps": [] },
            ]},
        })
    }

    #[test]
    fn reads_the_package_its_locked_wasm_bindgen_and_rustc() {
        let p = Project::from_metadata(&metadata(&["cdylib", "rlib"]), Path::new("/p/Cargo.toml")).unwrap();
        assert_eq!((p.name.as_str(), p.lib_name.as_str()), ("my-app", "my_app"));
        assert_eq!(p.wasm_bindgen, "0.2.130");
        assert_eq!(p.rustc.version.to_string(), "1.91.0");
        assert_eq!(p.rustc.because, ["worker@0.8.7"]);
        assert_eq!(p.js_modules, [PathBuf::from("js/a.mjs")]);
        assert!(p.wasm_opt_disabled);
        assert_eq!(p.target_dir, Path::new("/t"));
    }

    #[test]
    fn a_crate_that_is_not_a_cdylib_is_refused_with_the_fix() {
        let err = Project::from_metadata(&metadata(&["rlib"]), Path::new("/p/Cargo.toml")).unwrap_err();
        assert!(err.0.contains("crate-type = [\"cdylib\"]"), "{err}");
    }
}
