//! The callee side: decode an envelope, run its plan through the target's [`Dispatch`]
//! implementation, answer with a reply. Panics are caught and answered in-band; every
//! malformed input gets a typed error and the target keeps serving.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::{RemoteError, RemoteErrorKind};
use crate::plan::Step;
use crate::wire::{self, Limits};

/// A future owned by one dispatch, borrowing the target.
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Routes method ids to methods. Implemented by `#[continuation]` for the type of its
/// `impl` block; only the methods of that block are reachable.
pub trait Dispatch: 'static {
    /// The ids of the methods this type answers (`Type::method#signature-hash`).
    const METHODS: &'static [&'static str];

    /// Runs `method` with `args` (a JSON array). Arguments are decoded before the returned
    /// future is created, so it borrows only `self`.
    fn dispatch<'a>(&'a self, method: &str, args: &str) -> Dispatched<'a>;
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

/// A reply now, or the future of one.
pub enum Served<'a> {
    /// The reply.
    Ready(String),
    /// The reply, once the plan's async methods finish.
    Pending(LocalBoxFuture<'a, String>),
}

impl Served<'_> {
    /// The reply, awaiting it if needed.
    pub async fn reply(self) -> String {
        match self {
            Served::Ready(reply) => reply,
            Served::Pending(reply) => reply.await,
        }
    }
}

/// Answers one envelope: decode, check version, limits and deadline, run the plan, encode
/// the reply. `now_ms` is the callee's clock, for the deadline.
pub fn serve<'a, T: Dispatch>(target: &'a T, envelope: &str, now_ms: u64) -> Served<'a> {
    let limits = Limits::DEFAULT;
    let env = match wire::decode_envelope(envelope, &limits) {
        Ok(env) => env,
        Err(e) => return Served::Ready(wire::reply_remote(&e)),
    };
    if let Some(deadline) = env.dl {
        if now_ms > deadline {
            let late = RemoteError::new(
                RemoteErrorKind::DeadlineExceeded,
                format!("call {} arrived {} ms after its deadline", env.id, now_ms - deadline),
            );
            return Served::Ready(wire::reply_remote(&late));
        }
    }
    if let [step] = env.p.as_slice() {
        if step.r.is_empty() {
            // The common case: one step, no references, no copies.
            return match dispatch_caught(target, &step.m, step.a.get()) {
                Dispatched::Ready(outcome) => Served::Ready(final_reply(outcome, &limits)),
                Dispatched::Pending(fut) => Served::Pending(Box::pin(async move { final_reply(fut.await, &limits) })),
            };
        }
    }
    let steps: Vec<Step> = env
        .p
        .iter()
        .map(|s| Step { method: s.m.clone().into_owned().into(), args: s.a.get().to_owned(), refs: s.r.clone() })
        .collect();
    Served::Pending(Box::pin(run_steps(target, steps, limits)))
}

async fn run_steps<T: Dispatch>(target: &T, steps: Vec<Step>, limits: Limits) -> String {
    let last = steps.len() - 1;
    let mut results: Vec<String> = Vec::with_capacity(steps.len());
    for (i, Step { method, args, refs }) in steps.into_iter().enumerate() {
        let args = match substitute(&args, &refs, &results) {
            Ok(args) => args,
            Err(e) => return wire::reply_remote(&e),
        };
        let outcome = match dispatch_caught(target, &method, &args) {
            Dispatched::Ready(outcome) => outcome,
            Dispatched::Pending(fut) => fut.await,
        };
        match outcome {
            Outcome::Ok(value) if i < last => results.push(value),
            Outcome::App(raw) if i < last => {
                let e = RemoteError::new(
                    RemoteErrorKind::Exception,
                    format!("step {i} ({method}) returned an error: {}", wire::preview(&raw)),
                );
                return wire::reply_remote(&e);
            }
            outcome => return final_reply(outcome, &limits),
        }
    }
    unreachable!("the loop returns at the last step")
}

/// Replaces the `null` placeholders of `args` with earlier results.
fn substitute(args: &str, refs: &[(u32, u32)], results: &[String]) -> Result<String, RemoteError> {
    if refs.is_empty() {
        return Ok(args.to_owned());
    }
    let decode = |m: String| RemoteError::new(RemoteErrorKind::Decode, m);
    let mut items: Vec<&serde_json::value::RawValue> =
        serde_json::from_str(args).map_err(|e| decode(format!("arguments are not a JSON array: {e}")))?;
    for &(arg, from) in refs {
        let result = results.get(from as usize).ok_or_else(|| decode(format!("no result of step {from}")))?;
        let slot = items.get_mut(arg as usize).ok_or_else(|| decode(format!("no argument {arg}")))?;
        *slot = serde_json::from_str(result).map_err(|e| decode(e.to_string()))?;
    }
    serde_json::to_string(&items).map_err(|e| decode(e.to_string()))
}

fn final_reply(outcome: Outcome, limits: &Limits) -> String {
    let reply = match outcome {
        Outcome::Ok(raw) => wire::reply_ok(&raw),
        Outcome::App(raw) => wire::reply_app(&raw),
        Outcome::Failed(e) => return wire::reply_remote(&e),
    };
    match limits.check_bytes("the reply", reply.len()) {
        Ok(()) => reply,
        Err(m) => wire::reply_remote(&RemoteError::new(RemoteErrorKind::Limit, m)),
    }
}

/// Dispatches with panics turned into [`RemoteErrorKind::Panic`], also inside async
/// methods. (With a `panic=abort` std, a panic aborts instead; the generated JavaScript
/// entry then answers in-band for it.)
fn dispatch_caught<'a, T: Dispatch>(target: &'a T, method: &str, args: &str) -> Dispatched<'a> {
    match catch_unwind(AssertUnwindSafe(|| target.dispatch(method, args))) {
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
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".into());
    Outcome::Failed(RemoteError::new(RemoteErrorKind::Panic, format!("{method} panicked: {message}")))
}

/// The outcome for a method id that `T` does not answer: [`RemoteErrorKind::VersionMismatch`]
/// when `T` has a method of that name with another signature, else
/// [`RemoteErrorKind::UnknownMethod`].
pub fn unknown_method<T: Dispatch>(method: &str) -> Outcome {
    let name = method.split('#').next().unwrap_or(method);
    let known = T::METHODS.iter().find(|m| m.split('#').next() == Some(name));
    let error = match known {
        Some(ours) => RemoteError::new(
            RemoteErrorKind::VersionMismatch,
            format!("`{method}` does not match this build's `{ours}`: the caller was built from another version"),
        ),
        None => {
            let names: Vec<&str> = T::METHODS.iter().map(|m| m.split('#').next().unwrap_or(m)).collect();
            RemoteError::new(
                RemoteErrorKind::UnknownMethod,
                format!("no method `{name}` here; callable methods: {}", names.join(", ")),
            )
        }
    };
    Outcome::Failed(error)
}
