//! Hooks for tests and benchmarks (the `testing` feature): what the example's probes and the
//! test suites read to check what the library holds and wrote. Not part of the API that
//! semver covers.

pub use crate::durable::Writes;

/// The ids of `T`'s callable methods (`Type::method#signature-hash`).
pub fn methods<T: crate::dispatch::Callee>() -> &'static [&'static str] {
    crate::dispatch::methods::<T>()
}

/// The ids of `T`'s continuation handlers (`Type::method#signature-hash`). No entry answers
/// them: an envelope naming one gets `UnknownMethod`.
pub fn handler_ids<T: crate::__private::Continuation>() -> &'static [&'static str] {
    T::HANDLER_IDS
}

/// How many deadlines are registered in this isolate: one per pending call that has been
/// polled.
pub fn pending_timers() -> usize {
    crate::runtime::pending_timers()
}

/// How many groups of deadlines (each with at most one platform timer) exist.
pub fn timer_groups() -> usize {
    crate::runtime::timer_groups()
}

/// How many objects are bound in this isolate.
pub fn bound_objects() -> usize {
    crate::home::bound_objects()
}

/// What call-core wrote to `this`'s storage since it started (rows, and commits: turns
/// with writes).
pub fn writes<S: 'static>(this: &S) -> Result<Writes, String> {
    crate::durable::writes(this)
}

/// Delays the group-commit tick of every object in this isolate by `ms` (0, the default:
/// the next timer turn), so that a test can hold durable calls between their arrival and
/// the turn that writes them.
pub fn set_tick_delay(ms: u32) {
    crate::durable::tick::set_delay(ms);
}
