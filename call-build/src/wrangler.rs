//! The parts of a Worker's `wrangler.toml` that the build (and a local workerd runner) use:
//! `main`, which must be the shim call-build writes, the Durable Object bindings whose
//! classes the shim wraps, the SQLite migrations, and the compatibility settings.

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::bail;
use crate::error::{Context, Result};

/// One `[[durable_objects.bindings]]` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct DoBinding {
    /// The binding's name in `env`.
    pub name: String,
    /// The class that implements the Durable Object.
    pub class_name: String,
    /// Set when the class lives in another Worker: then this one does not define it.
    #[serde(default)]
    pub script_name: Option<String>,
}

/// What the build needs from `wrangler.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct Wrangler {
    /// The Worker's name.
    pub name: String,
    /// The entry module wrangler bundles; must be the shim call-build writes.
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
        if !path.is_file() {
            if let Some(other) = ["wrangler.jsonc", "wrangler.json"].iter().find(|n| crate_dir.join(n).is_file()) {
                bail!(
                    "{} has {other} but no wrangler.toml: call-build reads the Durable Object bindings from \
                     wrangler.toml only; write the configuration as wrangler.toml",
                    crate_dir.display()
                );
            }
        }
        let text = std::fs::read_to_string(&path).context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).context(|| format!("{}", path.display()))
    }

    /// Fails unless `main` names `shim` (the file call-build writes), so that wrangler
    /// bundles the entry whose classes `extends DurableObject`; the message names the fix.
    pub fn check_main(&self, crate_dir: &Path, shim: &Path) -> Result<()> {
        if normalize(&crate_dir.join(&self.main)) == normalize(shim) {
            return Ok(());
        }
        let expected = shim.strip_prefix(crate_dir).unwrap_or(shim).display().to_string();
        bail!(
            "{}: `main = {:?}` is not the shim call-build writes. Set `main = \"{expected}\"` (and `[build] \
             command = \"call-build --release\"`): that entry wraps each Durable Object in a class that \
             `extends DurableObject`, without which workerd refuses native RPC to it",
            crate_dir.join("wrangler.toml").display(),
            self.main
        )
    }

    /// The distinct Durable Object classes this Worker defines, in binding order (bindings
    /// to another Worker's classes, with `script_name`, are not this Worker's).
    pub fn classes(&self) -> Vec<String> {
        let mut classes: Vec<String> = Vec::new();
        for b in self.durable_objects.bindings.iter().filter(|b| b.script_name.is_none()) {
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

/// `path` with `.` and `..` resolved lexically (the shim may not exist yet).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(main: &str, extra: &str) -> Wrangler {
        toml::from_str(&format!("name = \"w\"\nmain = \"{main}\"\ncompatibility_date = \"2025-09-01\"\n{extra}"))
            .unwrap()
    }

    #[test]
    fn main_must_be_the_shim() {
        let dir = Path::new("/p/app");
        let shim = dir.join("build/worker/shim.mjs");
        assert!(config("build/worker/shim.mjs", "").check_main(dir, &shim).is_ok());
        assert!(config("./build/worker/../worker/shim.mjs", "").check_main(dir, &shim).is_ok());
        let err = config("build/entry.mjs", "").check_main(dir, &shim).unwrap_err();
        assert!(
            err.0.contains("`main = \"build/entry.mjs\"`") && err.0.contains("main = \"build/worker/shim.mjs\""),
            "{err}"
        );
    }

    #[test]
    fn classes_of_other_workers_are_not_ours() {
        let bindings = "[[durable_objects.bindings]]\nname = \"A\"\nclass_name = \"A\"\n\
            [[durable_objects.bindings]]\nname = \"A2\"\nclass_name = \"A\"\n\
            [[durable_objects.bindings]]\nname = \"B\"\nclass_name = \"B\"\nscript_name = \"other\"\n";
        assert_eq!(config("m", bindings).classes(), ["A"]);
    }
}
