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
//! * **Recovery.** The caller keeps an alarm while calls are pending ([`RETRY`] ahead).
//!   When it fires, or when a new instance of the object starts, every row that is not in
//!   flight in this instance is sent again with the same key; a row whose deadline has
//!   passed gets `CallError::Timeout`. The object's one alarm is shared: the generated entry
//!   hands the object a `ctx` whose `storage.setAlarm`/`getAlarm`/`deleteAlarm` keep the
//!   object's own alarm time in call-core's table, the real alarm is set to the earlier of
//!   the two, and the entry's `alarm()` runs call-core's part first, then the object's own
//!   `alarm` when its time has come. The object's time is cleared only once its `alarm()`
//!   has succeeded; one that throws is rethrown, and the platform retries it (see `alarm`).
//! * **Callee: at most once.** A durable envelope carries the caller's id and the key; a
//!   callee with SQLite storage records its reply in the turn its plan finishes (with the
//!   method's writes of that turn) and answers a retry from the record without running the
//!   method again; a retry that arrives while the first is still running waits for it.
//!   Records expire a minute after the call's deadline (the caller never sends a call again
//!   after its deadline) and are swept at most once a minute. A callee without SQLite
//!   storage runs a retried call again: at least once.
//! * **Deploys.** A stored continuation whose handler no longer exists with the same
//!   signature (its id carries the signature's hash), or whose arguments no longer decode,
//!   is never run: it moves to a dead-letter table, with a log line. See
//!   [`dead_letters`] and [`clear_dead_letters`]. A callee whose method changed answers
//!   `VersionMismatch`, which the handler receives.
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
mod finish;
mod inspect;
mod recovery;
mod store;
mod tick;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use crate::continuation::Continuation;
use crate::home::{Delivery, HomeState};
use crate::runtime;

#[cfg(target_arch = "wasm32")]
pub(crate) use alarm::{set_user_alarm, user_alarm, user_alarm_ran};
pub(crate) use callee::{records, serve};
pub use caller::{durable_fan, then_all_durable, then_durable, DurableFan};
pub use inspect::{clear_dead_letters, dead_letters, pending_calls, writes, DeadLetter, PendingCall};
#[cfg(target_arch = "wasm32")]
pub(crate) use recovery::alarm;
pub(crate) use recovery::recover_later;
use store::Sql;
pub use store::Writes;
use tick::Tick;

/// The prefix of a fan-in's key (its members' keys are `<fan key>-<member>`).
const FAN: &str = "fan:";

/// How long after a durable call is sent, or after the last recovery, the caller's alarm
/// checks its pending calls again (milliseconds).
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
    /// Callee: replies being computed, and when records were last swept.
    callee: callee::Callee,
    /// The object's group-commit ticks.
    tick: Rc<Tick>,
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
        tick: Rc::default(),
    };
    Ok((object, Some(Rc::new(durable))))
}

/// Decodes the stored arguments of a handler.
pub fn decode_stored<A: serde::de::DeserializeOwned>(handler: &str, args: &str) -> Result<A, String> {
    serde_json::from_str(args).map_err(|e| format!("the stored arguments of `{handler}` do not decode: {e}"))
}
