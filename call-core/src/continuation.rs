//! Fire-and-continue: send a call now, run a continuation handler of the caller with its
//! result later, on the caller's own object (see [`home`](crate::home) for how it gets
//! there).

use std::fmt::Debug;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;

use crate::caller::{send, CancelState};
use crate::dispatch::LocalBoxFuture;
use crate::error::CallError;
use crate::home::{Delivery, Home};
use crate::plan::Call;
use crate::runtime;
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
    pub(crate) fn new(state: Rc<CancelState>, id: u64) -> Self {
        CallHandle { state, id }
    }

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

/// What a continuation handler may return: `()`, or a `Result` whose error is logged
/// (a continuation has no caller to hand it to).
#[diagnostic::on_unimplemented(
    message = "a continuation handler must return `()` or a `Result`, not `{Self}`",
    label = "this handler's result would be lost",
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

/// What a `#[handler]` is called and how a stored continuation names it: implemented by a
/// marker type that `#[continuation]` generates per handler.
pub trait Handler: 'static {
    /// The handler's id, `Type::method#signature-hash`: stored with a durable call, so that
    /// a build whose handler has another signature does not misread it.
    const ID: &'static str;
    /// The method's name, for logs.
    const NAME: &'static str;
}

/// A continuation, its arguments bound, ready to run on its object: made by the generated
/// invoker of a `#[handler]` method ([`Resume`] for a sync handler, [`ResumeAsync`] for an
/// async one).
pub trait Resumption<S>: 'static {
    /// The handler.
    type Handler: Handler;

    /// Whether running it leaves a future to await (an `async` handler).
    const ASYNC: bool;

    /// Runs the handler on `this`; an async handler's future is returned, to be awaited
    /// while `this` is kept alive.
    fn run(self, this: &S) -> Option<LocalBoxFuture<'_, ()>>;
}

/// A sync handler `H` with its arguments.
pub struct Resume<S, H, F> {
    run: F,
    _types: PhantomData<fn(&S, H)>,
}

/// An async handler `H` with its arguments.
pub struct ResumeAsync<S, H, F> {
    run: F,
    _types: PhantomData<fn(&S, H)>,
}

/// A sync handler `H`, run by `run`.
pub fn resume<S, H: Handler, F: FnOnce(&S)>(run: F) -> Resume<S, H, F> {
    Resume { run, _types: PhantomData }
}

/// An async handler `H`, whose future `run` makes.
pub fn resume_async<S, H: Handler, F>(run: F) -> ResumeAsync<S, H, F>
where
    F: for<'a> FnOnce(&'a S) -> LocalBoxFuture<'a, ()>,
{
    ResumeAsync { run, _types: PhantomData }
}

impl<S: 'static, H: Handler, F: FnOnce(&S) + 'static> Resumption<S> for Resume<S, H, F> {
    type Handler = H;
    const ASYNC: bool = false;

    fn run(self, this: &S) -> Option<LocalBoxFuture<'_, ()>> {
        (self.run)(this);
        None
    }
}

impl<S: 'static, H: Handler, F> Resumption<S> for ResumeAsync<S, H, F>
where
    F: for<'a> FnOnce(&'a S) -> LocalBoxFuture<'a, ()> + 'static,
{
    type Handler = H;
    const ASYNC: bool = true;

    fn run(self, this: &S) -> Option<LocalBoxFuture<'_, ()>> {
        Some((self.run)(this))
    }
}

/// Sends `call` now and, when its result (or a failure) arrives, runs on `this` the
/// continuation that `k` makes of the result. Returns at once.
///
/// `this` must be bound: built by the generated JavaScript entry in a Worker, or hosted by
/// [`LocalStub`](crate::local::LocalStub) natively. The pending call does not keep `this`
/// alive; if `this` is reset or evicted before the result arrives, the continuation does
/// not run and the call is logged (see [`home`](crate::home)).
///
/// # Panics
/// When `this` is not bound.
pub fn then<S, Tr, T, E, F, R>(this: &S, transport: &Tr, call: Call<T, E>, k: F) -> CallHandle
where
    S: 'static,
    Tr: Transport + ?Sized,
    T: DeserializeOwned + 'static,
    E: DeserializeOwned + 'static,
    F: FnOnce(Result<T, CallError<E>>) -> R + 'static,
    R: Resumption<S>,
{
    let Some(home) = Home::of(this) else { panic!("{}", unbound(this)) };
    let state = Rc::new(CancelState::default());
    let future = send(transport, call).with_cancel(state.clone());
    let id = future.call_id();
    let home = Home::pending(home, id, &state);
    runtime::spawn(async move {
        let result = future.await;
        home.deliver(delivery(id, k(result), None));
    });
    CallHandle { state, id }
}

/// Why `then` refuses `this`.
pub(crate) fn unbound<S: 'static>(this: &S) -> String {
    format!(
        "`then` continuations run on an object that call-core can reach later: a Durable Object built by the \
         generated JavaScript entry (`cargo xtask build`), or natively an object hosted by \
         `call_core::local::LocalStub`; `{}` at {:p} is neither",
        std::any::type_name::<S>(),
        this
    )
}

/// A resumption on its way to its object (for a durable call, with its key).
pub(crate) fn delivery<S: 'static, R: Resumption<S>>(call: u64, resumption: R, durable: Option<String>) -> Delivery<S> {
    Delivery {
        call,
        handler: <R::Handler as Handler>::NAME,
        is_async: R::ASYNC,
        durable,
        run: Box::new(move |this: &S| resumption.run(this)),
    }
}

/// The ids of `T`'s continuation handlers (`Type::method#signature-hash`). No entry answers
/// them: an envelope naming one gets `UnknownMethod`.
pub fn handler_ids<T: crate::__private::Continuation>() -> &'static [&'static str] {
    T::HANDLER_IDS
}

/// Runs `f` (a handler), logging its panic instead of unwinding.
pub(crate) fn run_caught<T>(call: u64, handler: &str, f: impl FnOnce() -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(_) => {
            log_error(&format!("call-core: call {call}: the continuation `{handler}` panicked"));
            None
        }
    }
}

/// Awaits an async handler's future, logging its panic instead of unwinding.
pub(crate) async fn await_caught(call: u64, handler: &str, future: LocalBoxFuture<'_, ()>) {
    if (CaughtPanic(future).await).is_err() {
        log_error(&format!("call-core: call {call}: the continuation `{handler}` panicked"));
    }
}

/// Polls a future, turning its panic into `Err` (the task must still end cleanly).
struct CaughtPanic<'a>(LocalBoxFuture<'a, ()>);

impl Future for CaughtPanic<'_> {
    type Output = Result<(), ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Ready(())) => Poll::Ready(Ok(())),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}
