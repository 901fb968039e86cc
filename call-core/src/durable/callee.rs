//! The callee's side of a durable call: at most once, also across `await`s. The arrival of
//! a first delivery is recorded in the turn its plan starts (with the method's writes of
//! that turn), its reply in the turn the plan ends. A re-send of the same call is answered
//! from the record; one that arrives while the first is still running in this instance
//! waits for its reply; one whose first delivery started in an instance that ended gets
//! [`OutcomeUnknown`](crate::RemoteErrorKind::OutcomeUnknown) and is never run again. The
//! records themselves: [`records`](super::records).

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::records::{self, Found};
use super::Durable;
use crate::dispatch::{self, Callee as Target};
use crate::error::{RemoteError, RemoteErrorKind};
use crate::runtime::log_error;
use crate::wire::{self, DurableId, Envelope};

/// Replies being computed, by `(caller, key)`; what the records use.
#[derive(Default)]
pub(crate) struct Callee {
    running: RefCell<HashMap<(String, String), Rc<Slot>>>,
    pub(super) usage: records::Usage,
}

/// The reply of a running call, for the re-sends that wait for it.
struct Slot {
    hash: String,
    reply: RefCell<Option<String>>,
    waiters: RefCell<Vec<Waker>>,
}

/// Answers a durable envelope for `target`, which keeps records: from its record (before
/// any refusal), by waiting for the delivery that is running it, or by running it.
pub(crate) async fn serve<T: Target>(target: &T, env: Envelope<'_>, now_ms: u64) -> String {
    let (Some(id), Some(durable)) = (env.d, Durable::of_object(target)) else {
        return match dispatch::check_deadline(env, now_ms) {
            Ok(env) => dispatch::run_async(target, &env).await,
            Err(reply) => reply,
        };
    };
    let hash = super::plan_hash::hash(&durable, &env);
    match begin(&durable, id, &hash, &env, now_ms) {
        Begin::Answer(reply) => {
            // With the other answers of this tick, which the caller finishes in one commit.
            durable.tick.next().await;
            reply
        }
        Begin::Wait(reply) => reply.await,
        Begin::First(expires) => {
            // With the other durable calls of this tick: one commit for all their writes.
            durable.tick.next().await;
            let mut run = pin!(dispatch::run_async(target, &env));
            // The plan's first part runs now; its arrival is recorded in this same turn.
            let first = poll_fn(|cx| Poll::Ready(run.as_mut().poll(cx))).await;
            let reply = match first {
                Poll::Ready(reply) => records::write(&durable, id, &hash, Some(reply), expires).unwrap_or_default(),
                Poll::Pending => {
                    records::write(&durable, id, &hash, None, expires);
                    let reply = run.await;
                    records::finish(&durable, id, reply)
                }
            };
            settle(&durable, id, &reply);
            reply
        }
    }
}

/// What to do with a durable envelope.
enum Begin {
    /// A first delivery, admitted: run it; its record expires then.
    First(u64),
    /// This answer, without running anything (from the record, or a refusal).
    Answer(String),
    /// Running now: wait for its reply.
    Wait(WaitReply),
}

/// Whether `target` keeps records of durable calls (so a durable envelope for it is
/// answered in `__call_async`, at its next tick, with its record: see [`tick`](super::tick)).
pub(crate) fn keeps_records<T: 'static>(target: &T, id: Option<DurableId<'_>>) -> bool {
    id.is_some() && Durable::of_object(target).is_some()
}

/// Looks up the durable call `id` (plan hash `hash`): its record first, then the deadline
/// and the limits.
fn begin(durable: &Durable, id: DurableId<'_>, hash: &str, env: &Envelope<'_>, now: u64) -> Begin {
    let running = (id.caller.to_string(), id.key.to_string());
    if let Some(slot) = durable.callee.running.borrow().get(&running) {
        if slot.hash != hash {
            return Begin::Answer(records::conflict(id));
        }
        return Begin::Wait(WaitReply(slot.clone()));
    }
    match records::lookup(durable, id, hash) {
        Ok(Found::Nothing) => {}
        Ok(Found::Reply(reply)) => return Begin::Answer(reply),
        Ok(Found::Started) => return Begin::Answer(records::outcome_unknown(id)),
        Ok(Found::Conflict) => return Begin::Answer(records::conflict(id)),
        Err(e) => {
            log_error(&format!("call-core: cannot read the record of durable call {}: {e}", id.key));
            let e = RemoteError::new(RemoteErrorKind::Exception, format!("cannot read the record of the call: {e}"));
            return Begin::Answer(wire::reply_remote(&e));
        }
    }
    if let Some(late) = dispatch::late(env, now) {
        return Begin::Answer(late);
    }
    let expires = match records::admit(durable, id, env.dl, now) {
        Ok(expires) => expires,
        Err(refused) => return Begin::Answer(refused),
    };
    let slot = Slot { hash: hash.to_string(), reply: RefCell::default(), waiters: RefCell::default() };
    durable.callee.running.borrow_mut().insert(running, Rc::new(slot));
    Begin::First(expires)
}

/// Hands the reply of `id` to the deliveries waiting for it.
fn settle(durable: &Durable, id: DurableId<'_>, reply: &str) {
    let slot = durable.callee.running.borrow_mut().remove(&(id.caller.to_string(), id.key.to_string()));
    if let Some(slot) = slot {
        *slot.reply.borrow_mut() = Some(reply.to_string());
        for waker in slot.waiters.borrow_mut().drain(..) {
            waker.wake();
        }
    }
}

/// The reply of a call that another delivery of it is computing.
struct WaitReply(Rc<Slot>);

impl Future for WaitReply {
    type Output = String;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        if let Some(reply) = self.0.reply.borrow().clone() {
            return Poll::Ready(reply);
        }
        self.0.waiters.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }
}
