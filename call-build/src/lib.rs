//! call-build builds a workers-rs Worker so that its Durable Objects answer native RPC, the
//! transport of call-core's `call!`. It is the drop-in for workers-rs's `worker-build`: the
//! same output path, so a wrangler.toml changes one word:
//!
//! ```toml
//! main = "build/worker/shim.mjs"
//!
//! [build]
//! command = "call-build --release"
//! ```
//!
//! worker-build exports each Durable Object as a Proxy of its wasm-bindgen class, which
//! workerd refuses to call over RPC (the class does not `extends DurableObject`); call-build
//! writes `shim.mjs` with, for every Durable Object class bound in wrangler.toml, a class
//! that `extends DurableObject` and forwards `fetch`, `alarm`, the WebSocket handlers,
//! call-core's `__call` and every exported method ([`entry`]).
//!
//! The pipeline ([`build()`]): the crate's metadata ([`project`]), a wasm32 compiler
//! ([`toolchain`]: rustup's target first, Debian's offline packages with a std built here
//! second, [`sysroot`]), `cargo build`, wasm-bindgen at the locked version
//! ([`wasm_bindgen`]), wasm-opt when installed ([`wasm_opt`]) and the shim. It fetches nothing
//! but crates from crates.io (wasm-bindgen-cli, once per version).

#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

pub mod build;
pub mod cache;
pub mod callable;
pub mod cli;
pub mod entry;
pub mod error;
pub mod process;
pub mod project;
pub mod rust_version;
pub mod snippets;
pub mod sysroot;
pub mod toolchain;
pub mod types;
pub mod wasm_bindgen;
pub mod wasm_opt;
pub mod wrangler;

pub use build::{build, Built, Options, Profile};
pub use error::{Error, Result};
