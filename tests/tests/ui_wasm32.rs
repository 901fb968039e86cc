//! The ui fail cases compiled for wasm32, the target Durable Objects run on: each must
//! report exactly the errors of its reviewed host `.stderr` (the same messages at the same
//! places). `#[continuation]` generates more code there (the wasm-bindgen entry the
//! JavaScript wrapper calls), and that code must not report a failure again.
//!
//! The cases' objects are plain structs; on wasm32 the entry needs them to be wasm-bindgen
//! classes, as workers-rs's `#[durable_object]` makes them. So each case is copied with a
//! `#[wasm_bindgen]` line above the struct of every `#[continuation]` type, and the lines
//! of its errors are mapped back to the original. All cases are checked by one
//! `cargo check --target wasm32-unknown-unknown` of a generated project (under cargo's
//! test temp dir, which keeps its build between runs), with the wasm toolchain that
//! `cargo xtask setup` installs (`xtask::setup::Toolchain::wasm_cargo`).

use std::collections::BTreeMap;
use std::path::Path;

/// The line the copies get above each `#[continuation]` type's struct.
const WASM_BINDGEN: &str = "#[::wasm_bindgen::prelude::wasm_bindgen]";

/// One error: its first line (`error[E0277]: …`) and where it points (`ui/x.rs:10:32`,
/// or a file elsewhere in the workspace without line and column, as trybuild writes it).
type Diagnostic = (String, String);

#[test]
fn ui_fail_cases_report_the_same_errors_on_wasm32() {
    let toolchain = xtask::setup::locate().unwrap_or_else(|e| panic!("{e}"));
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace").to_owned();
    let project = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-wasm32");
    let cases = fail_cases(&workspace.join("tests/ui"));
    assert!(cases.len() > 50, "found only {} ui fail cases", cases.len());
    let copies = write_project(&workspace, &project, &cases);

    let output = toolchain
        .compiler
        .cargo()
        .current_dir(&project)
        .args(["check", "--target", "wasm32-unknown-unknown", "--bins", "--keep-going", "--message-format=json"])
        .arg("--target-dir")
        .arg(project.join("target"))
        .output()
        .expect("run cargo for wasm32");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut found: BTreeMap<String, Vec<Diagnostic>> = cases.iter().map(|c| (c.clone(), Vec::new())).collect();
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if message["reason"] != "compiler-message" || message["message"]["level"] != "error" {
            continue;
        }
        let case = message["target"]["name"].as_str().unwrap_or_default();
        let (Some(copy), Some(errors)) = (copies.get(case), found.get_mut(case)) else { continue };
        errors.extend(diagnostic(&message["message"], &workspace, copy));
    }

    let mut differences = Vec::new();
    for case in &cases {
        let stderr = workspace.join(format!("tests/ui/{case}.stderr"));
        let Ok(reviewed) = std::fs::read_to_string(&stderr) else {
            differences
                .push(format!("{case}: no reviewed .stderr (`TRYBUILD=overwrite cargo test -p tests --test ui`)"));
            continue;
        };
        let mut expected = expected(&reviewed);
        let mut got = found.remove(case).unwrap_or_default();
        expected.sort();
        got.sort();
        if got.is_empty() {
            differences.push(format!("{case}: compiled for wasm32 without errors (cargo: {})", tail(&output.stderr)));
        } else if got != expected {
            differences.push(format!("{case}:\n  host (.stderr): {expected:#?}\n  wasm32:         {got:#?}"));
        }
    }
    assert!(differences.is_empty(), "{} of {} cases differ on wasm32:\n{}", differences.len(), cases.len(), {
        differences.join("\n")
    });
}

/// The names of `ui/*.rs` (the pass cases are in `ui/pass/`).
fn fail_cases(dir: &Path) -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(dir)
        .expect("tests/ui")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().expect("a file name").to_string_lossy().into_owned())
        .collect();
    cases.sort();
    cases
}

/// A case's copy: the original's line (1-based) of each copy line, `None` for an added one.
struct CaseCopy {
    lines: Vec<Option<usize>>,
}

/// Writes the project: a bin per case, the workspace's Cargo.lock (the same versions as
/// the host suite). Returns the copies, by case.
fn write_project(workspace: &Path, project: &Path, cases: &[String]) -> BTreeMap<String, CaseCopy> {
    let dir = project.join("cases");
    std::fs::create_dir_all(&dir).expect("create the project");
    let mut manifest = format!(
        "[package]\nname = \"ui-wasm32\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\ncall-core = {{ path = {:?} }}\nserde = {{ version = \"1\", features = \
         [\"derive\"] }}\nserde_json = \"1\"\nworker = \"0.8\"\nwasm-bindgen = \"0.2\"\n",
        workspace.join("call-core")
    );
    let mut copies = BTreeMap::new();
    for case in cases {
        let source = std::fs::read_to_string(workspace.join(format!("tests/ui/{case}.rs"))).expect("a ui case");
        let (text, copy) = annotate(&source);
        write_if_changed(&dir.join(format!("{case}.rs")), &text);
        manifest.push_str(&format!("\n[[bin]]\nname = \"{case}\"\npath = \"cases/{case}.rs\"\n"));
        copies.insert(case.clone(), copy);
    }
    write_if_changed(&project.join("Cargo.toml"), &manifest);
    let lock = std::fs::read_to_string(workspace.join("Cargo.lock")).expect("the workspace's Cargo.lock");
    write_if_changed(&project.join("Cargo.lock"), &lock);
    std::fs::create_dir_all(project.join("src")).expect("create src/");
    write_if_changed(&project.join("src/lib.rs"), "");
    copies
}

/// Rewriting an unchanged file would make cargo check its case again.
fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

/// `source` with the wasm-bindgen line above the struct of each `#[continuation]` type
/// (a struct without generics: wasm-bindgen exports none with them, nor does workers-rs),
/// and, at the end, its `RefUnwindSafe` impl: wasm-bindgen's `&self` methods need it under
/// panic=unwind, which a workers-rs Durable Object with a `Cell` field has to write anyway.
fn annotate(source: &str) -> (String, CaseCopy) {
    let lines: Vec<&str> = source.lines().collect();
    let mut types = Vec::new();
    for pair in lines.windows(2) {
        if pair[0].trim_start().starts_with("#[continuation") {
            if let Some(name) = pair[1].strip_prefix("impl ").and_then(|rest| rest.split([' ', '{']).next()) {
                if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    types.push(name.to_owned());
                }
            }
        }
    }
    let mut text = String::new();
    let mut copy = CaseCopy { lines: Vec::new() };
    let mut unwind_safe = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let declared = ["struct ", "pub struct ", "pub(crate) struct "].iter().find_map(|p| line.strip_prefix(p));
        let exported = declared.is_some_and(|rest| {
            types
                .iter()
                .any(|t| rest.strip_prefix(t.as_str()).is_some_and(|after| after.starts_with([' ', ';', '{', '('])))
        });
        if let (true, Some(rest)) = (exported, declared) {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            unwind_safe.push(format!("impl ::std::panic::RefUnwindSafe for {name} {{}}\n"));
            text.push_str(WASM_BINDGEN);
            text.push('\n');
            copy.lines.push(None);
        }
        text.push_str(line);
        text.push('\n');
        copy.lines.push(Some(i + 1));
    }
    unwind_safe.dedup();
    text.extend(unwind_safe);
    (text, copy)
}

/// A rustc JSON diagnostic as a `Diagnostic`, read from its rendering (where rustc has
/// moved spans inside macros of other crates to their call site, as in the `.stderr`),
/// its location mapped to the original case.
fn diagnostic(message: &serde_json::Value, workspace: &Path, copy: &CaseCopy) -> Option<Diagnostic> {
    let rendered = message["rendered"].as_str()?;
    let header = rendered.lines().next()?.to_owned();
    if header.starts_with("error: aborting due to") {
        return None;
    }
    let Some(location) = rendered.lines().nth(1).and_then(|l| l.trim_start().strip_prefix("--> ")) else {
        return Some((header, String::new()));
    };
    let location = match location.strip_prefix("cases/") {
        Some(place) => {
            let mut parts = place.splitn(3, ':');
            let (name, line, column) = (parts.next()?, parts.next()?, parts.next()?);
            match copy.lines.get(line.parse::<usize>().ok()? - 1).copied().flatten() {
                Some(original) => format!("ui/{name}:{original}:{column}"),
                None => format!("ui/{name}: a line this check adds"),
            }
        }
        None => {
            let file = location.split(':').next().unwrap_or(location);
            let relative = Path::new(file).strip_prefix(workspace).map_or(file.into(), |p| p.display().to_string());
            format!("$WORKSPACE/{relative}")
        }
    };
    Some((header, location))
}

/// The errors of a reviewed `.stderr`: each `error…` line with the location on its
/// ` --> ` line.
fn expected(stderr: &str) -> Vec<Diagnostic> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with("error") || line.starts_with("error: aborting due to") {
            continue;
        }
        let location = lines
            .get(i + 1)
            .and_then(|next| next.trim_start().strip_prefix("--> "))
            .map(|l| match l.strip_prefix("$WORKSPACE/") {
                // trybuild drops the line and column of files outside the case.
                Some(_) => l.split(':').next().unwrap_or(l).to_owned(),
                None => l.to_owned(),
            })
            .unwrap_or_default();
        errors.push((line.to_string(), location));
    }
    errors
}

/// The last lines of cargo's stderr, for a failure message.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}
