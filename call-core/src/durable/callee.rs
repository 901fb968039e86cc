//! The callee's side of a durable call: at most once. A reply is recorded in the turn its
//! plan finishes; a retry of the same key is answered from the record, and one that
//! arrives while the first is still running waits for its reply.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::store::Value;
use super::Durable;
use crate::dispatch::{self, Callee as Target};
use crate::runtime::{log_error, now_ms};
use crate::wire::{DurableId, Envelope};

/// How long after a call's deadline its reply is kept (milliseconds).
const KEEP_AFTER_DEADLINE: u64 = 60_000;
/// How often expired replies are swept, at most (milliseconds).
const SWEEP_EVERY: u64 = 60_000;

/// Replies being computed, by `(caller, key)`; when records were last swept.
#[derive(Default)]
pub(crate) struct Callee {
    running: RefCell<HashMap<(String, String), Rc<Slot>>>,
    swept: Cell<u64>,
}

/// The reply of a running call, for the retries that wait for it.
#[derive(Default)]
pub(crate) struct Slot {
    reply: RefCell<Option<String>>,
    waiters: RefCell<Vec<Waker>>,
}

/// Answers a durable envelope for `target`, which keeps reply records: from its record, by
/// waiting for the delivery that is running it, or by running it and recording the reply.
pub(crate) async fn serve<T: Target>(target: &T, env: Envelope<'_>, now_ms: u64) -> String {
    let Some(id) = env.d else { return dispatch::run_async(target, &env).await };
    match begin(target, id) {
        Begin::Run => match dispatch::check_deadline(env, now_ms) {
            Ok(env) => dispatch::run_async(target, &env).await,
            Err(reply) => reply,
        },
        Begin::Answered(reply, durable) => {
            durable.tick.next().await;
            reply
        }
        Begin::Wait(reply) => reply.await,
        Begin::First(durable) => {
            let env = match dispatch::check_deadline(env, now_ms) {
                Ok(env) => env,
                Err(reply) => {
                    // Never ran: nothing to record.
                    settle(&durable, id, &reply);
                    return reply;
                }
            };
            // With the other durable calls of this tick: one commit for all their writes.
            durable.tick.next().await;
            let reply = dispatch::run_async(target, &env).await;
            record(&durable, id, env.dl, &reply);
            reply
        }
    }
}

/// What to do with a durable envelope.
enum Begin {
    /// Not durable, or the callee keeps no records: run it.
    Run,
    /// A first delivery: run it, then [`record`] the reply.
    First(Rc<Durable>),
    /// Answered before: this reply (sent at the next tick, with the other answers of the
    /// tick, so that the caller receives them together and finishes them in one commit).
    Answered(String, Rc<Durable>),
    /// Running now: wait for its reply.
    Wait(WaitReply),
}

/// Whether `target` keeps reply records (so a durable envelope for it is answered in
/// `__call_async`, at its next tick, with its reply record: see [`tick`](super::tick)).
pub(crate) fn records<T: 'static>(target: &T, id: Option<DurableId<'_>>) -> bool {
    id.is_some() && Durable::of_object(target).is_some()
}

/// Looks up the durable call `id` on `target`.
fn begin<T: 'static>(target: &T, id: DurableId<'_>) -> Begin {
    let Some(durable) = Durable::of_object(target) else { return Begin::Run };
    let running = (id.caller.to_string(), id.key.to_string());
    if let Some(slot) = durable.callee.running.borrow().get(&running) {
        return Begin::Wait(WaitReply(slot.clone()));
    }
    let recorded = durable.sql.texts(
        "SELECT reply FROM _call_core_replies WHERE caller = ? AND key = ?",
        &[Value::Text(id.caller), Value::Text(id.key)],
    );
    match recorded {
        Ok(replies) if !replies.is_empty() => {
            return Begin::Answered(replies.into_iter().next().unwrap_or_default(), durable);
        }
        Ok(_) => {}
        Err(e) => log_error(&format!("call-core: cannot read the reply record of durable call {}: {e}", id.key)),
    }
    durable.callee.running.borrow_mut().insert(running, Rc::default());
    Begin::First(durable)
}

/// Records the reply of the first delivery of `id` (in the turn the plan finished), and
/// hands it to the retries waiting for it.
fn record(durable: &Durable, id: DurableId<'_>, deadline: Option<u64>, reply: &str) {
    let now = now_ms();
    let expires = deadline.unwrap_or(now).saturating_add(KEEP_AFTER_DEADLINE);
    let written = durable.sql.run(
        "INSERT OR REPLACE INTO _call_core_replies (caller, key, reply, expires) VALUES (?, ?, ?, ?)",
        &[Value::Text(id.caller), Value::Text(id.key), Value::Text(reply), Value::Int(expires as i64)],
    );
    if let Err(e) = written {
        log_error(&format!("call-core: cannot record the reply of durable call {}: {e}", id.key));
    }
    if now.saturating_sub(durable.callee.swept.get()) > SWEEP_EVERY {
        durable.callee.swept.set(now);
        let _ = durable.sql.run("DELETE FROM _call_core_replies WHERE expires < ?", &[Value::Int(now as i64)]);
    }
    settle(durable, id, reply);
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
