//! Fire-and-continue: send a call now, run a method of the caller with its result later.

use std::fmt::Debug;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;

use crate::error::CallError;
use crate::executor::{send, CancelState};
use crate::plan::Call;
use crate::rt;
use crate::transport::Transport;

/// The handle of a fire-and-continue call (`call!(…, then self.k(…))`).
///
/// Dropping it does not cancel anything: the continuation runs regardless.
#[derive(Debug, Clone)]
pub struct CallHandle {
    state: Rc<CancelState>,
    id: u64,
}

impl CallHandle {
    /// Cancels the call: unless its result has arrived already, the continuation runs
    /// once, now, with [`CallError::Cancelled`], and a reply arriving later is dropped.
    /// Returns whether it did (false when the result came first or it was cancelled
    /// already). The callee is not told; it may still run the method.
    pub fn cancel(&self) -> bool {
        self.state.cancel()
    }

    /// Whether the result (or the cancellation) has been handed to the continuation.
    pub fn is_finished(&self) -> bool {
        self.state.finished.get()
    }

    /// The call id carried by the envelope.
    pub fn call_id(&self) -> u64 {
        self.id
    }
}

/// What a continuation method may return: `()`, or a `Result` whose error is logged
/// (a continuation has no caller to hand it to).
#[diagnostic::on_unimplemented(
    message = "a continuation must return `()` or a `Result`, not `{Self}`",
    label = "this method's result would be lost",
    note = "a continuation runs when a reply arrives: there is nobody to receive its value"
)]
pub trait Report {
    /// Logs the outcome if it is an error.
    fn report(self);
}

impl Report for () {
    fn report(self) {}
}

impl<T, E: Debug> Report for Result<T, E> {
    fn report(self) {
        if let Err(e) = self {
            log_error(&format!("call-core: a continuation returned an error: {e:?}"));
        }
    }
}

pub(crate) fn log_error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("{}", message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}

/// Sends `call` now and, when its result (or a failure) arrives, runs `k` with the caller
/// `this` and the result. Returns at once.
///
/// `this` must stay at its address until the continuation has run. Durable Objects do:
/// wasm-bindgen never frees an exported object that JavaScript does not `free()`, and the
/// generated entry never does (this is the same reasoning as workers-rs's own
/// `#[durable_object]` handlers). Natively, `this` must be hosted by
/// [`LocalStub`](crate::local::LocalStub), which is checked.
pub fn then<S, Tr, T, E, F, Fut>(this: &S, transport: &Tr, call: Call<T, E>, k: F) -> CallHandle
where
    S: 'static,
    Tr: Transport + ?Sized,
    T: DeserializeOwned + 'static,
    E: DeserializeOwned + 'static,
    F: FnOnce(&'static S, Result<T, CallError<E>>) -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: Report,
{
    let this = extend_receiver(this);
    let state = Rc::new(CancelState::default());
    let future = send(transport, call).with_cancel(state.clone());
    let id = future.call_id();
    rt::spawn(async move {
        let result = future.await;
        let run = std::pin::pin!(async move { k(this, result).await.report() });
        if ContinuationPanic(run).await.is_err() {
            log_error(&format!("call-core: the continuation of call {id} panicked"));
        }
    });
    CallHandle { state, id }
}

fn extend_receiver<S: 'static>(this: &S) -> &'static S {
    #[cfg(not(target_arch = "wasm32"))]
    assert!(
        crate::local::is_hosted(this as *const S as *const ()),
        "`then` continuations need a receiver that stays put until the reply arrives: a \
         Durable Object, or natively an object hosted by `call_core::local::LocalStub`"
    );
    // SAFETY: see `then`: the receiver is a Durable Object (never freed by wasm-bindgen
    // while the isolate lives) or a `LocalStub`-hosted object (leaked on purpose, checked
    // above).
    unsafe { &*(this as *const S) }
}

/// Runs a continuation, turning its panic into `Err` (the task must still end cleanly).
struct ContinuationPanic<'a, F>(Pin<&'a mut F>);

impl<F: Future<Output = ()>> Future for ContinuationPanic<'_, F> {
    type Output = Result<(), ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Ready(())) => Poll::Ready(Ok(())),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}
