//! `tsc --noEmit` on a TypeScript caller of the example's Rust Durable Objects, against the
//! `shim.d.ts` the build generated: TypeScript (pinned in package-lock.json) must be
//! installed; a missing one fails the test with the command that installs it.

pub fn check_typed_caller() {
    todo!()
}
