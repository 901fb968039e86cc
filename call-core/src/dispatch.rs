//! The callee side: decode an envelope, run its plan through the target's [`Dispatch`]
//! implementation, answer with a reply. Panics are caught and answered in-band; every
//! malformed input gets a typed error and the target keeps serving. A durable call's
//! records wrap this (see [`durable`](crate::durable)); the generated entry composes the two
//! (the entry's bodies).

use std::borrow::Cow;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use serde_json::value::RawValue;

use crate::continuation::Continuation;
use crate::error::{RemoteError, RemoteErrorKind};
use crate::plan::Step;
use crate::runtime::panic_message;
pub use crate::runtime::LocalBoxFuture;
use crate::wire::{self, Envelope, Limits};

/// A dispatch table: routes method ids to the methods of [`Dispatch::Object`].
/// `#[continuation]` writes one per type, holding only its `#[callable]` methods:
/// continuation handlers are not reachable through it (they run only through
/// `then`).
pub trait Dispatch: 'static {
    /// The Durable Object whose methods these are.
    type Object: 'static;

    /// The ids of the methods answered (`Type::method#signature-hash`).
    const METHODS: &'static [&'static str];

    /// Whether `method` is an `async` method (unknown ids are not).
    fn is_async(method: &str) -> bool;

    /// Runs `method` of `object` with `args` (a JSON array). Arguments are decoded before
    /// the returned future is created, so it borrows only `object`.
    fn dispatch<'a>(object: &'a Self::Object, method: &str, args: &str) -> Dispatched<'a>;
}

/// A type with a `#[continuation]` impl, as a callee: its dispatch table.
pub trait Callee: 'static {
    /// The table `#[continuation]` generated.
    type Table: Dispatch<Object = Self>;
}

impl<T: Continuation> Callee for T
where
    T::Calls: Dispatch<Object = T>,
{
    type Table = T::Calls;
}

/// The ids of `T`'s callable methods.
pub fn methods<T: Callee>() -> &'static [&'static str] {
    T::Table::METHODS
}

/// What a dispatch produced: an outcome now (a sync method, or a failure before the method
/// ran) or a future of one (an async method).
pub enum Dispatched<'a> {
    /// Finished.
    Ready(Outcome),
    /// Still running.
    Pending(LocalBoxFuture<'a, Outcome>),
}

/// The outcome of one step, its values as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The method returned this value (or `Ok` of it).
    Ok(String),
    /// The method returned `Err` of this value.
    App(String),
    /// The method could not run, or panicked.
    Failed(RemoteError),
}

/// Answers one envelope now, if its plan runs only sync methods: decode, check version,
/// limits and deadline, run the steps, encode the reply. `None` when a step is an async
/// method: nothing has run, and [`serve_async`] answers it. `now_ms` is the callee's clock,
/// for the deadline.
pub fn serve_now<T: Callee>(target: &T, envelope: &str, now_ms: u64) -> Option<String> {
    let env = match decode(envelope).and_then(|env| check_deadline(env, now_ms)) {
        Ok(env) => env,
        Err(reply) => return Some(reply),
    };
    if is_async::<T>(&env) {
        return None;
    }
    Some(run_now(target, &env))
}

/// Answers one envelope, awaiting the plan's async methods.
pub async fn serve_async<T: Callee>(target: &T, envelope: &str, now_ms: u64) -> String {
    match decode(envelope).and_then(|env| check_deadline(env, now_ms)) {
        Ok(env) => run_async(target, &env).await,
        Err(reply) => reply,
    }
}

/// Answers one envelope: now when it can, else asynchronously (what the generated entry
/// does, in one future; for in-process transports and tests).
pub async fn serve<T: Callee>(target: &T, envelope: &str, now_ms: u64) -> String {
    match serve_now(target, envelope, now_ms) {
        Some(reply) => reply,
        None => serve_async(target, envelope, now_ms).await,
    }
}

/// Answers a call of one callable method by its id from JavaScript (a generated method of
/// the object's class, see call-build): no envelope, no deadline; the reply is the value's
/// JSON text, or `!` and the usual error reply (no JSON text starts with `!`). `None` when
/// the method is async: nothing has run, and [`serve_named_async`] answers it.
pub fn serve_named_now<T: Callee>(target: &T, method: &str, args: &str) -> Option<String> {
    if T::Table::is_async(method) {
        return None;
    }
    match start_named::<T>(target, method, args) {
        Dispatched::Ready(outcome) => Some(named_reply(outcome)),
        Dispatched::Pending(_) => unreachable!("checked: the method is not async"),
    }
}

/// [`serve_named_now`] for an async method.
pub async fn serve_named_async<T: Callee>(target: &T, method: &str, args: &str) -> String {
    named_reply(match start_named::<T>(target, method, args) {
        Dispatched::Ready(outcome) => outcome,
        Dispatched::Pending(future) => future.await,
    })
}

fn start_named<'a, T: Callee>(target: &'a T, method: &str, args: &str) -> Dispatched<'a> {
    match Limits::DEFAULT.check_bytes("the arguments", args.len()) {
        Ok(()) => dispatch_caught::<T>(target, method, args),
        Err(m) => Dispatched::Ready(Outcome::Failed(RemoteError::new(RemoteErrorKind::Limit, m))),
    }
}

fn named_reply(outcome: Outcome) -> String {
    let reply = match outcome {
        Outcome::Ok(value) => match Limits::DEFAULT.check_bytes("the reply", value.len()) {
            Ok(()) => return value,
            Err(m) => wire::reply_remote(&RemoteError::new(RemoteErrorKind::Limit, m)),
        },
        outcome => final_reply(outcome, &Limits::DEFAULT),
    };
    format!("!{reply}")
}

/// Decodes an envelope under the default limits, or answers the error.
pub(crate) fn decode(envelope: &str) -> Result<Envelope<'_>, String> {
    wire::decode_envelope(envelope, &Limits::DEFAULT).map_err(|e| wire::reply_remote(&e))
}

/// The envelope if its deadline has not passed at `now_ms`, else the `DeadlineExceeded`
/// reply.
pub(crate) fn check_deadline(env: Envelope<'_>, now_ms: u64) -> Result<Envelope<'_>, String> {
    match late(&env, now_ms) {
        Some(reply) => Err(reply),
        None => Ok(env),
    }
}

/// The `DeadlineExceeded` reply, if `env`'s deadline has passed at `now_ms`.
pub(crate) fn late(env: &Envelope<'_>, now_ms: u64) -> Option<String> {
    let deadline = env.dl.filter(|&deadline| now_ms > deadline)?;
    let late = RemoteError::new(
        RemoteErrorKind::DeadlineExceeded,
        format!("call {} arrived {} ms after its deadline", env.id, now_ms - deadline),
    );
    Some(wire::reply_remote(&late))
}

/// Whether the plan has a step that is an `async` method of `T`.
pub(crate) fn is_async<T: Callee>(env: &Envelope<'_>) -> bool {
    env.p.iter().any(|step| T::Table::is_async(&step.method))
}

/// Runs a plan of sync methods.
pub(crate) fn run_now<T: Callee>(target: &T, env: &Envelope<'_>) -> String {
    let limits = &Limits::DEFAULT;
    if let [step] = env.p.as_slice() {
        if step.refs.is_empty() {
            // The common case: one step, no references, no copies.
            return match dispatch_caught::<T>(target, &step.method, &step.args) {
                Dispatched::Ready(outcome) => final_reply(outcome, limits),
                Dispatched::Pending(_) => unreachable!("checked: no step is async"),
            };
        }
    }
    let mut run = Run::new(env.p.len());
    for (i, step) in env.p.iter().enumerate() {
        let outcome = match run.args(step) {
            Ok(args) => match dispatch_caught::<T>(target, &step.method, &args) {
                Dispatched::Ready(outcome) => outcome,
                Dispatched::Pending(_) => unreachable!("checked: no step is async"),
            },
            Err(e) => Outcome::Failed(e),
        };
        if let Some(reply) = run.record(i, outcome, limits) {
            return reply;
        }
    }
    unreachable!("the last step always answers")
}

/// Runs a plan, awaiting its async methods.
pub(crate) async fn run_async<T: Callee>(target: &T, env: &Envelope<'_>) -> String {
    let limits = &Limits::DEFAULT;
    let mut run = Run::new(env.p.len());
    for (i, step) in env.p.iter().enumerate() {
        let outcome = match run.args(step) {
            Ok(args) => match dispatch_caught::<T>(target, &step.method, &args) {
                Dispatched::Ready(outcome) => outcome,
                Dispatched::Pending(future) => future.await,
            },
            Err(e) => Outcome::Failed(e),
        };
        if let Some(reply) = run.record(i, outcome, limits) {
            return reply;
        }
    }
    unreachable!("the last step always answers")
}

/// The results of a plan's steps so far, each checked as JSON once (a reference to it
/// copies it without parsing it again).
struct Run {
    results: Vec<Box<RawValue>>,
    last: usize,
}

impl Run {
    fn new(steps: usize) -> Run {
        Run { results: Vec::with_capacity(steps), last: steps.saturating_sub(1) }
    }

    /// The arguments of `step`, earlier results substituted.
    fn args<'s>(&self, step: &'s Step<'_>) -> Result<Cow<'s, str>, RemoteError> {
        if step.refs.is_empty() {
            return Ok(Cow::Borrowed(&step.args));
        }
        substitute(&step.args, &step.refs, &self.results).map(Cow::Owned)
    }

    /// Records step `i`'s outcome; the reply when the plan ends here: after the last step,
    /// or at the first step that fails (an earlier step's application error travels with
    /// its index, for the caller to decode with that step's type).
    fn record(&mut self, i: usize, outcome: Outcome, limits: &Limits) -> Option<String> {
        match outcome {
            Outcome::Ok(value) if i < self.last => match RawValue::from_string(value) {
                Ok(value) => {
                    self.results.push(value);
                    None
                }
                Err(e) => {
                    let e = RemoteError::new(RemoteErrorKind::Encode, format!("step {i}'s result is not JSON: {e}"));
                    Some(wire::reply_remote(&e))
                }
            },
            Outcome::App(raw) if i < self.last => Some(checked(wire::reply_step_app(i, &raw), limits)),
            outcome => Some(final_reply(outcome, limits)),
        }
    }
}

/// Replaces the `null` placeholders of `args` with earlier results (parsed once, when they
/// were recorded; the arguments once here).
fn substitute(args: &str, refs: &[(u32, u32)], results: &[Box<RawValue>]) -> Result<String, RemoteError> {
    if refs.is_empty() {
        return Ok(args.to_owned());
    }
    let decode = |m: String| RemoteError::new(RemoteErrorKind::Decode, m);
    let mut items: Vec<&RawValue> =
        serde_json::from_str(args).map_err(|e| decode(format!("arguments are not a JSON array: {e}")))?;
    for &(arg, from) in refs {
        let result = results.get(from as usize).ok_or_else(|| decode(format!("no result of step {from}")))?;
        let slot = items.get_mut(arg as usize).ok_or_else(|| decode(format!("no argument {arg}")))?;
        *slot = result;
    }
    serde_json::to_string(&items).map_err(|e| decode(e.to_string()))
}

fn final_reply(outcome: Outcome, limits: &Limits) -> String {
    let reply = match outcome {
        Outcome::Ok(raw) => wire::reply_ok(&raw),
        Outcome::App(raw) => wire::reply_app(&raw),
        Outcome::Failed(e) => return wire::reply_remote(&e),
    };
    checked(reply, limits)
}

/// `reply`, or a `Limit` error if it is too large to send.
fn checked(reply: String, limits: &Limits) -> String {
    match limits.check_bytes("the reply", reply.len()) {
        Ok(()) => reply,
        Err(m) => wire::reply_remote(&RemoteError::new(RemoteErrorKind::Limit, m)),
    }
}

/// Dispatches with panics turned into [`RemoteErrorKind::Panic`], also inside async
/// methods. (With a `panic=abort` std, a panic aborts instead; the generated JavaScript
/// entry then answers in-band for it.)
fn dispatch_caught<'a, T: Callee>(target: &'a T, method: &str, args: &str) -> Dispatched<'a> {
    match catch_unwind(AssertUnwindSafe(|| T::Table::dispatch(target, method, args))) {
        Ok(Dispatched::Ready(outcome)) => Dispatched::Ready(outcome),
        Ok(Dispatched::Pending(fut)) => Dispatched::Pending(Box::pin(CatchUnwind(fut, method.to_owned()))),
        Err(payload) => Dispatched::Ready(panicked(method, &*payload)),
    }
}

struct CatchUnwind<'a>(LocalBoxFuture<'a, Outcome>, String);

impl Future for CatchUnwind<'_> {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(panicked(&self.1, &*payload)),
        }
    }
}

fn panicked(method: &str, payload: &(dyn std::any::Any + Send)) -> Outcome {
    let message = panic_message(payload);
    Outcome::Failed(RemoteError::new(RemoteErrorKind::Panic, format!("{method} panicked: {message}")))
}

/// The outcome for a method id that table `D` does not answer:
/// [`RemoteErrorKind::VersionMismatch`] when it has a method of that name with another
/// signature, else [`RemoteErrorKind::UnknownMethod`].
pub fn unknown_method<D: Dispatch>(method: &str) -> Outcome {
    let name = method.split('#').next().unwrap_or(method);
    let known = D::METHODS.iter().find(|m| m.split('#').next() == Some(name));
    let error = match known {
        Some(ours) => RemoteError::new(
            RemoteErrorKind::VersionMismatch,
            format!("`{method}` does not match this build's `{ours}`: the caller was built from another version"),
        ),
        // Callers do not learn what else is here.
        None => RemoteError::new(RemoteErrorKind::UnknownMethod, format!("no callable method `{name}` here")),
    };
    Outcome::Failed(error)
}
