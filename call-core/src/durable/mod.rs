//! Durable continuations: a fire-and-continue call whose continuation runs exactly once,
//! across evictions, resets, deploys and a killed workerd.
//!
//! `call!(stub, Ledger::withdraw(…), then self.on_withdrawn($result, 7), durable)`, from a
//! type whose impl says `#[continuation(durable)]` (its storage must be SQLite: the build
//! checks wrangler.toml, and the object refuses to start otherwise).
//!
//! # What happens
//! * **Caller.** Before the call leaves, one row in the caller's SQLite storage holds what
//!   finishing it takes: the key, where it goes (binding and object name or id), the
//!   envelope, the handler's id and its captured arguments (with the result's place), the
//!   deadline, the attempt. The row is written in the turn that sends the call, without an
//!   `await`: workerd's output gate holds the outgoing call until the write is durable
//!   (tests/facts D3), so no `blockConcurrencyWhile`, and N calls issued together are one
//!   commit. When the result arrives, the row is deleted in the turn the handler runs, so
//!   the delete and the handler's synchronous writes commit together: after any crash the
//!   handler has run with its writes, or not at all (`store` explains the atomicity).
//! * **Recovery.** The caller keeps an alarm while calls are pending: [`RETRY`] after new
//!   calls or after a recovery that sent calls again; while every pending call is in flight
//!   in this instance the checks back off, doubling up to [`MAX_WATCH`] (a minute), never
//!   later than the earliest deadline. When it fires, or when a new instance of the object
//!   starts, every row that is not in flight in this instance is sent again with the same
//!   key; a row whose deadline has passed gets `CallError::Timeout`. A row that no longer
//!   decodes (another build's, or a deadline that is not a time) is moved to the dead
//!   letters with its reason; it never stops the recovery of the others, nor
//!   [`pending_calls`] (which leaves it out). The object's one alarm is shared: the generated entry
//!   hands the object a `ctx` whose `storage.setAlarm`/`getAlarm`/`deleteAlarm` keep the
//!   object's own alarm time in call-core's table, the real alarm is set to the earlier of
//!   the two, and the entry's `alarm()` runs call-core's part first, then the object's own
//!   `alarm` when its time has come. The object's time is cleared only once its `alarm()`
//!   has succeeded; one that throws is rethrown, and the platform retries it (see `alarm`).
//! * **Callee: at most once, also across `await`s.** A durable envelope carries the
//!   caller's id and the key. A callee with SQLite storage keeps one record per
//!   `(caller, key)`, bound to a hash of the call's plan (its method ids, arguments and
//!   references; not its call id nor its deadline), in `_call_core_records`:
//!   - the arrival of a first delivery is recorded in the turn its plan starts, after the
//!     plan's synchronous first part ran, so it commits with the method's first writes
//!     (a sync method's reply is recorded in that same row and turn: one row written);
//!     the reply replaces it in the turn the plan ends;
//!   - a re-send is answered from the record **before any refusal** (deadline, limits): with
//!     the recorded reply; by waiting for the reply when the first delivery still runs in
//!     this instance; or, when it started in an instance that ended before its reply was
//!     recorded (workerd killed, object reset or evicted during an `await`), with
//!     [`RemoteErrorKind::OutcomeUnknown`](crate::RemoteErrorKind::OutcomeUnknown): the
//!     method ran at least in part and is never run again. The handler receives that
//!     error and tells it from "did not run" (`DeadlineExceeded`, `Limit`, …) and from
//!     "ran" (`Ok`, `App`);
//!   - a record answers only the same call: a re-send whose plan hash differs (another
//!     method or other arguments under a key already used) gets
//!     [`RemoteErrorKind::KeyConflict`](crate::RemoteErrorKind::KeyConflict), is not run,
//!     and never sees the recorded reply. The hash is keyed with a secret of the callee's
//!     own, so a caller cannot make a plan collide with another;
//!   - the callee owns the records' resources ([`Records`], set per isolate with
//!     [`set_records`]): a first delivery whose deadline is further than `max_keep` (24 h)
//!     away, or that would exceed `max_rows_per_caller` (50,000), `max_rows` (200,000) or
//!     `max_bytes` (128 MiB) after a sweep of the expired records, is refused with
//!     `Limit` before it runs. Records expire a minute after their call's deadline; they
//!     are swept on arrival (at most once a minute, once a second while full) and from the
//!     object's alarm when its alarm reaches call-core (a `#[continuation(durable)]` type),
//!     so they go also when no more calls come;
//!   - a reply larger than a row holds ([`MAX_ROW_BYTES`]) is not sent unrecorded: a short
//!     `Limit` ("the method ran; its reply is too large to record") is recorded and
//!     answered instead, to the re-sends too.
//!
//!   A callee without SQLite storage (or a JavaScript one) runs a re-sent call again: at
//!   least once.
//! * **Deploys.** A stored continuation whose handler no longer exists with the same
//!   signature (its id carries the signature's hash), or whose arguments no longer decode,
//!   is never run: it moves to a dead-letter table, with a log line. See
//!   [`dead_letters`] and [`clear_dead_letters`]. A callee whose method changed answers
//!   `VersionMismatch`, which the handler receives.
//!
//! * **Timeouts.** A durable call's deadline is stored in its row; the timeout is at most
//!   [`MAX_TIMEOUT`](crate::MAX_TIMEOUT), 24 hours (`Duration::MAX`, a natural "no
//!   timeout", is clamped to it, as for every call), and no deadline arithmetic truncates.
//! * **Transient failures.** An RPC that fails in transport (the callee was reset by
//!   `ctx.abort()` or a deploy — "reset by …" —, is overloaded, or workerd marks the error
//!   `retryable` or `overloaded`) does not end a durable call: its row stays, and it is sent
//!   again with the same key through a new stub, after 100 ms doubling up to 2 s, until an
//!   answer arrives or the deadline passes (`Timeout`). A reply that does not decode is an
//!   answer (`Transport`), not retried. workerd itself re-sends a Durable Object RPC only
//!   when it knows the request was not delivered; a failure after delivery reaches the
//!   caller, and this re-send covers it. Both carry the same key: a callee with SQLite
//!   storage answers a re-send from its record and runs the method at most once.
//! * **Limits.** A call that cannot be stored — its row (envelope, captured arguments) over
//!   [`MAX_ROW_BYTES`], or a failing write — is refused before it is sent: the handler gets
//!   `CallError::Limit` (in this instance; nothing is stored), never a silent in-memory
//!   delivery. A nested plan's row keeps which steps' errors convert into the call's error
//!   type, so that after a recovery the other steps' typed errors still arrive typed (a
//!   converted one arrives as `Remote(Exception)`, naming the step: the conversion is code,
//!   not data).
//!
//! # Exactly once, and its boundary
//! A sync handler runs exactly once: its writes and the row's delete commit together. An
//! async handler's part up to its first `await` is covered the same way; what it does after
//! that runs at most once (a crash there is not repaired). A durable call's handler may run
//! in a later instance of the object than the one that made the call.

// Natively there is no SQLite storage: nothing binds a durable state, so recovery is never
// reached; it is compiled all the same, for the docs and the checks.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]

mod alarm;
mod callee;
mod caller;
mod caps;
mod finish;
mod inspect;
mod plan_hash;
mod records;
mod recovery;
mod resend;
mod rows;
mod store;
pub(crate) mod tick;
mod watch;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use crate::continuation::Continuation;
use crate::home::{Delivery, HomeState};
use crate::runtime;

#[cfg(target_arch = "wasm32")]
pub(crate) use alarm::{set_user_alarm, user_alarm, user_alarm_ran};
pub(crate) use callee::{keeps_records, serve};
pub use caller::{durable_fan, then_all_durable, then_durable, DurableFan};
pub use caps::{records, set_records, Records};
pub use inspect::{clear_dead_letters, dead_letters, pending_calls, writes, DeadLetter, PendingCall};
pub use records::MAX_ROW_BYTES;
#[cfg(target_arch = "wasm32")]
pub(crate) use recovery::alarm;
pub(crate) use recovery::recover_later;
use store::Sql;
pub use store::Writes;
use tick::Tick;
pub use watch::MAX_WATCH;

/// The prefix of a fan-in's key (its members' keys are `<fan key>-<member>`).
const FAN: &str = "fan:";

/// How long after a durable call is sent, or after a recovery that sent calls again, the
/// caller's alarm checks its pending calls again (milliseconds). While every pending call
/// is in flight the checks back off up to [`MAX_WATCH`], never past the earliest deadline.
pub const RETRY: u64 = 2_000;

/// Implemented by `#[continuation(durable)]`: the type may make durable calls.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not make durable calls: write `#[continuation(durable)]` on its impl",
    label = "a `durable` call from here",
    note = "a durable call keeps its continuation in the caller's SQLite storage; `durable` on the impl makes the build and the object check that it has one"
)]
pub trait DurableCaller: Continuation {}

/// Rebuilds stored continuations: implemented by `#[continuation]` for the invokers of a
/// type's handlers.
pub trait Restore: 'static {
    /// The type whose handlers these are.
    type Object: 'static;

    /// The continuation of `handler` (an id) with `args`: a JSON array of all the
    /// handler's arguments, the result in its place.
    fn restore(handler: &str, args: &str) -> Result<Delivery<Self::Object>, String>;
}

/// The durable state of one object with SQLite storage (callers and callees).
pub(crate) struct Durable {
    sql: Sql,
    /// The object's id: the caller identity of its durable calls.
    object: String,
    /// How recovery reaches callees.
    env: worker::Env,
    /// Keys of the calls this instance has in flight (not to be sent again by recovery).
    in_flight: RefCell<HashSet<String>>,
    /// Keys made so far by this instance, and what makes them unique across instances.
    seq: Cell<u64>,
    prefix: String,
    /// Times of the alarm: call-core's own wish, the object's own, the one set.
    alarm: RefCell<alarm::Alarm>,
    /// Callee: replies being computed, and what its records use.
    callee: callee::Callee,
    /// Whether the object's alarm reaches call-core (a durable caller's does), so that
    /// expired records are swept from it.
    alarm_entry: bool,
    /// The object's group-commit ticks.
    tick: Rc<Tick>,
    /// When the alarm checks the pending calls again.
    watch: watch::Watch,
}

impl Durable {
    /// The durable state of the object at `home`, if it has SQLite storage.
    pub(crate) fn of(home: &HomeState) -> Option<Rc<Durable>> {
        home.durable.clone()?.downcast::<Durable>().ok()
    }

    /// The durable state of `this`, if it is bound and has SQLite storage.
    pub(crate) fn of_object<S: 'static>(this: &S) -> Option<Rc<Durable>> {
        crate::home::Home::of(this).and_then(|home| Durable::of(&home))
    }

    fn next_key(&self) -> String {
        let seq = self.seq.get();
        self.seq.set(seq + 1);
        format!("{}-{seq}", self.prefix)
    }
}

/// The durable state for an object being bound: its id, and its `Durable` when its storage
/// is SQLite. A durable caller without SQLite storage is refused.
#[cfg(target_arch = "wasm32")]
pub(crate) fn bind<S: 'static>(
    ctx: wasm_bindgen::JsValue,
    env: wasm_bindgen::JsValue,
    durable_caller: bool,
) -> Result<(String, Option<Rc<Durable>>), wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    let ctx: store::JsCtx = ctx.unchecked_into();
    let object = js_sys::JsString::from(ctx.id()).to_string().as_string().unwrap_or_default();
    let Some(sql) = Sql::of(&ctx) else {
        if durable_caller {
            return Err(wasm_bindgen::JsValue::from_str(&format!(
                "`{}` makes durable calls (`#[continuation(durable)]`) but its storage is not SQLite: list its \
                 class in `new_sqlite_classes` of a migration in wrangler.toml",
                std::any::type_name::<S>()
            )));
        }
        return Ok((object, None));
    };
    let random = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    let durable = Durable {
        prefix: format!("{:x}-{random:08x}", runtime::now_ms()),
        alarm: RefCell::new(alarm::Alarm::load(&sql)),
        sql,
        object: object.clone(),
        env: env.unchecked_into(),
        in_flight: RefCell::default(),
        seq: Cell::new(0),
        callee: callee::Callee::default(),
        alarm_entry: durable_caller,
        tick: Rc::default(),
        watch: watch::Watch::default(),
    };
    Ok((object, Some(Rc::new(durable))))
}

/// Decodes the stored arguments of a handler.
pub fn decode_stored<A: serde::de::DeserializeOwned>(handler: &str, args: &str) -> Result<A, String> {
    serde_json::from_str(args).map_err(|e| format!("the stored arguments of `{handler}` do not decode: {e}"))
}
