//! What the library needs from its platform: the clock, spawning a local task and one
//! timer per call. A leaf: it imports nothing else of the crate.
//!
//! In a Worker these are `Date.now()`, wasm-bindgen-futures and `setTimeout`; natively they
//! are the small single-threaded executor of [`native`] (which
//! [`local`](crate::local) re-exports as `block_on`).
//!
//! # Which context runs what (workerd)
//! Many Durable Objects share one isolate, and every callback runs in the I/O context of
//! the event that scheduled it: a `setTimeout` armed while object A handles a request
//! fires in A's context, even after that request has ended, and a task woken from that
//! callback is polled (by wasm-bindgen-futures, on a microtask) in A's context too. A task
//! of object B polled there cannot do B's I/O ("Cannot perform I/O on behalf of a
//! different Durable Object"). So nothing here is shared between objects: every call arms
//! its own timer from the context that polls it, and that timer wakes only that call's
//! task. See tests/facts (F1–F3) for the experiments behind these statements.

pub(crate) mod timer;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod native;

#[doc(hidden)]
pub use timer::{pending_timers, timer_groups};
pub(crate) use timer::{turn_now, Deadline};

/// Milliseconds since the Unix epoch. In a Worker, `Date.now()`: it advances only across
/// I/O.
pub(crate) fn now_ms() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as u64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }
}

/// Runs `task` on this thread (this isolate), concurrently with the current one.
pub(crate) fn spawn(task: impl std::future::Future<Output = ()> + 'static) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_futures::spawn_local(task);
    #[cfg(not(target_arch = "wasm32"))]
    native::spawn(task);
}
