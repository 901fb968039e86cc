//! The caller's side of a durable call: one row written before the call leaves, and its
//! continuation, which finishes the row in the turn its handler runs.
//!
//! `call!(stub, Ledger::withdraw(…), then self.k($result, …), durable)` is [`then_durable`];
//! `call!(all(a => …, b => …), then self.k($result, …), durable)` is a durable fan-in: each
//! member is a durable call of its own (a row of `_call_core_calls` with `fan` set, its own
//! key, envelope and deadline, answered at most once by its callee, [`DurableFan::send`]),
//! and the fan-in is one row of `_call_core_fans` ([`then_all_durable`]): the handler, its
//! captured arguments, where the tuple of results goes, how many members. All are written
//! in the turn that sends the members. The members' results are not stored as they arrive:
//! after a restart every member of an unfinished fan-in is sent again with its key, and
//! callees that answered it already answer from their records. When every member has ended,
//! the handler runs and the fan-in's rows are deleted in the same turn.

use std::rc::Rc;

use serde::de::DeserializeOwned;

use super::finish::Finishing;
use super::store::{stored_time, Value};
use super::{alarm, Durable, DurableCaller, Restore, FAN, RETRY};
use crate::caller::{prepare, send_prepared, CallFuture, CancelState, Prepared};
use crate::continuation::{Handler, Resumption};
use crate::error::CallError;
use crate::fanin::Members;
use crate::home::{Delivery, Home, HomeState};
use crate::plan::Call;
use crate::runtime::{self, log_error};
use crate::stub::{Address, CallStub, Object, RpcReply};
use crate::then::{continue_later, refused, then, CallHandle, Caller};
use crate::wire::DurableId;

/// Sends `call` as a durable call and, when its result arrives, runs the continuation that
/// `k` makes of it on `this`: `args` are all of the handler's arguments as a JSON array,
/// with `null` where the result goes (at `result_at`). See the module docs.
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
    let Some(home) = Home::of(this) else { return refused(this) };
    let (durable, address) = match (Durable::of(&home), stub.address()) {
        (Some(durable), Some(address)) => (durable, address),
        (None, _) => {
            let why = "this object has no SQLite storage for durable calls (was it built by call-build's entry?)";
            return then(this, stub, Call::from_plan_error(why.into()), k);
        }
        (_, None) => {
            let why = "a durable call needs a stub that says where it points: `CallStub::by_name` or `CallStub::by_id`";
            return then(this, stub, Call::from_plan_error(why.into()), k);
        }
    };
    let key = durable.next_key();
    let (prepared, errors) = prepare(call, Some(DurableId { caller: &durable.object, key: &key }));
    let handler = Row { key: &key, handler: <R::Handler as Handler>::ID, args: &args, result_at, fan: None };
    if let Err(why) = store(&durable, address, &prepared, &handler) {
        return then(this, stub, Call::from_plan_error(why), k);
    }
    let cancel = Rc::new(CancelState::default());
    let future = send_prepared::<_, T, E>(stub, &prepared, errors).with_cancel(cancel.clone());
    let id = prepared.id;
    let tick = durable.tick.clone();
    let finish = Finishing::boxed(durable, key, <R::Handler as Handler>::ID, args);
    continue_later(home, cancel, id, async move {
        let result = future.await;
        // Finished with the other replies of this tick: one commit for all (see `tick`).
        tick.next().await;
        Delivery::of(id, k(result)).finishing(finish)
    })
}

/// What a row of `_call_core_calls` holds besides where the call goes and its envelope.
struct Row<'a> {
    key: &'a str,
    /// The handler's id (empty for a fan-in's member: the fan-in has it).
    handler: &'a str,
    args: &'a str,
    result_at: u32,
    /// The fan-in and member, for a member.
    fan: Option<(&'a str, u32)>,
}

/// Writes the row of a durable call, in this turn (so it commits before the call leaves:
/// the output gate holds the RPC until then), and arms the alarm that re-sends it if this
/// instance goes away. The reason it cannot, when not.
fn store(durable: &Durable, address: &Address, prepared: &Prepared, row: &Row<'_>) -> Result<(), String> {
    let envelope = prepared.envelope.as_ref().map_err(|e| e.to_string())?;
    let (object, by_id) = match &address.object {
        Object::Name(name) => (name.as_str(), 0),
        Object::Id(hex) => (hex.as_str(), 1),
    };
    let (fan, member) = match row.fan {
        Some((fan, member)) => (Value::Text(fan), Value::Int(i64::from(member))),
        None => (Value::Null, Value::Null),
    };
    durable
        .sql
        .run(
            "INSERT INTO _call_core_calls (key, binding, object, by_id, envelope, handler, args, result_at, deadline, \
             attempt, created, fan, member) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
            &[
                Value::Text(row.key),
                Value::Text(&address.binding),
                Value::Text(object),
                Value::Int(by_id),
                Value::Text(envelope),
                Value::Text(row.handler),
                Value::Text(row.args),
                Value::Int(i64::from(row.result_at)),
                Value::Int(stored_time(prepared.deadline)),
                Value::Int(stored_time(runtime::now_ms())),
                fan,
                member,
            ],
        )
        .map_err(|e| format!("cannot store the durable call: {e}"))?;
    durable.in_flight.borrow_mut().insert(row.key.to_string());
    alarm::arm(durable, runtime::now_ms() + RETRY);
    Ok(())
}

/// A durable fan-in being sent.
pub struct DurableFan<S> {
    caller: Caller<S>,
    durable: Option<Rc<Durable>>,
    key: String,
}

/// Starts the durable fan-in of `this`: its members are then sent by
/// [`DurableFan::send`], and it is continued by [`then_all_durable`]. An object that is not
/// bound or has no SQLite storage gets its members refused before they are sent.
pub fn durable_fan<S: DurableCaller>(this: &S) -> DurableFan<S>
where
    S::Handlers: Restore<Object = S>,
{
    let caller = crate::then::caller(this);
    let durable = caller.home().and_then(|home| Durable::of(home));
    let key = match &durable {
        Some(durable) => {
            let key = format!("{FAN}{}", durable.next_key());
            durable.in_flight.borrow_mut().insert(key.clone());
            key
        }
        None => String::new(),
    };
    DurableFan { caller, durable, key }
}

impl<S: 'static> DurableFan<S> {
    /// Sends member `member` of the fan-in (a durable call, its row written first).
    pub fn send<T, E>(&self, stub: &CallStub, call: Call<T, E>, member: u32) -> CallFuture<T, E, RpcReply> {
        let Some(durable) = &self.durable else {
            let why = "a durable fan-in needs the caller's SQLite storage, and this object has none (was it built by \
                       call-build's entry?)";
            return refuse(stub, why.into());
        };
        let Some(address) = stub.address() else {
            let why = "a durable call needs a stub that says where it points: `CallStub::by_name` or `CallStub::by_id`";
            return refuse(stub, why.into());
        };
        let key = format!("{}-{member}", self.key);
        let (prepared, errors) = prepare(call, Some(DurableId { caller: &durable.object, key: &key }));
        let row = Row { key: &key, handler: "", args: "[]", result_at: 0, fan: Some((&self.key, member)) };
        if let Err(why) = store(durable, address, &prepared, &row) {
            return refuse(stub, why);
        }
        send_prepared(stub, &prepared, errors)
    }
}

/// A member's call that fails before it is sent, with `why`.
fn refuse<T, E>(stub: &CallStub, why: String) -> CallFuture<T, E, RpcReply> {
    let (failed, _) = prepare(Call::<T, E>::from_plan_error(why), None);
    send_prepared(stub, &failed, None)
}

/// Continues a durable fan-in: writes its row (the handler `R` names, `args` with the
/// result's place `result_at`), and when every member has ended runs on the caller's object
/// the continuation that `k` makes of their results, deleting the fan-in's rows in that turn.
pub fn then_all_durable<S, M, F, R>(fan: DurableFan<S>, members: M, k: F, args: String, result_at: u32) -> CallHandle
where
    S: DurableCaller,
    S::Handlers: Restore<Object = S>,
    M: Members,
    M::Slots: 'static,
    M::Output: 'static,
    F: FnOnce(M::Output) -> R + 'static,
    R: Resumption<S>,
{
    let DurableFan { caller, durable, key } = fan;
    let (Some(home), Some(durable)) = (caller.home().cloned(), durable) else {
        // Refused: its members were refused before they were sent.
        return crate::then::then_all(caller, members, k);
    };
    let stored = durable.sql.run(
        "INSERT INTO _call_core_fans (key, handler, args, result_at, size, created) VALUES (?, ?, ?, ?, ?, ?)",
        &[
            Value::Text(&key),
            Value::Text(<R::Handler as Handler>::ID),
            Value::Text(&args),
            Value::Int(i64::from(result_at)),
            Value::Int(M::SIZE as i64),
            Value::Int(stored_time(runtime::now_ms())),
        ],
    );
    let finish = match stored {
        Ok(_) => Some(Finishing::boxed(durable.clone(), key, <R::Handler as Handler>::ID, args)),
        Err(e) => {
            log_error(&format!("call-core: cannot store durable fan-in {key}: {e}; it continues in memory only"));
            None
        }
    };
    let cancel = Rc::new(CancelState::default());
    let future = members.all().with_cancel(cancel.clone());
    let id = future.call_id();
    let home: Rc<HomeState> = home;
    let tick = durable.tick.clone();
    continue_later(home, cancel, id, async move {
        let results = future.await;
        tick.next().await;
        let delivery = Delivery::of(id, k(results));
        match finish {
            Some(finish) => delivery.finishing(finish),
            None => delivery,
        }
    })
}
