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
//!   `alarm` when its time has come.
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

mod callee;
mod fan;
mod recovery;
mod store;
mod tick;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::caller::{prepare, send_prepared, CancelState};
use crate::continuation::{delivery, CallHandle, Handler, Resumption};
use crate::error::CallError;
use crate::home::{Delivery, Home, RunHandler};
use crate::plan::Call;
use crate::runtime;
use crate::stub::{CallStub, Object};
use crate::wire::DurableId;

pub(crate) use callee::{begin, record, records, Begin};
pub use fan::{durable_fan, then_all_durable, DurableFan};
pub(crate) use recovery::recover_later;
#[cfg(target_arch = "wasm32")]
pub use recovery::{alarm, set_user_alarm, user_alarm};
pub use store::Writes;
use store::{Sql, Value};
use tick::Tick;

/// How long after a durable call is sent, or after the last recovery, the caller's alarm
/// checks its pending calls again (milliseconds).
pub const RETRY: u64 = 2_000;

/// Implemented by `#[continuation(durable)]`: the type may make durable calls.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not make durable calls: write `#[continuation(durable)]` on its impl",
    label = "a `durable` call from here",
    note = "a durable call keeps its continuation in the caller's SQLite storage; `durable` on the impl makes the build and the object check that it has one"
)]
pub trait DurableCaller: crate::__private::Continuation {}

/// Rebuilds stored continuations: implemented by `#[continuation]` for the invokers of a
/// type's handlers.
pub trait Restore: 'static {
    /// The type whose handlers these are.
    type Object: 'static;

    /// The continuation of `handler` (an id) with `args`: a JSON array of all the
    /// handler's arguments, the result in its place.
    fn restore(handler: &str, args: &str) -> Result<Stored<Self::Object>, String>;
}

/// A stored continuation, decoded and bound to its arguments.
pub struct Stored<S> {
    name: &'static str,
    is_async: bool,
    run: RunHandler<S>,
}

/// A stored continuation from the resumption an invoker made.
pub fn stored<S: 'static, R: Resumption<S>>(resumption: R) -> Stored<S> {
    Stored {
        name: <R::Handler as Handler>::NAME,
        is_async: R::ASYNC,
        run: Box::new(move |this: &S| resumption.run(this)),
    }
}

/// Decodes the stored arguments of a handler.
pub fn decode_stored<A: DeserializeOwned>(handler: &str, args: &str) -> Result<A, String> {
    serde_json::from_str(args).map_err(|e| format!("the stored arguments of `{handler}` do not decode: {e}"))
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
    alarm: RefCell<recovery::Alarm>,
    /// Callee: replies being computed, and when records were last swept.
    callee: callee::Callee,
    /// The object's group-commit ticks.
    tick: Rc<Tick>,
}

impl Durable {
    /// Ready at the object's next group-commit tick.
    pub(crate) fn next_tick(&self) -> tick::NextTick {
        self.tick.next()
    }

    fn next_key(&self) -> String {
        let seq = self.seq.get();
        self.seq.set(seq + 1);
        format!("{}-{seq}", self.prefix)
    }

    /// Marks durable call `key` finished (deleting its row, in this turn); false when it
    /// was finished already (another delivery of the same call came first).
    pub(crate) fn finish(&self, key: &str) -> bool {
        self.in_flight.borrow_mut().remove(key);
        let deleted = if key.starts_with(fan::FAN) {
            // A fan-in: its row, and its members'.
            let members = self.sql.run("DELETE FROM _call_core_calls WHERE fan = ?", &[Value::Text(key)]);
            let fan = self.sql.run("DELETE FROM _call_core_fans WHERE key = ?", &[Value::Text(key)]);
            members.and(fan)
        } else {
            self.sql.run("DELETE FROM _call_core_calls WHERE key = ?", &[Value::Text(key)])
        };
        match deleted {
            Ok(rows) => rows > 0,
            Err(e) => {
                crate::continuation::log_error(&format!("call-core: durable call {key}: cannot delete its row: {e}"));
                false
            }
        }
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
        alarm: RefCell::new(recovery::Alarm::load(&sql)),
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

/// Sends `call` as a durable call and, when its result arrives, runs the continuation that
/// `k` makes of it on `this`: `args` are all of the handler's arguments as a JSON array,
/// with `null` where the result goes (at `result_at`). See the module docs.
///
/// # Panics
/// When `this` is not bound (see [`then`](crate::continuation::then)).
pub fn then_durable<S, T, E, F, R>(
    this: &S,
    stub: &CallStub,
    call: Call<T, E>,
    k: F,
    args: String,
    result_at: u32,
) -> CallHandle
where
    S: DurableCaller,
    S::Handlers: Restore<Object = S>,
    T: DeserializeOwned + 'static,
    E: DeserializeOwned + 'static,
    F: FnOnce(Result<T, CallError<E>>) -> R + 'static,
    R: Resumption<S>,
{
    let Some(home) = Home::of(this) else { panic!("{}", crate::continuation::unbound::<S>(this)) };
    let durable = home.durable.clone();
    let address = stub.address().cloned();
    let (durable, address) = match (durable, address) {
        (Some(d), Some(a)) => (d, a),
        (None, _) => {
            let why = "this object has no SQLite storage for durable calls (was it built by the generated entry?)";
            return crate::continuation::then(this, stub, failed(call, why), k);
        }
        (_, None) => {
            let why = "a durable call needs a stub that says where it points: `CallStub::by_name` or `CallStub::by_id`";
            return crate::continuation::then(this, stub, failed(call, why), k);
        }
    };
    let key = durable.next_key();
    let (prepared, errors) = prepare(call, Some(DurableId { caller: &durable.object, key: &key }));
    let Ok(envelope) = &prepared.envelope else {
        let state = Rc::new(CancelState::default());
        let future = send_prepared::<_, T, E>(stub, &prepared, errors).with_cancel(state.clone());
        let home = Home::pending(home, prepared.id, &state);
        runtime::spawn(async move {
            let result = future.await;
            home.deliver(delivery(prepared.id, k(result), None));
        });
        return CallHandle::new(state, prepared.id);
    };
    let (object, by_id) = match &address.object {
        Object::Name(name) => (name.as_str(), 0),
        Object::Id(hex) => (hex.as_str(), 1),
    };
    let stored = durable.sql.run(
        "INSERT INTO _call_core_calls (key, binding, object, by_id, envelope, handler, args, result_at, deadline, \
         attempt, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
        &[
            Value::Text(&key),
            Value::Text(&address.binding),
            Value::Text(object),
            Value::Int(by_id),
            Value::Text(envelope),
            Value::Text(<R::Handler as Handler>::ID),
            Value::Text(&args),
            Value::Int(i64::from(result_at)),
            Value::Int(prepared.deadline as i64),
            Value::Int(runtime::now_ms() as i64),
        ],
    );
    if let Err(e) = stored {
        let why = format!("cannot store the durable call: {e}");
        return crate::continuation::then(this, stub, failed(Call::<T, E>::from_plan_error(why.clone()), &why), k);
    }
    durable.in_flight.borrow_mut().insert(key.clone());
    recovery::arm(&durable, runtime::now_ms() + RETRY);
    let state = Rc::new(CancelState::default());
    let future = send_prepared::<_, T, E>(stub, &prepared, errors).with_cancel(state.clone());
    let id = prepared.id;
    let home = Home::pending(home, id, &state);
    let tick = durable.tick.clone();
    runtime::spawn(async move {
        let result = future.await;
        // Finished with the other replies of this tick: one commit for all (see `tick`).
        tick.next().await;
        home.deliver(delivery(id, k(result), Some(key)));
    });
    CallHandle::new(state, id)
}

/// `call`, made to fail before it is sent with `why`.
fn failed<T, E>(call: Call<T, E>, why: &str) -> Call<T, E> {
    let _ = call;
    Call::from_plan_error(why.to_string())
}

/// A pending durable call, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PendingCall {
    /// Its key.
    pub key: String,
    /// The callee's namespace binding.
    pub binding: String,
    /// The callee: its name, or its id when `by_id`.
    pub object: String,
    /// Whether `object` is an id.
    pub by_id: bool,
    /// The handler's id.
    pub handler: String,
    /// Its deadline (milliseconds since the epoch).
    pub deadline: u64,
    /// How often recovery has sent it again.
    pub attempt: u32,
    /// When it was made (milliseconds since the epoch).
    pub created: u64,
}

/// A stored continuation that this build could not run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeadLetter {
    /// The call's key.
    pub key: String,
    /// The handler id it named.
    pub handler: String,
    /// Its stored arguments (JSON), the result in place when it had arrived.
    pub args: String,
    /// The reply it had received (JSON), if any.
    pub result: Option<String>,
    /// Why it could not run.
    pub reason: String,
    /// When it was moved here (milliseconds since the epoch).
    pub at: u64,
}

fn durable_of<S: 'static>(this: &S) -> Result<Rc<Durable>, String> {
    Home::of(this)
        .and_then(|h| h.durable.clone())
        .ok_or_else(|| "this object has no durable state (not bound, or no SQLite storage)".to_string())
}

fn rows<T: DeserializeOwned>(sql: &Sql, query: &str) -> Result<Vec<T>, String> {
    sql.texts(query, &[])?.iter().map(|row| serde_json::from_str(row).map_err(|e| e.to_string())).collect()
}

/// The durable calls of `this` that have not finished.
pub fn pending_calls<S: 'static>(this: &S) -> Result<Vec<PendingCall>, String> {
    rows(
        &durable_of(this)?.sql,
        "SELECT json_object('key', key, 'binding', binding, 'object', object, 'by_id', json(CASE by_id WHEN 1 \
         THEN 'true' ELSE 'false' END), 'handler', handler, 'deadline', deadline, 'attempt', attempt, 'created', \
         created) FROM _call_core_calls ORDER BY created",
    )
}

/// What call-core wrote to `this`'s storage since it started (rows, and commits: turns with
/// writes), for the figures of the bench.
pub fn writes<S: 'static>(this: &S) -> Result<Writes, String> {
    Ok(durable_of(this)?.sql.writes())
}

/// The dead letters of `this`: stored continuations that this build could not run.
pub fn dead_letters<S: 'static>(this: &S) -> Result<Vec<DeadLetter>, String> {
    rows(
        &durable_of(this)?.sql,
        "SELECT json_object('key', key, 'handler', handler, 'args', args, 'result', result, 'reason', reason, \
         'at', at) FROM _call_core_dead ORDER BY at",
    )
}

/// Deletes the dead letters of `this` with these keys (all when `keys` is `None`); how
/// many were deleted.
pub fn clear_dead_letters<S: 'static>(this: &S, keys: Option<&[String]>) -> Result<u64, String> {
    let durable = durable_of(this)?;
    match keys {
        None => durable.sql.run("DELETE FROM _call_core_dead", &[]),
        Some(keys) => {
            let mut deleted = 0;
            for key in keys {
                deleted += durable.sql.run("DELETE FROM _call_core_dead WHERE key = ?", &[Value::Text(key)])?;
            }
            Ok(deleted)
        }
    }
}

/// A delivery of a stored continuation.
fn stored_delivery<S: 'static>(key: String, stored: Stored<S>) -> Delivery<S> {
    Delivery { call: 0, handler: stored.name, is_async: stored.is_async, durable: Some(key), run: stored.run }
}
