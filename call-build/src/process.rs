//! Child processes and progress lines: every tool call-build runs goes through here, so a
//! failure always names the command line that failed.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Context, Result};

/// Prints a progress line (on stderr: wrangler shows a `[build]` command's output as is).
pub fn say(msg: impl AsRef<str>) {
    eprintln!("call-build: {}", msg.as_ref());
}

/// Runs `cmd`, inheriting stdout/stderr; fails with the command line if it does not succeed.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().context(|| format!("cannot start `{}`", show(cmd)))?;
    if !status.success() {
        crate::bail!("`{}` failed ({status})", show(cmd));
    }
    Ok(())
}

/// Runs `cmd` and returns its stdout, or `None` if it cannot start or fails.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The command line of `cmd`, for messages.
pub fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// The `cargo` that invoked us (`CARGO`), or the one on PATH.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The first executable named `program` on PATH.
pub fn on_path(program: &str) -> Option<std::path::PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// Writes `contents` to `path` only when it differs, so that timestamps (and wrangler's
/// watcher) stay quiet when nothing changed.
pub fn write_if_changed(path: &Path, contents: &str) -> Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(contents) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents).context(|| format!("cannot write {}", path.display()))
}

/// Marks `path` executable (the rustc wrapper).
#[cfg(unix)]
pub fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .context(|| format!("cannot make {} executable", path.display()))
}

/// Marks `path` executable (nothing to do off Unix).
#[cfg(not(unix))]
pub fn make_executable(_: &Path) -> Result<()> {
    Ok(())
}
