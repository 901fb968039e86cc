//! The parts of a Worker crate's configuration that the build and the local runner use:
//! `wrangler.toml` (Durable Object bindings, compatibility settings) and the crate's
//! `[package.metadata.call-core]` (extra JavaScript modules).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::util::Context;
use crate::{bail, Result};

/// One `[[durable_objects.bindings]]` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct DoBinding {
    /// The binding's name in `env`.
    pub name: String,
    /// The class that implements the Durable Object.
    pub class_name: String,
}

/// What the build needs from `wrangler.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct Wrangler {
    /// The Worker's name.
    pub name: String,
    /// The entry module wrangler bundles; must be the generated `build/entry.mjs`.
    pub main: String,
    /// `compatibility_date`.
    pub compatibility_date: String,
    /// `compatibility_flags`.
    #[serde(default)]
    pub compatibility_flags: Vec<String>,
    /// Durable Object bindings.
    #[serde(default)]
    pub durable_objects: DurableObjects,
    /// Migrations; classes in `new_sqlite_classes` get SQLite-backed storage.
    #[serde(default)]
    pub migrations: Vec<Migration>,
}

/// `[durable_objects]`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DurableObjects {
    /// `[[durable_objects.bindings]]`.
    #[serde(default)]
    pub bindings: Vec<DoBinding>,
}

/// One `[[migrations]]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Migration {
    /// Classes created with the SQLite storage backend.
    #[serde(default)]
    pub new_sqlite_classes: Vec<String>,
}

impl Wrangler {
    /// Reads `<crate_dir>/wrangler.toml`.
    pub fn read(crate_dir: &Path) -> Result<Wrangler> {
        let path = crate_dir.join("wrangler.toml");
        let text = std::fs::read_to_string(&path).context(|| format!("cannot read {}", path.display()))?;
        let config: Wrangler = toml::from_str(&text).context(|| format!("{}", path.display()))?;
        if config.main != "build/entry.mjs" {
            bail!(
                "{}: `main` must be \"build/entry.mjs\" (the generated entry), found {:?}",
                path.display(),
                config.main
            );
        }
        Ok(config)
    }

    /// The distinct Durable Object classes, in binding order.
    pub fn classes(&self) -> Vec<String> {
        let mut classes: Vec<String> = Vec::new();
        for b in &self.durable_objects.bindings {
            if !classes.contains(&b.class_name) {
                classes.push(b.class_name.clone());
            }
        }
        classes
    }

    /// Whether `class` uses SQLite-backed storage.
    pub fn is_sqlite(&self, class: &str) -> bool {
        self.migrations.iter().any(|m| m.new_sqlite_classes.iter().any(|c| c == class))
    }
}

/// What the build needs from the crate's Cargo.toml.
#[derive(Debug, Clone)]
pub struct CrateInfo {
    /// The package name.
    pub name: String,
    /// JavaScript modules (paths relative to the crate) bundled beside the wasm; their
    /// exported classes may implement Durable Objects listed in wrangler.toml.
    pub js_modules: Vec<PathBuf>,
}

impl CrateInfo {
    /// Reads `<crate_dir>/Cargo.toml`.
    pub fn read(crate_dir: &Path) -> Result<CrateInfo> {
        #[derive(Deserialize)]
        struct Manifest {
            package: Package,
        }
        #[derive(Deserialize)]
        struct Package {
            name: String,
            #[serde(default)]
            metadata: Metadata,
        }
        #[derive(Default, Deserialize)]
        struct Metadata {
            #[serde(default, rename = "call-core")]
            call_core: CallCoreMeta,
        }
        #[derive(Default, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        struct CallCoreMeta {
            #[serde(default)]
            js_modules: Vec<PathBuf>,
        }
        let path = crate_dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&path).context(|| format!("cannot read {}", path.display()))?;
        let manifest: Manifest = toml::from_str(&text).context(|| format!("{}", path.display()))?;
        Ok(CrateInfo { name: manifest.package.name, js_modules: manifest.package.metadata.call_core.js_modules })
    }
}
