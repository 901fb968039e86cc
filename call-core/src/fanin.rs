//! Fan-in: calls to several objects at once, and one result when every one has ended.
//!
//! ```text
//! let (a, b) = call!(all(left => Ledger::balance(x), right => Ledger::balance(y))).await;
//! call!(all(left => Ledger::balance(x), right => Remote::echo(7)), then self.on_both($result, tag));
//! ```
//!
//! Every member is a call of its own, sent when `call!` runs, in the order written (after
//! every member's arguments were evaluated, and for `then` the continuation's): its own
//! call id, deadline (the `timeout` applies to each member) and typed result
//! `Result<T, CallError<E>>`; a member may be a nested call. The fan-in's result is the
//! tuple of the members' results, in the order written, once every member has ended (with
//! its value or its error: one member's timeout does not end the others).
//!
//! With `then` ([`then_all`](crate::then::then_all)), the continuation runs exactly once,
//! like a single call's, on the caller's own object, and not at all if that object is gone
//! by then. [`CallHandle::cancel`](crate::CallHandle::cancel) cancels every member still
//! pending (each gets [`CallError::Cancelled`]; the others keep their results) and runs the
//! continuation now.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;

use crate::caller::{CallFuture, CancelState};
use crate::error::{CallError, Never};
use crate::plan::Call;

/// A member's pending call, as the fan-in sees it.
pub trait MemberFuture: Future + Unpin {
    /// The member's result when the fan-in is cancelled before it ended.
    fn cancelled() -> Self::Output;
    /// The call id carried by its envelope.
    fn call_id(&self) -> u64;
}

impl<T, E, R> MemberFuture for CallFuture<T, E, R>
where
    T: DeserializeOwned,
    E: DeserializeOwned,
    R: Future<Output = Result<String, CallError<Never>>> + Unpin,
{
    fn cancelled() -> Self::Output {
        Err(CallError::Cancelled)
    }

    fn call_id(&self) -> u64 {
        CallFuture::call_id(self)
    }
}

/// One member's place in a fan-in: pending, ended, or handed over.
pub enum Slot<F: Future> {
    /// Still running.
    Pending(F),
    /// Ended with this result.
    Done(F::Output),
    /// Its result was handed over.
    Taken,
}

impl<F: MemberFuture> Slot<F> {
    /// Polls the member if it is pending; whether it has ended.
    fn poll(&mut self, cx: &mut Context<'_>) -> bool {
        if let Slot::Pending(future) = self {
            match Pin::new(future).poll(cx) {
                // Replacing the future drops it, and its deadline with it.
                Poll::Ready(result) => *self = Slot::Done(result),
                Poll::Pending => return false,
            }
        }
        true
    }

    fn cancel(&mut self) {
        if let Slot::Pending(_) = self {
            *self = Slot::Done(F::cancelled());
        }
    }

    fn take(&mut self) -> F::Output {
        match std::mem::replace(self, Slot::Taken) {
            Slot::Done(result) => result,
            _ => unreachable!("a fan-in hands its results over once, when every member has ended"),
        }
    }

    fn call_id(&self) -> u64 {
        match self {
            Slot::Pending(future) => future.call_id(),
            _ => 0,
        }
    }
}

/// The members of a fan-in, sent: a tuple of 1 to 12 [`MemberFuture`]s.
pub trait Members {
    /// The tuple of the members' results.
    type Output;
    /// The tuple of the members' [`Slot`]s.
    type Slots: Slots<Output = Self::Output>;
    /// How many members.
    const SIZE: usize;
    /// The fan-in of these members.
    fn all(self) -> All<Self::Slots>;
}

/// The tuple of a fan-in's [`Slot`]s.
pub trait Slots {
    /// The tuple of the members' results.
    type Output;
    /// Polls every pending member; whether all have ended.
    fn poll_all(&mut self, cx: &mut Context<'_>) -> bool;
    /// Ends every pending member with its cancellation.
    fn cancel_all(&mut self);
    /// The results, once all have ended.
    fn take_all(&mut self) -> Self::Output;
    /// The call id of the first member.
    fn first_id(&self) -> u64;
}

macro_rules! tuples {
    ($( ($($M:ident $i:tt),+) )+) => {$(
        impl<$($M: MemberFuture),+> Members for ($($M,)+) {
            type Output = ($($M::Output,)+);
            type Slots = ($(Slot<$M>,)+);
            const SIZE: usize = [$($i),+].len();

            fn all(self) -> All<Self::Slots> {
                All::new(($(Slot::Pending(self.$i),)+))
            }
        }

        impl<$($M: MemberFuture),+> Slots for ($(Slot<$M>,)+) {
            type Output = ($($M::Output,)+);

            fn poll_all(&mut self, cx: &mut Context<'_>) -> bool {
                let mut ended = true;
                $(ended &= self.$i.poll(cx);)+
                ended
            }

            fn cancel_all(&mut self) {
                $(self.$i.cancel();)+
            }

            fn take_all(&mut self) -> Self::Output {
                ($(self.$i.take(),)+)
            }

            fn first_id(&self) -> u64 {
                self.0.call_id()
            }
        }
    )+};
}

tuples! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, F 4)
    (A 0, B 1, C 2, D 3, F 4, G 5)
    (A 0, B 1, C 2, D 3, F 4, G 5, H 6)
    (A 0, B 1, C 2, D 3, F 4, G 5, H 6, I 7)
    (A 0, B 1, C 2, D 3, F 4, G 5, H 6, I 7, J 8)
    (A 0, B 1, C 2, D 3, F 4, G 5, H 6, I 7, J 8, K 9)
    (A 0, B 1, C 2, D 3, F 4, G 5, H 6, I 7, J 8, K 9, L 10)
    (A 0, B 1, C 2, D 3, F 4, G 5, H 6, I 7, J 8, K 9, L 10, M 11)
}

/// The most members one fan-in takes (the tuples [`Members`] is implemented for).
pub const MAX_MEMBERS: usize = 12;

/// The calls of a fan-in, by reference: a tuple of `&Call`s, for the type of its results.
pub trait Results {
    /// The tuple of the calls' results.
    type Output;
}

macro_rules! results {
    ($( ($($T:ident $E:ident),+) )+) => {$(
        impl<$($T, $E),+> Results for ($(&Call<$T, $E>,)+) {
            type Output = ($(Result<$T, CallError<$E>>,)+);
        }
    )+};
}

results! {
    (T0 E0)
    (T0 E0, T1 E1)
    (T0 E0, T1 E1, T2 E2)
    (T0 E0, T1 E1, T2 E2, T3 E3)
    (T0 E0, T1 E1, T2 E2, T3 E3, T4 E4)
    (T0 E0, T1 E1, T2 E2, T3 E3, T4 E4, T5 E5)
    (T0 E0, T1 E1, T2 E2, T3 E3, T4 E4, T5 E5, T6 E6)
    (T0 E0, T1 E1, T2 E2, T3 E3, T4 E4, T5 E5, T6 E6, T7 E7)
    (T0 E0, T1 E1, T2 E2, T3 E3, T4 E4, T5 E5, T6 E6, T7 E7, T8 E8)
    (T0 E0, T1 E1, T2 E2, T3 E3, T4 E4, T5 E5, T6 E6, T7 E7, T8 E8, T9 E9)
    (T0 E0, T1 E1, T2 E2, T3 E3, T4 E4, T5 E5, T6 E6, T7 E7, T8 E8, T9 E9, T10 E10)
    (T0 E0, T1 E1, T2 E2, T3 E3, T4 E4, T5 E5, T6 E6, T7 E7, T8 E8, T9 E9, T10 E10, T11 E11)
}

/// The future of a fan-in: resolves to the tuple of its members' results when every member
/// has ended. Dropping it abandons every pending member.
#[must_use = "the calls are sent already; await the fan-in to get their results"]
pub struct All<S> {
    slots: S,
    cancel: Option<Rc<CancelState>>,
    id: u64,
    done: bool,
}

// Nothing is pinned structurally: the members are `Unpin` and the results plain data.
impl<S> Unpin for All<S> {}

impl<S: Slots> All<S> {
    fn new(slots: S) -> Self {
        let id = slots.first_id();
        All { slots, cancel: None, id, done: false }
    }

    /// The call id of the first member (the id a fan-in's `CallHandle` reports).
    pub fn call_id(&self) -> u64 {
        self.id
    }

    pub(crate) fn with_cancel(mut self, state: Rc<CancelState>) -> Self {
        self.cancel = Some(state);
        self
    }
}

impl<S> std::fmt::Debug for All<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("All").field("id", &self.id).field("done", &self.done).finish()
    }
}

impl<S: Slots> Future for All<S> {
    type Output = S::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<S::Output> {
        let this = self.get_mut();
        assert!(!this.done, "a fan-in was polled after it completed");
        if this.cancel.as_ref().is_some_and(|c| c.cancelled.get()) {
            this.slots.cancel_all();
        }
        if this.slots.poll_all(cx) {
            this.done = true;
            if let Some(cancel) = &this.cancel {
                cancel.finished.set(true);
            }
            return Poll::Ready(this.slots.take_all());
        }
        if let Some(cancel) = &this.cancel {
            cancel.wake_on_cancel(cx.waker());
        }
        Poll::Pending
    }
}

/// The fan-in of `members` (calls sent already, by `call!`): a future of their results.
pub fn all<M: Members>(members: M) -> All<M::Slots> {
    members.all()
}
