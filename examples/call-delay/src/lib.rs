//! The seed experiment in Rust: `CallDelayController` makes N concurrent calls to
//! `RemoteDo` and validates every answer, in one of the modes of [`MODES`]: raw Rust RPC
//! (rpc.rs), typed calls, a JavaScript pair (js/reference.mjs), chains and fan-ins
//! (pipeline.rs), durable calls (durable.rs) and ablations (ablations.rs). What each mode
//! measures, its kind and the modes it is compared with are listed once, in xtask's table of
//! modes (xtask/src/bench/modes.rs), which the bench checks against `GET /modes`.
//!
//! `GET /batch?mode=M&n=N[&rounds=R][&timeout=MS]` runs R batches of N concurrent calls (chains,
//! fan-ins; with a timeout of MS, in the modes `call`, `continuation`, `pipeline`, `fanin`) one
//! after the other and answers `{"mode","n","rounds","ok","ms"}` (`ok` counts validated
//! results, N×R when all are right); `GET /modes` lists the modes.

// Not `missing_docs`: workers-rs's `#[durable_object]` emits undocumented public methods.
#![warn(unreachable_pub, rust_2018_idioms)]

use worker::*;

mod ablations;
mod alarmed;
mod callee_routes;
mod caller_routes;
mod controller;
mod conversion;
mod durable;
mod ledger;
mod lifetimes;
mod memory;
mod pipeline;
mod pipeline_probes;
mod probes;
mod remote;
mod resets;
mod rpc;
mod tally;
mod typed;

pub use alarmed::Alarmed;
pub use controller::CallDelayController;
pub use ledger::Ledger;
pub use remote::{MathError, RemoteDo};
pub use tally::Tally;
pub use typed::{Stats, Typed};

/// Every mode of `/batch`, in the order the demo and the bench run them (each is also one
/// entry of xtask/src/bench/modes.rs; a mode is added in both).
pub const MODES: [&str; 19] = [
    "rpc",
    "call",
    "continuation",
    "durable",
    "js",
    "js-to-rust",
    "js-to-rust-raw",
    "js-durable",
    "rpc-string",
    "rpc-envelope",
    "rpc-bytes",
    "rpc-object",
    "pipeline",
    "pipeline-rpc",
    "pipeline-js",
    "fanin",
    "fanin-join",
    "rust-to-js",
    "rust-to-js-raw",
];

/// The modes that the JavaScript controller runs.
pub fn is_js(mode: &str) -> bool {
    mode == "js" || mode == "pipeline-js" || mode == "js-durable" || mode.starts_with("js-to-rust")
}

/// The remote's answer for call `i`; every mode validates against it.
pub fn expected(i: u32) -> u32 {
    i * 2 + 1
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The controller object a request goes to: `?c=NAME`, or the one named `controller`. Many
/// objects of one class share an isolate; the tests use many at once.
fn controller(url: &Url) -> String {
    param(url, "c").unwrap_or_else(|| "controller".into())
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let url = req.url()?;
    match url.path() {
        "/modes" => Response::from_json(&MODES),
        "/batch" => {
            let mode = param(&url, "mode");
            let binding = match mode.as_deref() {
                Some(m) if is_js(m) => "JS_CONTROLLER",
                Some(m) if MODES.contains(&m) => "CONTROLLER",
                _ => return Response::error(format!("mode must be one of {MODES:?}"), 400),
            };
            env.durable_object(binding)?.get_by_name(&controller(&url))?.fetch_with_request(req).await
        }
        // Probes for the end-to-end tests: `/probe/js-*` run in the JavaScript controller,
        // the others in the Rust one (see probes.rs).
        path if path.starts_with("/probe/js-") => {
            env.durable_object("JS_CONTROLLER")?.get_by_name(&controller(&url))?.fetch_with_request(req).await
        }
        path if path.starts_with("/probe/") || path.starts_with("/durable/") => {
            env.durable_object("CONTROLLER")?.get_by_name(&controller(&url))?.fetch_with_request(req).await
        }
        // How a call by name could carry its values: JSON or serde-wasm-bindgen (the bench).
        "/conversion" => conversion::route(&url),
        "/remote-records" => env.durable_object("REMOTE")?.get_by_name("remote")?.fetch_with_request(req).await,
        path if path.starts_with("/tally-alarm") => alarmed::route(req, &env, &url).await,
        path if path.starts_with("/tally-") => callee_routes::tally(&env, req).await,
        // Calls from a Rust object to a JavaScript one, declared with `#[remote]` (typed.rs).
        path if path.starts_with("/to-js/") => {
            let name = param(&url, "name").unwrap_or_else(|| "typed".into());
            env.durable_object("TYPED")?.get_by_name(&name)?.fetch_with_request(req).await
        }
        // Calls by name from JavaScript to a Rust object (js/typed.mjs).
        path if path.starts_with("/typed/") => {
            env.durable_object("JS_TYPED")?.get_by_name("js")?.fetch_with_request(req).await
        }
        "/tally" => env.durable_object("TALLY")?.get_by_name("tally")?.fetch_with_request(req).await,
        "/" => Response::ok("call-delay: try /batch?mode=rpc&n=50\n"),
        _ => Response::error("not found", 404),
    }
}
