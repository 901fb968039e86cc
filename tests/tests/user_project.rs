//! A user's own Worker: examples/hello copied outside this workspace, its call-core
//! dependency pointed at this checkout by absolute path (as a path or git dependency
//! would), built by an installed `call-build` exactly as a user's wrangler.toml runs it,
//! served by `wrangler dev` and by plain workerd, and every route's typed result checked;
//! a TypeScript caller type-checked against the declarations the build wrote.
//! And the ways a build goes wrong: `--help` creates nothing, a wrong `main` is refused,
//! and a Worker built with a worker-build-like entry answers (never hangs) naming call-build.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use xtask::util::workspace_root;
use xtask::workerd::{self, Workerd};

/// Every wasm build of these tests shares this cargo target dir with the rest of the suite,
/// so the dependencies compile once.
fn target_dir() -> PathBuf {
    workspace_root().join("target/wasm32")
}

/// The bin dir of a `call-build` installed with `cargo install --path` (once per run).
fn call_build_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = temp_dir("install");
        xtask::build::install_call_build(&root).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// A fresh directory outside the workspace.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("call-core-user-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// examples/hello as a user's crate in a temporary directory (no `build/`).
fn hello_copy(name: &str) -> PathBuf {
    let root = workspace_root();
    let src = root.join("examples/hello");
    let dir = temp_dir(name);
    copy_tree(&src.join("src"), &dir.join("src"));
    std::fs::copy(src.join("wrangler.toml"), dir.join("wrangler.toml")).unwrap();
    let manifest = std::fs::read_to_string(src.join("Cargo.toml")).unwrap();
    let path_dep = "call-core = { path = \"../../call-core\" }";
    assert!(manifest.contains(path_dep), "examples/hello/Cargo.toml changed its call-core line");
    let absolute = format!("call-core = {{ path = {:?} }}", root.join("call-core").display().to_string());
    std::fs::write(dir.join("Cargo.toml"), manifest.replace(path_dep, &absolute)).unwrap();
    // The workspace's lockfile: its versions (wasm-bindgen's among them) are those of the
    // cached wasm-bindgen-cli and of the dependencies already compiled; cargo drops the rest.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// Every path under `dir`, sorted.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            all.push(path);
        }
    }
    all.sort();
    all
}

/// PATH with the installed call-build first, as a user's shell has it after `cargo install`.
fn user_path() -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(call_build_bin().to_path_buf()).chain(std::env::split_paths(&rest))).unwrap()
}

fn call_build_in(dir: &Path) -> Command {
    let mut cmd = Command::new(call_build_bin().join("call-build"));
    cmd.current_dir(dir).env("PATH", user_path()).env("CARGO_TARGET_DIR", target_dir());
    cmd
}

/// `call-build` as a library, for the module list the workerd config needs (a no-op build
/// after the one wrangler ran).
fn built(dir: &Path) -> call_build::Built {
    let options = call_build::Options {
        manifest_path: Some(dir.join("Cargo.toml")),
        target_dir: Some(target_dir()),
        ..Default::default()
    };
    call_build::build(&options).unwrap_or_else(|e| panic!("{e}"))
}

fn workerd_with(dir: &Path, built: &call_build::Built, modules: &[String]) -> Workerd {
    let config = dir.join("build/workerd.capnp");
    std::fs::write(&config, workerd::config(&built.wrangler, modules, "worker")).unwrap();
    Workerd::start_config(&workerd::npm_workerd().unwrap(), &config, workerd::Options::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn get(addr: std::net::SocketAddr, path: &str) -> Value {
    let answer = xtask::http::get(addr, path, Duration::from_secs(60)).unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(answer.status, 200, "GET {path} answered {}: {}", answer.status, answer.body);
    answer.json().unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// GETs `path` until it answers something other than `empty` (a continuation runs after
/// its route answered); at most 30 s.
fn eventually(addr: std::net::SocketAddr, path: &str, empty: &Value) -> Value {
    let started = Instant::now();
    loop {
        let value = get(addr, path);
        if value != *empty || started.elapsed() > Duration::from_secs(30) {
            return value;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every route of examples/hello, with its typed result.
fn check_routes(addr: std::net::SocketAddr) {
    assert_eq!(get(addr, "/await"), json!({ "sum": { "Ok": 3 }, "quotient": { "Err": { "App": "DivideByZero" } } }));
    assert!(get(addr, "/then")["call"].is_u64());
    assert_eq!(eventually(addr, "/then/last", &Value::Null), json!({ "Ok": 42 }));
    assert_eq!(get(addr, "/nested"), json!({ "sum": { "Ok": 6 } }));
    assert_eq!(get(addr, "/fanin"), json!({ "sum": { "Ok": 5 }, "greeting": { "Ok": "hello, you" } }));
    let before = get(addr, "/durable/results").as_array().map_or(0, Vec::len);
    assert!(get(addr, "/durable")["call"].is_u64());
    let results = {
        let started = Instant::now();
        loop {
            let r = get(addr, "/durable/results");
            if r.as_array().map_or(0, Vec::len) > before || started.elapsed() > Duration::from_secs(30) {
                break r;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    assert_eq!(results.as_array().unwrap()[before..], [json!({ "result": "{\"Ok\":42}" })], "{results}");
}

/// `wrangler dev`, in its own process group (it starts workerd), stopped by its PID.
struct WranglerDev {
    child: Child,
    log: PathBuf,
}

impl Drop for WranglerDev {
    fn drop(&mut self) {
        // The whole group: wrangler's launcher, the node process it starts and the workerd
        // processes that one starts, each signalled by its PID (read from /proc: procps'
        // `kill` does not take a negative group id reliably). wrangler does not always end
        // on SIGTERM, so members still running once SIGTERM had its time are killed; only
        // then is the launcher waited for.
        let group = self.child.id();
        signal(&members(group), "TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // Reap the launcher if it ended (a zombie is not counted as running).
            let _ = self.child.try_wait();
            let running = members(group);
            if running.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                signal(&running, "KILL");
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.wait();
    }
}

/// The running processes (not zombies) of process group `group`, from /proc.
fn members(group: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses.
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
            let Some((_, rest)) = stat.rsplit_once(')') else { return false };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields.first() != Some(&"Z") && fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(group)
        })
        .collect()
}

/// Sends `name` to each of `pids`.
fn signal(pids: &[u32], name: &str) {
    if pids.is_empty() {
        return;
    }
    let _ =
        Command::new("kill").args(["-s", name]).args(pids.iter().map(u32::to_string)).stderr(Stdio::null()).status();
}

fn wrangler_dev(dir: &Path) -> (WranglerDev, std::net::SocketAddr) {
    use std::os::unix::process::CommandExt;
    let port = workerd::free_port().unwrap();
    let log = dir.join("wrangler-dev.log");
    let file = std::fs::File::create(&log).unwrap();
    let child = Command::new(workspace_root().join("node_modules/.bin/wrangler"))
        .current_dir(dir)
        .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
        .env("PATH", user_path())
        .env("CARGO_TARGET_DIR", target_dir())
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "1")
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .process_group(0)
        .spawn()
        .unwrap();
    let mut dev = WranglerDev { child, log };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    // wrangler runs the `[build]` command first: a cold wasm build takes minutes here.
    let started = Instant::now();
    loop {
        let read_log = || std::fs::read_to_string(&dev.log).unwrap_or_default();
        if let Some(status) = dev.child.try_wait().unwrap() {
            panic!("wrangler dev exited ({status}):\n{}", read_log());
        }
        if read_log().contains("Ready on") && std::net::TcpStream::connect(addr).is_ok() {
            return (dev, addr);
        }
        assert!(started.elapsed() < Duration::from_secs(900), "wrangler dev never listened:\n{}", read_log());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_users_worker_built_by_call_build_runs_in_wrangler_dev_and_workerd() {
    let dir = hello_copy("served");
    {
        let (dev, addr) = wrangler_dev(&dir);
        let log = std::fs::read_to_string(&dev.log).unwrap_or_default();
        assert!(log.contains("call-build: built hello"), "wrangler's [build] ran call-build:\n{log}");
        check_routes(addr);
    }
    let built = built(&dir);
    assert_eq!(built.modules[0], "shim.mjs");
    let w = workerd_with(&dir, &built, &built.modules);
    check_routes(w.addr);
    check_typescript(&dir);
}

/// The steps of examples/hello/README.md for a TypeScript caller, after the build: its
/// ts/caller.ts type-checks against the generated build/worker/shim.d.ts (TypeScript and
/// the Workers types are this repository's, pinned in package-lock.json, in place of the
/// user's `npm i -D`), and its `@ts-expect-error` lines are errors.
fn check_typescript(dir: &Path) {
    let root = workspace_root();
    let modules = root.join("node_modules");
    assert!(
        modules.join(".bin/tsc").is_file() && modules.join("@cloudflare/workers-types").is_dir(),
        "TypeScript is not installed: run `npm ci` in {}",
        root.display()
    );
    copy_tree(&root.join("examples/hello/ts"), &dir.join("ts"));
    std::os::unix::fs::symlink(&modules, dir.join("node_modules")).unwrap();
    let dts = std::fs::read_to_string(dir.join("build/worker/shim.d.ts")).unwrap();
    assert!(dts.contains("export declare class Calculator extends DurableObject {"), "{dts}");
    assert!(dts.contains("  add(a: number, b: number): Promise<number>;"), "{dts}");
    let out = Command::new(modules.join(".bin/tsc")).args(["-p", "ts"]).current_dir(dir).output().unwrap();
    assert!(
        out.status.success(),
        "tsc -p ts failed on examples/hello/ts/caller.ts:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_rustup_toolchain_builds_it_when_its_wasm32_target_is_installed() {
    let dir = hello_copy("rustup");
    if !call_build::toolchain::rustup_has_wasm32(&dir) {
        println!("skipped: rustup's wasm32-unknown-unknown target is not installed (`rustup target add wasm32-unknown-unknown`)");
        return;
    }
    let out =
        call_build_in(&dir).env("CARGO_TARGET_DIR", workspace_root().join("target/wasm32-rustup")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("rustup's wasm32-unknown-unknown target"), "{stderr}");
    assert!(dir.join("build/worker/shim.mjs").is_file() && dir.join("build/worker/index_bg.wasm").is_file());
}

#[test]
fn help_version_and_bad_arguments_print_and_create_nothing() {
    let dir = hello_copy("help");
    let before = listing(&dir);
    let help = call_build_in(&dir).arg("--help").output().unwrap();
    assert!(help.status.success());
    let usage = String::from_utf8_lossy(&help.stdout);
    assert!(usage.contains("Usage: call-build") && usage.contains("main = \"build/worker/shim.mjs\""), "{usage}");
    let version = call_build_in(&dir).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("call-build {}", env!("CARGO_PKG_VERSION")));
    let bad = call_build_in(&dir).arg("--relase").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("unexpected argument `--relase`") && stderr.contains("Usage: call-build"), "{stderr}");
    assert_eq!(listing(&dir), before, "nothing created");
}

#[test]
fn a_wrangler_toml_whose_main_is_not_the_shim_is_refused_with_the_fix() {
    let dir = hello_copy("main");
    let wrangler = std::fs::read_to_string(dir.join("wrangler.toml")).unwrap();
    let worker_build = wrangler.replace("main = \"build/worker/shim.mjs\"", "main = \"build/index.js\"");
    std::fs::write(dir.join("wrangler.toml"), worker_build).unwrap();
    let out = call_build_in(&dir).arg("--release").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("`main = \"build/index.js\"`") && stderr.contains("main = \"build/worker/shim.mjs\""),
        "{stderr}"
    );
    assert!(!dir.join("build").exists(), "refused before building");
}

/// What plain worker-build produces, as far as RPC goes: each Rust Durable Object exported
/// as the wasm-bindgen class itself (not `extends DurableObject`), without call-core's
/// `__call_core_start` or `__call_core_bind`.
const WORKER_BUILD_LIKE: &str = "\
import * as wasm from \"./index.js\";
import wasmModule from \"./index_bg.wasm\";
wasm.initSync({ module: wasmModule });
export const Calculator = wasm.Calculator;
export const Greeter = wasm.Greeter;
export default { fetch: (request, env, ctx) => wasm.fetch(request, env, ctx) };
";

#[test]
fn an_object_not_built_by_call_build_answers_naming_it_and_never_hangs() {
    let dir = hello_copy("plain");
    let built = built(&dir);
    std::fs::write(built.out_dir.join("plain.mjs"), WORKER_BUILD_LIKE).unwrap();
    let mut modules = built.modules.clone();
    modules[0] = "plain.mjs".into();
    let w = workerd_with(&dir, &built, &modules);
    for path in ["/then", "/await"] {
        // The client's timeout bounds the wait: an answer must come, not a hang.
        let answer = xtask::http::get(w.addr, path, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("GET {path} got no answer: {e}\nworkerd log:\n{}", w.log()));
        assert!(answer.body.contains("call-build"), "GET {path} answered {}: {}", answer.status, answer.body);
    }
}
