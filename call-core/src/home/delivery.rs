//! [`Delivery`]: a handler bound to its arguments (and result), in memory or restored from
//! storage, and running it on its object — a durable call finished in the same turn, a
//! panic caught and logged (a durable call's kept as a dead letter).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::continuation::{Handler, Resumption};
use crate::runtime::{log_error, panic_message, LocalBoxFuture};

/// Runs a handler on its object; an async handler's future is returned.
pub(crate) type RunHandler<S> = Box<dyn for<'a> FnOnce(&'a S) -> Option<LocalBoxFuture<'a, ()>>>;

/// The durable side of a delivery, called in the turn its handler runs.
pub(crate) trait Finish {
    /// The durable call's key, for logs.
    fn key(&self) -> &str;
    /// Finishes the call just before its handler runs, in the same turn, so that the two
    /// commit together; false when another delivery of the same call came first (then the
    /// handler must not run).
    fn start(&self) -> bool;
    /// The handler panicked: keep the call as a dead letter, with `reason`.
    fn panicked(&self, reason: &str);
}

/// A handler bound to its arguments (and result), on its way to its object: made from a
/// `Resumption` that a generated invoker returned, in memory or restored from storage.
pub struct Delivery<S> {
    /// The call's id, for logs (0 for a restored one).
    pub(super) call: u64,
    /// The handler's name, for logs.
    pub(super) handler: &'static str,
    /// Whether the handler is `async`.
    pub(super) is_async: bool,
    /// For a durable call: what finishing it takes.
    pub(super) finish: Option<Box<dyn Finish>>,
    run: RunHandler<S>,
}

impl<S: 'static> Delivery<S> {
    /// The delivery of `resumption`, for call `call`.
    pub(crate) fn of<R: Resumption<S>>(call: u64, resumption: R) -> Delivery<S> {
        Delivery {
            call,
            handler: <R::Handler as Handler>::NAME,
            is_async: R::ASYNC,
            finish: None,
            run: Box::new(move |this: &S| resumption.run(this)),
        }
    }

    /// The same, finishing a durable call as its handler runs.
    pub(crate) fn finishing(mut self, finish: Box<dyn Finish>) -> Delivery<S> {
        self.finish = Some(finish);
        self
    }
}

/// Runs a delivery on `this` (within the object's own entry): a durable call is finished
/// first, in the same turn, so that the handler's synchronous writes and its finishing
/// commit together. A panic is caught and logged (a durable call's becomes a dead letter).
/// An async handler's future is returned, guarded the same way.
pub(crate) fn run_on<'a, S: 'static>(this: &'a S, delivery: Delivery<S>) -> Option<LocalBoxFuture<'a, ()>> {
    let Delivery { call, handler, finish, run, .. } = delivery;
    if let Some(finish) = &finish {
        if !finish.start() {
            // Another delivery of the same call (a recovery and a late reply) came first.
            return None;
        }
    }
    let guard = Guard { call, handler, finish };
    match catch_unwind(AssertUnwindSafe(|| run(this))) {
        Ok(None) => None,
        Ok(Some(future)) => Some(Box::pin(Caught { future, guard: Some(guard) })),
        Err(payload) => {
            guard.panicked(&panic_message(&*payload));
            None
        }
    }
}

/// What to do when a handler panics.
struct Guard {
    call: u64,
    handler: &'static str,
    finish: Option<Box<dyn Finish>>,
}

impl Guard {
    fn panicked(&self, reason: &str) {
        let reason = format!("the continuation `{}` panicked: {reason}", self.handler);
        match &self.finish {
            Some(finish) => {
                log_error(&format!("call-core: durable call {}: {reason}; kept as a dead letter", finish.key()));
                finish.panicked(&reason);
            }
            None => log_error(&format!("call-core: call {}: {reason}", self.call)),
        }
    }
}

/// An async handler's future, its panic caught (the task must still end cleanly).
struct Caught<'a> {
    future: LocalBoxFuture<'a, ()>,
    guard: Option<Guard>,
}

impl Future for Caught<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match catch_unwind(AssertUnwindSafe(|| self.future.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                if let Some(guard) = self.guard.take() {
                    guard.panicked(&panic_message(&*payload));
                }
                Poll::Ready(())
            }
        }
    }
}
