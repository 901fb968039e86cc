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
use crate::continuation::log_error;
use crate::home::Home;
use crate::runtime::now_ms;
use crate::wire::DurableId;

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

/// What to do with a durable envelope.
pub(crate) enum Begin {
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
    id.is_some() && Home::of(target).is_some_and(|h| h.durable.is_some())
}

/// Looks up the durable call `id` on `target`.
pub(crate) fn begin<T: 'static>(target: &T, id: Option<DurableId<'_>>) -> Begin {
    let Some(id) = id else { return Begin::Run };
    let Some(durable) = Home::of(target).and_then(|h| h.durable.clone()) else { return Begin::Run };
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
pub(crate) fn record(durable: &Durable, id: DurableId<'_>, deadline: Option<u64>, reply: &str) {
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
    let slot = durable.callee.running.borrow_mut().remove(&(id.caller.to_string(), id.key.to_string()));
    if let Some(slot) = slot {
        *slot.reply.borrow_mut() = Some(reply.to_string());
        for waker in slot.waiters.borrow_mut().drain(..) {
            waker.wake();
        }
    }
}

/// The reply of a call that another delivery of it is computing.
pub(crate) struct WaitReply(Rc<Slot>);

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
