//! Compile-time guarantees of `#[continuation]` and `call!`: every `ui/*.rs` of this crate
//! (`tests/ui/` of the workspace) must fail to compile with exactly its reviewed `.stderr`,
//! every `ui/pass/*.rs` must compile and run.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p tests --test ui`
//! and review the diff; never edit them by hand. `ui_wasm32.rs` checks that the fail cases
//! report the same errors when compiled for wasm32.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
    t.pass("ui/pass/*.rs");
}
