//! Which rustc the build needs, and which one a compiler is.
//!
//! The oldest rustc that can build a crate is the highest `rust-version` among the packages
//! it compiles: every package in its dependency closure in Cargo.lock (build and proc-macro
//! dependencies included, since the same compiler builds them; dev-dependencies excluded).
//! `cargo metadata` gives both the resolved graph and each package's `rust-version`, so the
//! figure follows the lockfile instead of being typed by hand.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::error::{Error, Result};

/// A rustc release, `major.minor.patch` (a missing patch reads as 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl Version {
    /// Parses `1.91`, `1.91.0`, `1.96.0-beta.1` (the pre-release tag is ignored).
    pub fn parse(text: &str) -> Option<Version> {
        let core = text.trim().split(['-', '+', ' ']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u32>());
        let major = parts.next()?.ok()?;
        let minor = parts.next()?.ok()?;
        let patch = match parts.next() {
            Some(p) => p.ok()?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Version { major, minor, patch })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What `rustc -vV` says about a compiler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rustc {
    /// `release:`.
    pub release: Version,
    /// The major version of `LLVM version:` (the linker must match it).
    pub llvm_major: Option<u32>,
    /// The first line, as `rustc -V` prints it (names the build, e.g. its commit).
    pub line: String,
}

impl Rustc {
    /// Parses the output of `rustc -vV`.
    pub fn parse_verbose_version(text: &str) -> Option<Rustc> {
        let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).map(str::trim);
        let release = Version::parse(field("release:")?)?;
        let llvm_major = field("LLVM version:").and_then(|v| v.split('.').next()?.parse().ok());
        let line = text.lines().next().unwrap_or_default().trim().to_string();
        Some(Rustc { release, llvm_major, line })
    }

    /// Runs `<rustc> -vV`.
    pub fn of(rustc: &Path) -> Option<Rustc> {
        let out = crate::process::output(Command::new(rustc).arg("-vV"))?;
        Rustc::parse_verbose_version(&out)
    }
}

/// The oldest rustc that builds `package`, and the packages that need exactly it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Requirement {
    /// The highest `rust-version` in the closure.
    pub version: Version,
    /// `name@version` of the packages declaring it.
    pub because: Vec<String>,
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rustc {} (needed by {})", self.version, self.because.join(", "))
    }
}

/// The requirement of `package` (a workspace package name), or of the whole workspace when
/// `package` is `None`, computed from `cargo metadata` output.
pub fn requirement(metadata: &Value, package: Option<&str>) -> Result<Requirement> {
    let packages = metadata["packages"].as_array().ok_or_else(|| Error("metadata has no packages".into()))?;
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .ok_or_else(|| Error("metadata has no resolve graph (was it run with --no-deps?)".into()))?;
    let by_id: HashMap<&str, &Value> = packages.iter().filter_map(|p| Some((p["id"].as_str()?, p))).collect();
    let edges: HashMap<&str, Vec<&str>> = nodes
        .iter()
        .filter_map(|n| {
            let deps = n["deps"].as_array()?.iter().filter(|d| !only_dev(d)).filter_map(|d| d["pkg"].as_str());
            Some((n["id"].as_str()?, deps.collect()))
        })
        .collect();
    let members: Vec<&str> =
        metadata["workspace_members"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let members_all = members.clone();
    let roots: Vec<&str> = match package {
        Some(name) => {
            let root = members.iter().copied().find(|id| by_id.get(id).and_then(|p| p["name"].as_str()) == Some(name));
            vec![root.ok_or_else(|| Error(format!("`{name}` is not a workspace package")))?]
        }
        None => members,
    };
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack = roots;
    let mut best: Option<Requirement> = None;
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        stack.extend(edges.get(id).into_iter().flatten().copied());
        let Some(p) = by_id.get(id) else { continue };
        // Workspace members inherit the declared rust-version: they say nothing about the lock.
        if members_all.contains(&id) {
            continue;
        }
        let Some(version) = p["rust_version"].as_str().and_then(Version::parse) else { continue };
        let who = format!("{}@{}", p["name"].as_str().unwrap_or("?"), p["version"].as_str().unwrap_or("?"));
        match &mut best {
            Some(b) if b.version == version => b.because.push(who),
            Some(b) if b.version > version => {}
            _ => best = Some(Requirement { version, because: vec![who] }),
        }
    }
    let mut best = best.ok_or_else(|| Error("no package in the graph declares a rust-version".into()))?;
    best.because.sort();
    best.because.dedup();
    Ok(best)
}

/// Whether a dependency edge is only a dev-dependency (not built for the crate itself).
fn only_dev(dep: &Value) -> bool {
    let kinds = dep["dep_kinds"].as_array();
    kinds.is_some_and(|k| !k.is_empty() && k.iter().all(|k| k["kind"].as_str() == Some("dev")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_parse_and_order() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(v("1.91"), Version { major: 1, minor: 91, patch: 0 });
        assert_eq!(v("1.96.0-beta.3"), Version { major: 1, minor: 96, patch: 0 });
        assert!(v("1.85.0") < v("1.91") && v("1.91") < v("1.91.1") && v("1.100.0") > v("1.96.0"));
        assert_eq!(Version::parse("1"), None);
        assert_eq!(Version::parse("1.x"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
        assert_eq!(v("1.91").to_string(), "1.91.0");
    }

    #[test]
    fn parses_rustc_verbose_version() {
        let debian = "rustc 1.85.0 (4d91de4e4 2025-02-17) (built from a source tarball)\nbinary: rustc\n\
            commit-hash: 4d91de4e48198da2e33413efdcd9cd2cc0c46688\ncommit-date: 2025-02-17\n\
            host: x86_64-unknown-linux-gnu\nrelease: 1.85.0\nLLVM version: 19.1.7\n";
        let parsed = Rustc::parse_verbose_version(debian).unwrap();
        assert_eq!(parsed.release, Version::parse("1.85.0").unwrap());
        assert_eq!(parsed.llvm_major, Some(19));
        assert_eq!(parsed.line, "rustc 1.85.0 (4d91de4e4 2025-02-17) (built from a source tarball)");
        let nightly = "rustc 1.97.0-nightly (abc 2026-05-01)\nrelease: 1.97.0-nightly\nLLVM version: 22.1.2\n";
        assert_eq!(Rustc::parse_verbose_version(nightly).unwrap().llvm_major, Some(22));
        assert_eq!(Rustc::parse_verbose_version("rustc 1.2\n"), None);
    }

    /// A graph: app → lib (1.80) → old (1.60), app → macro (build, 1.88), app ⇢ dev-only (1.99),
    /// other member → newest (1.95).
    fn graph() -> Value {
        let pkg = |name: &str, rv: Option<&str>| json!({ "id": format!("{name}-id"), "name": name, "version": "1.0.0", "rust_version": rv });
        let dep = |name: &str, kind: Option<&str>| json!({ "pkg": format!("{name}-id"), "dep_kinds": [{ "kind": kind, "target": null }] });
        json!({
            "packages": [pkg("app", None), pkg("lib", Some("1.80")), pkg("old", Some("1.60")),
                         pkg("macro", Some("1.88")), pkg("dev-only", Some("1.99")),
                         pkg("other", None), pkg("newest", Some("1.95"))],
            "workspace_members": ["app-id", "other-id"],
            "resolve": { "nodes": [
                { "id": "app-id", "deps": [dep("lib", None), dep("macro", Some("build")), dep("dev-only", Some("dev"))] },
                { "id": "lib-id", "deps": [dep("old", None)] },
                { "id": "old-id", "deps": [] }, { "id": "macro-id", "deps": [] },
                { "id": "dev-only-id", "deps": [] },
                { "id": "other-id", "deps": [dep("newest", None)] }, { "id": "newest-id", "deps": [] },
            ]},
        })
    }

    #[test]
    fn the_requirement_is_the_highest_rust_version_in_the_closure() {
        let app = requirement(&graph(), Some("app")).unwrap();
        assert_eq!(app.version, Version::parse("1.88").unwrap(), "build deps count, dev deps do not");
        assert_eq!(app.because, ["macro@1.0.0"]);
        let all = requirement(&graph(), None).unwrap();
        assert_eq!(all.version, Version::parse("1.95").unwrap());
        assert!(requirement(&graph(), Some("nope")).is_err());
    }
}
