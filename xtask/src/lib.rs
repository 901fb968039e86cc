//! Project tasks behind `cargo xtask`: toolchain setup, the wasm build (call-build's, with
//! a workerd config), a local workerd runner, and the demo, test, bench, profile and fuzz
//! commands.
//!
//! The end-to-end tests (`tests/`) use this crate as a library, so the build and the
//! workerd process management exist once.

#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

pub mod bench;
pub mod build;
pub mod composite;
pub mod cpuprofile;
pub mod demo;
pub mod durable_bench;
pub mod fuzz;
pub mod git;
pub mod http;
pub mod per_call;
pub mod plot;
pub mod profile;
pub mod profile_summary;
pub mod readme;
pub mod setup;
pub mod targets;
pub mod util;
pub mod workerd;

pub use util::{Error, Result};
