//! The command line of `call-build`: worker-build's `--release`/`--dev` and cargo's crate
//! selection flags. Parsing has no side effects, so `--help`, `--version` and a bad
//! argument print and exit before anything is built or created.

use std::path::PathBuf;

use crate::build::{Options, Profile};

/// The usage text (`--help`).
pub const USAGE: &str = "\
call-build: build a workers-rs Worker whose Durable Objects answer native RPC (call-core)

Usage: call-build [--release | --dev] [OPTIONS]

Run it in the crate's directory (or give --manifest-path). It compiles the crate for
wasm32-unknown-unknown, runs wasm-bindgen at the version in Cargo.lock and writes
build/worker/shim.mjs: wrangler.toml needs `main = \"build/worker/shim.mjs\"` and
`[build] command = \"call-build --release\"`.

Options:
      --release                release profile (the default)
      --dev                    cargo's dev profile
      --features <FEATURES>    features of the crate to enable (comma separated; repeatable)
      --no-default-features    do not enable the crate's default features
      --out-dir <DIR>          where to write the Worker (default: <crate>/build/worker); wrangler.toml's
                               `main` must be <DIR>/shim.mjs
      --manifest-path <PATH>   the crate's Cargo.toml (default: ./Cargo.toml)
      --no-wasm-opt            do not run wasm-opt even when one is installed
  -h, --help                   print this help
  -V, --version                print the version

Environment:
  CARGO_TARGET_DIR             cargo's target directory
  WASM_BINDGEN_BIN             a wasm-bindgen binary to use (its version must match Cargo.lock)
  WASM_OPT_BIN                 a wasm-opt binary (else wasm-opt on PATH; release builds only)
  CALL_CORE_CACHE              the cache of built tools (default: ~/.cache/call-core)
";

/// What the command line asks for.
#[derive(Debug, Clone)]
pub enum Command {
    /// Build with these options.
    Build(Options),
    /// Print the usage.
    Help,
    /// Print the version.
    Version,
}

/// Parses the arguments (without the program name). The error is a message to print with
/// the usage.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    let mut profile_given: Option<&str> = None;
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline.clone().or_else(|| args.next()).filter(|v| !v.is_empty()).ok_or(format!("`{name}` needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--release" | "--dev" => {
                if let Some(other) = profile_given.filter(|p| *p != flag) {
                    return Err(format!("`{flag}` and `{other}` exclude each other"));
                }
                profile_given = Some(if flag == "--release" { "--release" } else { "--dev" });
                options.profile = if flag == "--dev" { Profile::Dev } else { Profile::Release };
            }
            "--features" | "-F" => {
                let list = value("--features")?;
                options.features.extend(list.split([',', ' ']).filter(|f| !f.is_empty()).map(str::to_string));
            }
            "--no-default-features" => options.no_default_features = true,
            "--out-dir" => options.out_dir = Some(PathBuf::from(value("--out-dir")?)),
            "--manifest-path" => options.manifest_path = Some(PathBuf::from(value("--manifest-path")?)),
            "--no-wasm-opt" => options.no_wasm_opt = true,
            _ => return Err(format!("unexpected argument `{arg}`")),
        }
        if inline.is_some() && !matches!(flag.as_str(), "--features" | "--out-dir" | "--manifest-path") {
            return Err(format!("`{flag}` takes no value"));
        }
    }
    Ok(Command::Build(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(|a| a.to_string()))
    }

    fn options(args: &[&str]) -> Options {
        match parse_args(args).unwrap() {
            Command::Build(o) => o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_to_a_release_build_here() {
        let o = options(&[]);
        assert_eq!(o.profile, Profile::Release);
        assert!(o.manifest_path.is_none() && o.out_dir.is_none() && o.features.is_empty());
        assert_eq!(options(&["--release"]).profile, Profile::Release);
        assert_eq!(options(&["--dev"]).profile, Profile::Dev);
    }

    #[test]
    fn reads_cargo_flags_in_both_spellings() {
        let o = options(&[
            "--features",
            "a,b",
            "--features=c",
            "--no-default-features",
            "--out-dir",
            "dist",
            "--manifest-path=x/Cargo.toml",
        ]);
        assert_eq!(o.features, ["a", "b", "c"]);
        assert!(o.no_default_features);
        assert_eq!(o.out_dir, Some(PathBuf::from("dist")));
        assert_eq!(o.manifest_path, Some(PathBuf::from("x/Cargo.toml")));
    }

    #[test]
    fn help_and_version_win_and_bad_arguments_are_errors() {
        assert!(matches!(parse_args(&["--dev", "--help"]), Ok(Command::Help)));
        assert!(matches!(parse_args(&["-h"]), Ok(Command::Help)));
        assert!(matches!(parse_args(&["--version"]), Ok(Command::Version)));
        assert_eq!(parse_args(&["examples/hello"]).unwrap_err(), "unexpected argument `examples/hello`");
        assert_eq!(parse_args(&["--features"]).unwrap_err(), "`--features` needs a value");
        assert_eq!(parse_args(&["--release", "--dev"]).unwrap_err(), "`--dev` and `--release` exclude each other");
        assert_eq!(parse_args(&["--dev=1"]).unwrap_err(), "`--dev` takes no value");
    }
}
