//! The caller side of a call: encode the plan, check limits, send it over a transport,
//! race the reply against the deadline (and a cancellation), decode the result.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::CallError;
use crate::error::Never;
use crate::plan::{Call, Plan, StepErrors};
use crate::runtime::{self, Deadline};
use crate::transport::{widen, Transport};
use crate::wire::{self, Limits};

/// How long a caller waits for a reply unless the call sets its own timeout
/// (`call!(…, timeout = d)`): 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest timeout a call keeps: 24 hours. A longer one (`Duration::MAX` included, a
/// natural "no timeout") is clamped to it, for in-memory and durable calls alike, so that
/// every deadline is a time that storage, the envelope and the platform's timers hold
/// exactly.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// The deadline of a call made at `now` (milliseconds since the epoch) with `timeout`,
/// clamped to [`MAX_TIMEOUT`]; no arithmetic truncates or overflows.
pub(crate) fn deadline_after(now: u64, timeout: Duration) -> u64 {
    let ms = u64::try_from(timeout.min(MAX_TIMEOUT).as_millis()).unwrap_or(u64::MAX);
    now.saturating_add(ms)
}

thread_local! {
    static NEXT_CALL_ID: Cell<u64> = const { Cell::new(1) };
}

fn next_call_id() -> u64 {
    NEXT_CALL_ID.with(|id| {
        let current = id.get();
        id.set(current.wrapping_add(1));
        current
    })
}

/// Shared by a fire-and-continue call's task and its [`CallHandle`](crate::CallHandle).
#[derive(Debug, Default)]
pub(crate) struct CancelState {
    pub(crate) cancelled: Cell<bool>,
    pub(crate) finished: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl CancelState {
    pub(crate) fn cancel(&self) -> bool {
        if self.finished.get() || self.cancelled.get() {
            return false;
        }
        self.cancelled.set(true);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
        true
    }

    /// Wakes `waker`'s task when the call is cancelled.
    pub(crate) fn wake_on_cancel(&self, waker: &Waker) {
        let mut slot = self.waker.borrow_mut();
        match slot.as_mut() {
            Some(w) if w.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }
}

/// The future of a call: resolves to the method's value or a [`CallError`].
///
/// The envelope is sent when the future is created (by `call!`), like a JavaScript
/// promise: awaiting later only waits. Dropping it abandons the reply (the callee may still
/// run the method).
#[must_use = "the call is sent already; await the future to get its result"]
pub struct CallFuture<T, E, R> {
    reply: Option<R>,
    early: Option<CallError<E>>,
    /// The deadline, milliseconds since the epoch: a reply that arrives later is dropped.
    deadline_ms: u64,
    deadline: Deadline,
    cancel: Option<Rc<CancelState>>,
    /// How the application errors of a joined plan's steps decode (see `pipeline`).
    errors: Option<StepErrors<E>>,
    /// A call of a JavaScript method by name: the reply is the method's value as JSON.
    by_name: bool,
    id: u64,
    done: bool,
    _value: PhantomData<fn() -> T>,
}

impl<T, E, R> CallFuture<T, E, R> {
    /// The call id carried by the envelope.
    pub fn call_id(&self) -> u64 {
        self.id
    }

    pub(crate) fn with_cancel(mut self, state: Rc<CancelState>) -> Self {
        self.cancel = Some(state);
        self
    }
}

// Nothing is pinned structurally: the reply future is `Unpin` and the rest is plain data.
impl<T, E, R: Unpin> Unpin for CallFuture<T, E, R> {}

impl<T, E, R> std::fmt::Debug for CallFuture<T, E, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallFuture").field("id", &self.id).field("done", &self.done).finish()
    }
}

/// Why a call of a JavaScript method by name failed on a transport that has none.
const NO_NAMED_CALLS: &str = "this transport reaches only `#[continuation]` objects: a JavaScript Durable Object \
     (`#[remote]`) is called over Durable Object RPC, through a `CallStub`";

/// Encodes and sends `call` over `transport`; the returned future yields its result.
pub fn send<Tr, T, E>(transport: &Tr, call: Call<T, E>) -> CallFuture<T, E, Tr::Reply>
where
    Tr: Transport + ?Sized,
{
    let (prepared, errors) = prepare(call, None);
    send_prepared(transport, &prepared, errors)
}

/// A call's envelope, encoded and checked against the limits (or why it cannot be sent).
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// The call id in the envelope.
    pub(crate) id: u64,
    /// The deadline, milliseconds since the epoch.
    pub(crate) deadline: u64,
    /// The envelope; for a call by name, the arguments (a JSON array).
    pub(crate) envelope: Result<String, CallError<Never>>,
    /// For a call of a JavaScript method (`#[remote]`): its name.
    pub(crate) by_name: Option<&'static str>,
}

/// Encodes `call` (as a durable call when `durable` names its caller and key); also hands
/// back how the errors of its steps decode (a joined plan's, see `pipeline`).
pub(crate) fn prepare<T, E>(
    call: Call<T, E>,
    durable: Option<wire::DurableId<'_>>,
) -> (Prepared, Option<StepErrors<E>>) {
    let timeout = call.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let deadline = deadline_after(runtime::turn_now(), timeout);
    let id = next_call_id();
    let limits = Limits::DEFAULT;
    let by_name = call.by_name;
    let envelope = call.plan.map_err(CallError::Encode).and_then(|plan| {
        if let Some(name) = by_name {
            return named_args(plan, name, durable.is_some(), &limits);
        }
        limits.check_plan(&plan).map_err(CallError::Limit)?;
        let envelope = wire::encode_envelope(&plan, id, deadline, durable);
        limits.check_bytes("the envelope", envelope.len()).map_err(CallError::Limit)?;
        Ok(envelope)
    });
    (Prepared { id, deadline, envelope, by_name }, call.errors)
}

/// The arguments of a call of the JavaScript method `name` (a one-step plan), checked
/// against the limits. Such a call cannot be durable: a JavaScript object records no call,
/// so a re-send could run the method twice (`call!` refuses it at compile time).
fn named_args(plan: Plan, name: &str, durable: bool, limits: &Limits) -> Result<String, CallError<Never>> {
    if durable {
        return Err(CallError::Encode(format!(
            "`{name}` is a method of a JavaScript Durable Object (`#[remote]`): a durable call needs a `#[continuation]` callee"
        )));
    }
    let Ok([step]) = <[_; 1]>::try_from(plan.steps) else {
        return Err(CallError::Encode(format!("a call of the JavaScript method `{name}` is one step")));
    };
    limits.check_bytes("the arguments", step.args.len()).map_err(CallError::Limit)?;
    Ok(step.args.into_owned())
}

/// Sends a prepared envelope; the returned future yields the call's result.
pub(crate) fn send_prepared<Tr, T, E>(
    transport: &Tr,
    prepared: &Prepared,
    errors: Option<StepErrors<E>>,
) -> CallFuture<T, E, Tr::Reply>
where
    Tr: Transport + ?Sized,
{
    let mut future = CallFuture {
        reply: None,
        early: None,
        deadline_ms: prepared.deadline,
        deadline: Deadline::at(prepared.deadline),
        cancel: None,
        errors,
        by_name: prepared.by_name.is_some(),
        id: prepared.id,
        done: false,
        _value: PhantomData,
    };
    match (&prepared.envelope, prepared.by_name) {
        (Ok(envelope), None) => future.reply = Some(transport.send(envelope)),
        (Ok(args), Some(name)) => match transport.send_named(name, args) {
            Some(reply) => future.reply = Some(reply),
            None => future.early = Some(CallError::Transport(NO_NAMED_CALLS.into())),
        },
        (Err(e), _) => future.early = Some(widen(e.clone())),
    }
    future
}

impl<T, E, R> Future for CallFuture<T, E, R>
where
    T: DeserializeOwned,
    E: DeserializeOwned,
    R: Future<Output = Result<String, CallError<crate::Never>>> + Unpin,
{
    type Output = Result<T, CallError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.done, "a CallFuture was polled after it completed");
        let finish = |this: &mut Self, result| {
            this.done = true;
            this.reply = None;
            // The call has ended: its timer goes now, not when the future is dropped.
            this.deadline = Deadline::at(0);
            if let Some(cancel) = &this.cancel {
                cancel.finished.set(true);
            }
            Poll::Ready(result)
        };
        if let Some(error) = this.early.take() {
            return finish(this, Err(error));
        }
        if this.cancel.as_ref().is_some_and(|c| c.cancelled.get()) {
            return finish(this, Err(CallError::Cancelled));
        }
        if let Some(reply) = this.reply.as_mut() {
            if let Poll::Ready(reply) = Pin::new(reply).poll(cx) {
                // A reply after the deadline is dropped, whichever came first to this task:
                // on a loaded machine the deadline's timer may run after the reply's event.
                if runtime::now_ms() >= this.deadline_ms {
                    return finish(this, Err(CallError::Timeout));
                }
                let result = match reply {
                    Ok(text) if this.by_name => wire::decode_value(&text),
                    Ok(text) => wire::decode_call_reply(&text, this.errors.as_ref()),
                    Err(e) => Err(widen(e)),
                };
                return finish(this, result);
            }
        }
        if Pin::new(&mut this.deadline).poll(cx).is_ready() {
            return finish(this, Err(CallError::Timeout));
        }
        if let Some(cancel) = &this.cancel {
            cancel.wake_on_cancel(cx.waker());
        }
        Poll::Pending
    }
}
