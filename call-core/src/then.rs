//! Send now, continue later: `call!(…, then self.k(…))` for one call ([`then`]) and for a
//! fan-in ([`then_all`]). The one path every fire-and-continue call takes, durable ones
//! included ([`continue_later`]): its cancellation state is registered with the caller's
//! [`home`](crate::home), a task awaits the result, and the resulting delivery runs the
//! handler on the caller's own object, unless that object is gone.

use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;

use serde::de::DeserializeOwned;

use crate::caller::{send, CancelState};
use crate::continuation::Resumption;
use crate::error::CallError;
use crate::fanin::Members;
use crate::home::{Delivery, Home, HomeState};
use crate::plan::Call;
use crate::runtime::{self, log_error, NOT_BUILT_BY_CALL_BUILD};
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

/// Continues call `id` on the object of `home`: when `delivery` (the awaited result, bound
/// to its handler) is ready, runs it there. Returns the call's handle at once.
pub(crate) fn continue_later<S: 'static>(
    home: Rc<HomeState>,
    cancel: Rc<CancelState>,
    id: u64,
    delivery: impl Future<Output = Delivery<S>> + 'static,
) -> CallHandle {
    continue_with(home, cancel, id, delivery, |delivery| delivery)
}

/// [`continue_later`] with the result and what binds it to its handler apart: one task,
/// one state machine per pending call (an `async` block around another would hold both).
pub(crate) fn continue_with<S: 'static, X>(
    home: Rc<HomeState>,
    cancel: Rc<CancelState>,
    id: u64,
    result: impl Future<Output = X> + 'static,
    bind: impl FnOnce(X) -> Delivery<S> + 'static,
) -> CallHandle {
    let home = Home::pending(home, id, &cancel);
    runtime::spawn(async move { home.deliver(bind(result.await)) });
    CallHandle { state: cancel, id }
}

/// Sends `call` now and, when its result (or a failure) arrives, runs on `this` the
/// continuation that `k` makes of the result. Returns at once.
///
/// `this` must be bound: built by call-build's entry in a Worker, or hosted by
/// [`LocalStub`](crate::local::LocalStub) natively. The pending call does not keep `this`
/// alive; if `this` is reset or evicted before the result arrives, the continuation does
/// not run and the call is logged (see the crate's ownership rules). An unbound `this` is
/// refused: nothing is sent, and the refusal is logged with the fix.
pub fn then<S, Tr, T, E, F, R>(this: &S, transport: &Tr, call: Call<T, E>, k: F) -> CallHandle
where
    S: 'static,
    Tr: Transport + ?Sized,
    T: DeserializeOwned + 'static,
    E: DeserializeOwned + 'static,
    F: FnOnce(Result<T, CallError<E>>) -> R + 'static,
    R: Resumption<S>,
{
    let Some(home) = Home::of(this) else { return refused(this) };
    let cancel = Rc::new(CancelState::default());
    let future = send(transport, call).with_cancel(cancel.clone());
    let id = future.call_id();
    continue_with(home, cancel, id, future, move |result| Delivery::of(id, k(result)))
}

/// The object that a fan-in's continuation will run on: `call!` finds it before it sends
/// the members, so that an object that cannot be reached later fails before anything is
/// sent.
pub struct Caller<S> {
    home: Option<Rc<HomeState>>,
    _object: PhantomData<fn(&S)>,
}

impl<S> Caller<S> {
    /// Where the caller's object is (`None`: not bound).
    pub(crate) fn home(&self) -> Option<&Rc<HomeState>> {
        self.home.as_ref()
    }
}

/// The `Caller` of `this` (an unbound `this` is refused by `then_all`).
pub fn caller<S: 'static>(this: &S) -> Caller<S> {
    Caller { home: Home::of(this), _object: PhantomData }
}

/// When every member (sent by `call!` after it found the `Caller`) has ended, runs on the
/// caller's object the continuation that `k` makes of their results. Returns at once; the
/// continuation runs exactly once (see [`then`], whose ownership rules it follows).
pub fn then_all<S, M, F, R>(caller: Caller<S>, members: M, k: F) -> CallHandle
where
    S: 'static,
    M: Members,
    M::Slots: 'static,
    F: FnOnce(M::Output) -> R + 'static,
    R: Resumption<S>,
{
    let cancel = Rc::new(CancelState::default());
    let future = members.all().with_cancel(cancel.clone());
    let id = future.call_id();
    let Some(home) = caller.home else { return refused_id::<S>(id) };
    continue_with(home, cancel, id, future, move |result| Delivery::of(id, k(result)))
}

/// The handle of a continuation refused because `this` was never bound: its object cannot
/// be reached later. Logged, with the fix; the handle reports the call as finished.
pub(crate) fn refused<S: 'static>(this: &S) -> CallHandle {
    let _ = this;
    refused_id::<S>(0)
}

fn refused_id<S: 'static>(id: u64) -> CallHandle {
    let why = if runtime::entry_started() {
        "natively, `then` runs on an object hosted by `call_core::local::LocalStub`".to_string()
    } else {
        NOT_BUILT_BY_CALL_BUILD.to_string()
    };
    log_error(&format!(
        "call-core: a continuation of `{}` was refused and its call not sent: the object cannot be reached later \
         ({why})",
        std::any::type_name::<S>()
    ));
    let state = CancelState::default();
    state.finished.set(true);
    CallHandle { state: Rc::new(state), id }
}
