//! Project tasks behind `cargo xtask`: toolchain setup, the wasm build (call-build's, with
//! a workerd config), a local workerd runner, and the demo, test, bench (with the generated
//! figures of README.md and docs/), profile and fuzz commands.
//!
//! The end-to-end tests (`tests/`) use this crate as a library, so the build and the
//! workerd process management exist once.

#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

pub mod args;
pub mod bench;
pub mod build;
pub mod fuzz;
pub mod git;
pub mod http;
pub mod load;
pub mod markdown;
pub mod profile;
pub mod setup;
pub mod util;
pub mod workerd;

pub use call_build::bail;
pub use util::{Error, Result};
