//! Re-sending a durable call after a transient failure of its RPC.
//!
//! A durable call whose RPC fails in transport (the callee was reset by `ctx.abort()` or a
//! deploy — "reset by …" —, was overloaded, or workerd marked the error `retryable` or
//! `overloaded`, see [`stub`](crate::stub)) has not ended: its row stays, and it is sent
//! again with the same key (the callee's reply record answers it if the first delivery
//! ran to its end), through a new stub, after a backoff of 100 ms that doubles up to 2 s,
//! until an answer arrives or the deadline passes (then the call ends with `Timeout`, as
//! any call whose deadline passes). A reply that does not decode, or is not a string, is
//! an answer: it is not retried.
//!
//! workerd itself retries a Durable Object RPC only when it knows the request was not
//! delivered; a failure after delivery (the reset of a callee that was running the method)
//! reaches the caller, and this is what sends it again. Both re-sends carry the same key,
//! so a callee with SQLite storage runs the method at most once.
//!
//! [`Resender`] is the [`Transport`] a durable call is sent through: its first send is the
//! call's, in the turn that wrote the row (the output gate holds it until the row is
//! durable); the re-sends are the reply future's.

use std::rc::Rc;

use super::store::Value;
use super::Durable;
use crate::error::{CallError, Never};
use crate::runtime::{log_error, now_ms, Deadline, LocalBoxFuture};
use crate::stub::{Address, CallStub, NOT_A_STRING};
use crate::transport::Transport;
use crate::wire::{lift_direct_step, UNDECODABLE};

/// The wait before the first re-send (milliseconds).
pub(super) const FIRST_BACKOFF: u64 = 100;
/// The longest wait between two re-sends (milliseconds).
pub(super) const MAX_BACKOFF: u64 = 2_000;

/// Whether a call that failed with `error` may be sent again: a transport failure, but not
/// an answer that did not decode.
pub(super) fn transient<E>(error: &CallError<E>) -> bool {
    match error {
        CallError::Transport(message) => !message.starts_with(UNDECODABLE) && !message.starts_with(NOT_A_STRING),
        _ => false,
    }
}

/// The wait after `delay`: doubled, at most [`MAX_BACKOFF`].
pub(super) fn next_backoff(delay: u64) -> u64 {
    delay.saturating_mul(2).min(MAX_BACKOFF)
}

/// Sends a durable call, and again after a transient failure (see the module docs).
pub(super) struct Resender {
    pub(super) durable: Rc<Durable>,
    /// The call's key (its row).
    pub(super) key: String,
    /// Where it goes (a new stub is made there for each re-send).
    pub(super) address: Address,
    /// The stub of the first send.
    pub(super) stub: CallStub,
    /// The call's deadline (milliseconds since the epoch).
    pub(super) deadline: u64,
    /// For a call recovered without its step errors: the steps of its joined plan whose
    /// errors convert (see [`lift_direct_step`]); `None`: the reply as it is.
    pub(super) lift: Option<Vec<u32>>,
}

impl Transport for Resender {
    type Reply = LocalBoxFuture<'static, Result<String, CallError<Never>>>;

    fn send(&self, envelope: &str) -> Self::Reply {
        let first = self.stub.send(envelope);
        let durable = self.durable.clone();
        let (key, address, deadline, lift) = (self.key.clone(), self.address.clone(), self.deadline, self.lift.clone());
        let envelope = envelope.to_owned();
        Box::pin(async move {
            let mut reply = first.await;
            let mut delay = FIRST_BACKOFF;
            loop {
                let error = match reply {
                    Err(error) if transient(&error) => error,
                    answer => return answer.map(|text| lift_reply(text, lift.as_deref())),
                };
                let now = now_ms();
                if now.saturating_add(delay) >= deadline {
                    // No time for another attempt: the call ends with `Timeout` at its deadline.
                    Deadline::at(deadline).await;
                    return Err(error);
                }
                if delay == FIRST_BACKOFF {
                    log_error(&format!("call-core: durable call {key}: {error}; sending it again until its deadline"));
                }
                Deadline::at(now + delay).await;
                delay = next_backoff(delay);
                let _ = durable
                    .sql
                    .run("UPDATE _call_core_calls SET attempt = attempt + 1 WHERE key = ?", &[Value::Text(&key)]);
                reply = match CallStub::at(&durable.env, &address) {
                    Ok(stub) => stub.send(&envelope).await,
                    Err(e) => Err(CallError::Transport(format!("cannot reach the callee: {e}"))),
                };
            }
        })
    }
}

fn lift_reply(text: String, lift: Option<&[u32]>) -> String {
    match lift {
        Some(indirect) => lift_direct_step(text, indirect),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_failures_are_transient_but_answers_are_not() {
        assert!(transient::<Never>(&CallError::Transport("Error: reset by /probe/abort".into())));
        assert!(transient::<Never>(&CallError::Transport("Error: Durable Object is overloaded".into())));
        assert!(!transient::<Never>(&CallError::Transport(format!("{UNDECODABLE} (eof): {{"))));
        assert!(!transient::<Never>(&CallError::Transport(format!("{NOT_A_STRING}: 5"))));
        assert!(!transient::<Never>(&CallError::Timeout));
        assert!(!transient::<u8>(&CallError::App(1)));
    }

    #[test]
    fn the_backoff_doubles_up_to_two_seconds() {
        let mut delay = FIRST_BACKOFF;
        let mut waits = vec![delay];
        for _ in 0..6 {
            delay = next_backoff(delay);
            waits.push(delay);
        }
        assert_eq!(waits, [100, 200, 400, 800, 1_600, 2_000, 2_000]);
    }
}
