//! What the work tree holds, for the bench's record: the commit, and whether anything
//! that could change a measurement differs from it.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::util::{output, Context};
use crate::{bail, Result};

/// Untracked files under these directories never make the tree dirty (build output and
/// the bench's own output); tracked changes under `results/` do not either (a previous
/// run's figures change no code).
pub const IGNORED_DIRS: [&str; 2] = ["target/", "results/"];

/// The state of the work tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// `git rev-parse HEAD`: the full hash.
    pub commit: String,
    /// Changed or untracked paths that count (see [`dirty_paths`]); empty when clean.
    pub dirty: Vec<String>,
    /// When dirty: `git hash-object` of `git diff HEAD --binary` (outside `results/`) plus
    /// the path and content of every untracked file that counts.
    pub diff_hash: Option<String>,
}

impl Tree {
    /// Whether the tree differs from its commit in anything that counts.
    pub fn is_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// One line for reports: the commit, and the changes if any.
    pub fn describe(&self) -> String {
        match &self.diff_hash {
            None => format!("{} (clean work tree)", self.commit),
            Some(hash) => format!(
                "{} + UNCOMMITTED CHANGES (--allow-dirty; `git diff HEAD` hash {hash}; {} path(s): {})",
                self.commit,
                self.dirty.len(),
                self.dirty.join(", ")
            ),
        }
    }
}

/// Reads the state of the work tree at `root`. `unchanged(path, head, now)` tells whether a
/// changed tracked file differs from HEAD in nothing that counts (the generated sections of
/// README.md and docs/*.md, which the bench itself rewrites); such a file does not make the
/// tree dirty.
pub fn tree(root: &Path, unchanged: impl Fn(&str, &str, &str) -> bool) -> Result<Tree> {
    let git = |args: &[&str]| -> Result<String> {
        output(Command::new("git").current_dir(root).args(args))
            .ok_or_else(|| crate::Error(format!("`git {}` failed in {}", args.join(" "), root.display())))
    };
    let commit = git(&["rev-parse", "HEAD"])?.trim().to_string();
    let porcelain = git(&["status", "--porcelain=v1", "--untracked-files=all"])?;
    let mut dirty = dirty_paths(&porcelain);
    let untracked: Vec<String> = porcelain.lines().filter_map(|l| l.strip_prefix("?? ")).map(unquote).collect();
    dirty.retain(|path| {
        untracked.contains(path) || {
            let head = git(&["show", &format!("HEAD:{path}")]).unwrap_or_default();
            !unchanged(path, &head, &std::fs::read_to_string(root.join(path)).unwrap_or_default())
        }
    });
    if dirty.is_empty() {
        return Ok(Tree { commit, dirty, diff_hash: None });
    }
    let diff = Command::new("git")
        .current_dir(root)
        .args(["diff", "HEAD", "--binary", "--", ".", ":(exclude)results"])
        .output()
        .context(|| "git diff HEAD".into())?;
    if !diff.status.success() {
        bail!("`git diff HEAD` failed: {}", String::from_utf8_lossy(&diff.stderr));
    }
    let mut content = diff.stdout;
    for path in untracked.iter().filter(|p| dirty.contains(p)) {
        content.extend(format!("\nuntracked {path}\n").bytes());
        content.extend(std::fs::read(root.join(path)).unwrap_or_default());
    }
    let mut hasher = Command::new("git")
        .current_dir(root)
        .args(["hash-object", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context(|| "git hash-object".into())?;
    hasher.stdin.take().expect("piped").write_all(&content)?;
    let hashed = hasher.wait_with_output()?;
    let diff_hash = String::from_utf8_lossy(&hashed.stdout).trim().to_string();
    Ok(Tree { commit, dirty, diff_hash: Some(diff_hash) })
}

/// The paths of `git status --porcelain=v1` output that make the tree dirty: every
/// tracked change outside `results/`, and untracked files outside [`IGNORED_DIRS`].
pub fn dirty_paths(porcelain: &str) -> Vec<String> {
    porcelain
        .lines()
        .filter(|l| l.len() > 3)
        .filter_map(|line| {
            let path = line[3..].rsplit(" -> ").next().map(unquote).unwrap_or_default();
            let ignored = if line.starts_with("??") {
                IGNORED_DIRS.iter().any(|d| path.starts_with(d))
            } else {
                path.starts_with("results/")
            };
            (!ignored).then_some(path)
        })
        .collect()
}

/// A path as git prints it, without the quotes it adds around unusual names.
fn unquote(path: &str) -> String {
    path.strip_prefix('"').and_then(|p| p.strip_suffix('"')).unwrap_or(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_makes_the_tree_dirty() {
        let porcelain = [
            " M call-core/src/lib.rs",
            "M  README.md",
            "?? notes.txt",
            "?? target/wasm32/x.wasm",
            "?? results/profile-call-n50.cpuprofile",
            " M results/bench.md",
            "R  old.rs -> xtask/src/new.rs",
            "?? \"odd name.txt\"",
        ]
        .join("\n");
        let porcelain = porcelain.as_str();
        assert_eq!(
            dirty_paths(porcelain),
            ["call-core/src/lib.rs", "README.md", "notes.txt", "xtask/src/new.rs", "odd name.txt"]
        );
        assert!(dirty_paths("").is_empty());
    }

    #[test]
    fn descriptions() {
        let clean = Tree { commit: "a".repeat(40), dirty: vec![], diff_hash: None };
        assert!(!clean.is_dirty() && clean.describe().ends_with("(clean work tree)"));
        let dirty = Tree { commit: "a".repeat(40), dirty: vec!["x.rs".into()], diff_hash: Some("b".repeat(40)) };
        assert!(dirty.is_dirty() && dirty.describe().contains("UNCOMMITTED CHANGES"), "{}", dirty.describe());
    }

    #[test]
    fn this_repository_has_a_state() {
        let root = crate::util::workspace_root();
        let tree = tree(&root, |_, _, _| false).unwrap();
        assert_eq!(tree.commit.len(), 40, "{tree:?}");
        assert_eq!(tree.is_dirty(), tree.diff_hash.is_some());
    }
}
