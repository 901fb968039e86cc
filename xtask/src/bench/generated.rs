//! The generated sections of README.md and docs/*.md: every figure that comes from a run
//! recorded in `results/` lives between marker comments,
//!
//! ```text
//! <!-- generated:bench-table -->
//! …
//! <!-- /generated -->
//! ```
//!
//! and `cargo xtask readme` (and the bench, after a run into `results/`) rewrites it from
//! there ([`section`]); `--check` and a unit test fail when a section differs,
//! so a hand-edited figure cannot land. Each section has one home ([`SECTIONS`]): one
//! that is missing there, appears twice, or sits in another file is an error naming the file.

use std::path::Path;

use super::results::Results;
use super::sections::section;
use crate::util::{file_names, say, workspace_root, Context};
use crate::{bail, Result};

/// Opens a generated section; the name follows, then ` -->`.
pub const OPEN: &str = "<!-- generated:";
/// Closes a generated section.
pub const CLOSE: &str = "<!-- /generated -->";

/// Every generated section and the file (from the workspace root) it lives in.
pub const SECTIONS: [(&str, &str); 12] = [
    ("demo", "README.md"),
    ("fuzz", "docs/reliability.md"),
    ("bench-run", "docs/performance.md"),
    ("bench-table", "docs/performance.md"),
    ("bench-seed", "docs/performance.md"),
    ("bench-targets", "docs/performance.md"),
    ("bench-composite", "docs/performance.md"),
    ("bench-ablations", "docs/performance.md"),
    ("bench-per-call", "docs/performance.md"),
    ("profile-breakdown", "docs/performance.md"),
    ("bench-durable", "docs/durable.md"),
    ("bench-conversion", "docs/javascript.md"),
];

/// Whether `path` (from the workspace root) is a file that may hold generated sections:
/// README.md and docs/*.md.
pub fn is_generated_file(path: &str) -> bool {
    path == "README.md" || path.strip_prefix("docs/").is_some_and(|f| f.ends_with(".md") && !f.contains('/'))
}

/// The files that may hold generated sections, from the workspace root: README.md and
/// every docs/*.md, sorted.
pub fn files(root: &Path) -> Vec<String> {
    let mut files: Vec<String> = file_names(&root.join("docs")).iter().map(|f| format!("docs/{f}")).collect();
    files.retain(|f| is_generated_file(f));
    files.sort();
    files.insert(0, "README.md".into());
    files
}

/// `text` (the file `path`) with the body of every generated section replaced by
/// `body(name)`; fails on a marker without its end and on a section that appears twice.
fn replace(path: &str, text: &str, mut body: impl FnMut(&str) -> Result<String>) -> Result<String> {
    let (mut out, mut seen, mut copied) = (String::with_capacity(text.len()), Vec::new(), 0);
    while let Some(start) = text[copied..].find(OPEN).map(|s| s + copied) {
        let after = start + OPEN.len();
        let Some(name_len) = text[after..].find(" -->") else { bail!("{path}: unterminated `{OPEN}` marker") };
        let name = &text[after..after + name_len];
        let open_end = after + name_len + " -->".len();
        let Some(close) = text[open_end..].find(CLOSE).map(|c| c + open_end) else {
            bail!("{path}: the generated section `{name}` has no `{CLOSE}`")
        };
        if seen.contains(&name) {
            bail!("{path}: the generated section `{name}` appears twice");
        }
        seen.push(name);
        out.push_str(&text[copied..open_end]);
        out.push_str(&body(name)?);
        out.push_str(CLOSE);
        copied = close + CLOSE.len();
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

/// `text` (the file `path`) with every generated section rewritten from `results`.
pub fn render(path: &str, text: &str, results: &Results) -> Result<String> {
    let to_root = "../".repeat(path.matches('/').count());
    replace(path, text, |name| match SECTIONS.iter().find(|(n, _)| *n == name) {
        None => bail!("{path}: unknown generated section `{name}`"),
        Some((_, home)) if *home != path => bail!("{path}: the generated section `{name}` belongs in {home}"),
        Some(_) => Ok(format!("\n{}", section(name, results, &to_root).context(|| format!("{path}: `{name}`"))?)),
    })
}

/// `text` with the bodies of its generated sections removed: two versions of a file that
/// differ only in generated figures are equal after this.
pub fn strip_generated(text: &str) -> String {
    replace("", text, |_| Ok(String::new())).unwrap_or_else(|_| text.to_string())
}

/// Every file with generated sections as `results/` makes it: (path, now, rendered).
/// Fails, naming the file, when a section is missing from its home.
pub fn render_all(root: &Path) -> Result<Vec<(String, String, String)>> {
    let results = Results::read(&root.join("results"))?;
    let mut out = Vec::new();
    for path in files(root) {
        let text = std::fs::read_to_string(root.join(&path)).context(|| format!("cannot read {path}"))?;
        let rendered = render(&path, &text, &results)?;
        out.push((path, text, rendered));
    }
    homes(|path| out.iter().find(|(p, ..)| p == path).map(|(_, text, _)| text.as_str()))?;
    Ok(out)
}

/// Fails, naming the file, when a section is not in its home (`text_of(path)`: the file's
/// text, `None` when there is no such file).
fn homes<'a>(text_of: impl Fn(&str) -> Option<&'a str>) -> Result<()> {
    for (name, home) in SECTIONS {
        if !text_of(home).unwrap_or_default().contains(&format!("{OPEN}{name} -->")) {
            bail!("{home} lacks the generated section `{name}` ({OPEN}{name} --> … {CLOSE})");
        }
    }
    Ok(())
}

/// Rewrites the generated sections of every file from `results/` and says which files
/// changed, with `same` (nothing changed) or `rewritten` (before the files' names).
pub fn update(root: &Path, same: &str, rewritten: &str) -> Result<()> {
    let mut changed = Vec::new();
    for (path, text, rendered) in render_all(root)? {
        if rendered != text {
            std::fs::write(root.join(&path), &rendered).context(|| format!("cannot write {path}"))?;
            changed.push(path);
        }
    }
    say(if changed.is_empty() { same.to_string() } else { format!("{rewritten} {}", changed.join(", ")) });
    Ok(())
}

/// `cargo xtask readme [--check]`.
pub fn command(args: &[String]) -> Result<()> {
    let root = workspace_root();
    match args.first().map(String::as_str) {
        None => {
            update(&root, "generated sections already match results/", "generated sections rewritten from results/ in")
        }
        Some("--check") => {
            let differ: Vec<String> =
                render_all(&root)?.into_iter().filter(|(_, text, new)| text != new).map(|(p, ..)| p).collect();
            if !differ.is_empty() {
                bail!("the generated sections of {} differ from results/: run `cargo xtask readme`", differ.join(", "));
            }
            Ok(())
        }
        Some(other) => bail!("unknown readme option `{other}` (cargo xtask readme [--check])"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results() -> Results {
        Results { demo: Some("- commit: abc\n\n| mode | x |\n".into()), ..Results::default() }
    }

    #[test]
    fn sections_are_rewritten_in_their_home_only() {
        let r = results();
        let readme = "intro\n<!-- generated:demo -->\nold\n<!-- /generated -->\noutro\n";
        let new = render("README.md", readme, &r).unwrap();
        assert!(new.starts_with("intro\n<!-- generated:demo -->\nIts output ([results/demo.md](results/demo.md)"));
        assert!(new.ends_with("| mode | x |\n<!-- /generated -->\noutro\n"), "{new}");
        assert_eq!(render("README.md", &new, &r).unwrap(), new, "idempotent");
        assert_eq!(strip_generated(&new), strip_generated(readme));
        assert_ne!(strip_generated(&new), strip_generated(&new.replace("intro", "intro!")));
        let err = |path: &str, text: &str| render(path, text, &r).unwrap_err().0;
        assert!(err("README.md", "<!-- generated:demo -->\nno end\n").starts_with("README.md: "));
        assert_eq!(
            err("docs/x.md", "<!-- generated:nope -->\n<!-- /generated -->"),
            "docs/x.md: unknown generated section `nope`"
        );
        let twice = format!("{readme}{readme}");
        assert_eq!(err("README.md", &twice), "README.md: the generated section `demo` appears twice");
        assert_eq!(
            err("docs/durable.md", readme),
            "docs/durable.md: the generated section `demo` belongs in README.md"
        );
        assert!(is_generated_file("docs/performance.md") && !is_generated_file("docs/a/b.md"));
        // Every home holding every section's markers passes; one file missing fails.
        let all: String = SECTIONS.iter().map(|(name, _)| format!("{OPEN}{name} -->\n{CLOSE}\n")).collect();
        assert!(homes(|_| Some(&all)).is_ok());
        let missing = homes(|path| Some(all.as_str()).filter(|_| path != "docs/durable.md")).unwrap_err().0;
        assert!(missing.starts_with("docs/durable.md lacks the generated section `bench-durable`"), "{missing}");
    }

    /// README.md's and docs/*.md's generated sections are what `results/` produces:
    /// figures come from a recorded run, never from a hand edit (`cargo xtask readme`
    /// rewrites them), and every section is in its home.
    #[test]
    fn the_docs_match_results() {
        for (path, text, rendered) in render_all(&workspace_root()).unwrap() {
            if let Some((now, new)) = text.lines().zip(rendered.lines()).find(|(a, b)| a != b) {
                panic!("{path}'s generated sections differ from results/ (run `cargo xtask readme`):\n{now}\n{new}");
            }
            assert_eq!(text, rendered, "{path}");
        }
    }
}
