//! What the library needs from its platform: the clock, spawning a local task, timers for
//! deadlines, an error log, and whether the isolate was started by call-build's entry. The
//! bottom layer: it imports nothing else of the crate.
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

#[cfg_attr(not(feature = "testing"), allow(unused_imports))]
pub(crate) use timer::{pending_timers, timer_groups};
pub(crate) use timer::{turn_now, Deadline};

use std::future::Future;
use std::pin::Pin;

/// A boxed future that stays on this thread (this isolate), borrowing for `'a`.
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Logs an error: `console.error` in a Worker, stderr natively. call-core logs what it
/// cannot hand to anyone (a continuation that could not run, a storage failure).
pub(crate) fn log_error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("{}", message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}

/// The message of a caught panic's payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".into())
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    static ENTRY_STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Records that call-build's generated entry started this isolate (it calls
/// `__call_core_start` once per wasm instance, before building any object).
#[cfg(target_arch = "wasm32")]
pub(crate) fn mark_entry_started() {
    ENTRY_STARTED.with(|s| s.set(true));
}

/// Whether call-build's entry started this isolate: without it, Durable Objects are not
/// reachable over RPC and continuations cannot find their objects. Natively, always.
pub(crate) fn entry_started() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        ENTRY_STARTED.with(|s| s.get())
    }
    #[cfg(not(target_arch = "wasm32"))]
    true
}

/// What a Worker built without call-build's entry is told, wherever call-core needs it.
pub(crate) const NOT_BUILT_BY_CALL_BUILD: &str = "this Worker was not built by call-build, so its Durable \
    Objects are not reachable over RPC and continuations cannot find their objects: build it with \
    `call-build --release` (wrangler.toml: `main = \"build/worker/shim.mjs\"` and `[build] command = \
    \"call-build --release\"`; install it with `cargo install call-build`)";

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
pub(crate) fn spawn(task: impl Future<Output = ()> + 'static) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_futures::spawn_local(task);
    #[cfg(not(target_arch = "wasm32"))]
    native::spawn(task);
}
