//! Where call-build keeps what it builds once per machine (the Debian wasm32 std, the rustc
//! wrapper, wasm-bindgen-cli by version): outside every project, so that all of a user's
//! Workers share it.

use std::path::PathBuf;

/// The cache directory: `CALL_CORE_CACHE` if set, else `$XDG_CACHE_HOME/call-core`, else
/// `~/.cache/call-core`.
pub fn dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CALL_CORE_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("call-core");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/tmp"));
    home.join(".cache").join("call-core")
}
