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
//!
//! A call that cannot be stored (a row over [`MAX_ROW_BYTES`], a failing write) is refused
//! before it is sent: its handler gets `CallError::Limit` (in this instance: there is no
//! row). Every durable call is sent through a [`Resender`] (transient failures are sent
//! again, see `resend`).

use std::rc::Rc;

use serde::de::DeserializeOwned;

use super::finish::Finishing;
use super::resend::Resender;
use super::store::{stored_time, Value};
use super::{alarm, Durable, DurableCaller, Restore, FAN, MAX_ROW_BYTES, RETRY};
use crate::caller::{prepare, send_prepared, CallFuture, CancelState, Prepared};
use crate::continuation::{Handler, Resumption};
use crate::error::{CallError, Never};
use crate::fanin::Members;
use crate::home::{Delivery, Home, HomeState};
use crate::plan::Call;
use crate::runtime::{self, LocalBoxFuture};
use crate::stub::{Address, CallStub, Object};
use crate::then::{continue_later, refused, then, CallHandle, Caller};
use crate::transport::Transport;
use crate::wire::DurableId;

/// The reply future of a durable call (sent again after transient failures).
type Reply = LocalBoxFuture<'static, Result<String, CallError<Never>>>;

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
    let indirect = call.indirect.clone();
    let (mut prepared, errors) = prepare(call, Some(DurableId { caller: &durable.object, key: &key }));
    let row = Row { key: &key, handler: <R::Handler as Handler>::ID, args: &args, result_at, fan: None };
    let stored = store(&durable, address, &prepared, &row, indirect.as_deref());
    if let Err(refusal) = &stored {
        // Refused: nothing is sent, and the handler gets why (there is no row to finish).
        prepared.envelope = Err(refusal.clone());
    }
    let cancel = Rc::new(CancelState::default());
    let resender = Resender::first(&durable, &key, address, stub, prepared.deadline);
    let future = send_prepared::<_, T, E>(&resender, &prepared, errors).with_cancel(cancel.clone());
    let id = prepared.id;
    let tick = durable.tick.clone();
    let finish = stored.is_ok().then(|| Finishing::boxed(durable, key, <R::Handler as Handler>::ID, args));
    continue_later(home, cancel, id, async move {
        let result = future.await;
        let Some(finish) = finish else { return Delivery::of(id, k(result)) };
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

/// Refuses a row of `parts` (its texts) that would take more than [`MAX_ROW_BYTES`].
fn check_row(parts: &[&str]) -> Result<(), CallError<Never>> {
    // The texts, and a little for the integers and SQLite's own header.
    let bytes = parts.iter().map(|part| part.len()).sum::<usize>() + 128;
    if bytes > MAX_ROW_BYTES {
        return Err(CallError::Limit(format!(
            "the durable call takes {bytes} bytes in storage (envelope and captured arguments), more than the \
             {MAX_ROW_BYTES} one row may hold"
        )));
    }
    Ok(())
}

/// Refuses captured arguments that did not encode (`stored_args` says so in their place).
fn check_args(args: &str) -> Result<(), CallError<Never>> {
    if args.starts_with('[') {
        Ok(())
    } else {
        Err(CallError::Encode(format!("the handler's captured arguments cannot be stored: {args}")))
    }
}

/// Writes the row of a durable call, in this turn (so it commits before the call leaves:
/// the output gate holds the RPC until then), and arms the alarm that re-sends it if this
/// instance goes away. Why it cannot, when not: the call is then refused.
fn store(
    durable: &Durable,
    address: &Address,
    prepared: &Prepared,
    row: &Row<'_>,
    indirect: Option<&[u32]>,
) -> Result<(), CallError<Never>> {
    let envelope = prepared.envelope.as_ref().map_err(Clone::clone)?;
    check_args(row.args)?;
    let (object, by_id) = match &address.object {
        Object::Name(name) => (name.as_str(), 0),
        Object::Id(hex) => (hex.as_str(), 1),
    };
    let indirect = indirect.map(|steps| serde_json::to_string(steps).unwrap_or_default());
    check_row(&[
        row.key,
        &address.binding,
        object,
        envelope,
        row.handler,
        row.args,
        indirect.as_deref().unwrap_or(""),
    ])?;
    let (fan, member) = match row.fan {
        Some((fan, member)) => (Value::Text(fan), Value::Int(i64::from(member))),
        None => (Value::Null, Value::Null),
    };
    durable
        .sql
        .run(
            "INSERT INTO _call_core_calls (key, binding, object, by_id, envelope, handler, args, result_at, deadline, \
             attempt, created, fan, member, indirect) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
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
                indirect.as_deref().map_or(Value::Null, Value::Text),
            ],
        )
        .map_err(|e| CallError::Limit(format!("cannot store the durable call: {e}")))?;
    durable.in_flight.borrow_mut().insert(row.key.to_string());
    durable.watch.made_calls();
    alarm::arm(durable, runtime::now_ms() + RETRY);
    Ok(())
}

impl Resender {
    /// The transport of a new durable call `key` to `address`, first through `stub`.
    fn first(durable: &Rc<Durable>, key: &str, address: &Address, stub: &CallStub, deadline: u64) -> Resender {
        Resender {
            durable: durable.clone(),
            key: key.to_string(),
            address: address.clone(),
            stub: stub.clone(),
            deadline,
            lift: None,
        }
    }
}

/// A durable fan-in being sent.
pub struct DurableFan<S> {
    caller: Caller<S>,
    durable: Option<Rc<Durable>>,
    key: String,
    /// Why the fan-in was refused before anything was sent (its members get it).
    refused: Option<CallError<Never>>,
}

/// Starts the durable fan-in of `this`, continued by `k` (the handler's closure, for its
/// id) with `args` (the handler's captured arguments, the result's place `result_at`) once
/// its `size` members have ended: writes the fan-in's row. Its members are then sent by
/// [`DurableFan::send`], and it is continued by [`then_all_durable`]. An object that is not
/// bound or has no SQLite storage, or a fan-in that cannot be stored, gets its members
/// refused before they are sent.
pub fn durable_fan<S, F, X, R>(this: &S, k: &F, args: &str, result_at: u32, size: u32) -> DurableFan<S>
where
    S: DurableCaller,
    S::Handlers: Restore<Object = S>,
    F: FnOnce(X) -> R,
    R: Resumption<S>,
{
    let _ = k;
    let caller = crate::then::caller(this);
    let durable = caller.home().and_then(|home| Durable::of(home));
    let Some(durable) = durable else { return DurableFan { caller, durable: None, key: String::new(), refused: None } };
    let key = format!("{FAN}{}", durable.next_key());
    let handler = <R::Handler as Handler>::ID;
    let stored = check_args(args).and_then(|()| check_row(&[&key, handler, args])).and_then(|()| {
        durable
            .sql
            .run(
                "INSERT INTO _call_core_fans (key, handler, args, result_at, size, created) VALUES (?, ?, ?, ?, ?, ?)",
                &[
                    Value::Text(&key),
                    Value::Text(handler),
                    Value::Text(args),
                    Value::Int(i64::from(result_at)),
                    Value::Int(i64::from(size)),
                    Value::Int(stored_time(runtime::now_ms())),
                ],
            )
            .map_err(|e| CallError::Limit(format!("cannot store the durable fan-in: {e}")))
    });
    match stored {
        Ok(_) => {
            durable.in_flight.borrow_mut().insert(key.clone());
            DurableFan { caller, durable: Some(durable), key, refused: None }
        }
        Err(refusal) => DurableFan { caller, durable: Some(durable), key, refused: Some(refusal) },
    }
}

impl<S: 'static> DurableFan<S> {
    /// Sends member `member` of the fan-in (a durable call, its row written first).
    pub fn send<T, E>(&self, stub: &CallStub, call: Call<T, E>, member: u32) -> CallFuture<T, E, Reply> {
        let Some(durable) = &self.durable else {
            let why = "a durable fan-in needs the caller's SQLite storage, and this object has none (was it built by \
                       call-build's entry?)";
            return refuse(CallError::Encode(why.into()));
        };
        if let Some(refusal) = &self.refused {
            return refuse(refusal.clone());
        }
        let Some(address) = stub.address() else {
            let why = "a durable call needs a stub that says where it points: `CallStub::by_name` or `CallStub::by_id`";
            return refuse(CallError::Encode(why.into()));
        };
        let key = format!("{}-{member}", self.key);
        let indirect = call.indirect.clone();
        let (prepared, errors) = prepare(call, Some(DurableId { caller: &durable.object, key: &key }));
        let row = Row { key: &key, handler: "", args: "[]", result_at: 0, fan: Some((&self.key, member)) };
        if let Err(refusal) = store(durable, address, &prepared, &row, indirect.as_deref()) {
            return refuse(refusal);
        }
        send_prepared(&Resender::first(durable, &key, address, stub, prepared.deadline), &prepared, errors)
    }
}

/// Nothing: the transport of a refused member, which is never sent.
struct Unsent;

impl Transport for Unsent {
    type Reply = Reply;

    fn send(&self, _: &str) -> Reply {
        Box::pin(std::future::ready(Err(CallError::Transport("refused before it was sent".into()))))
    }
}

/// A member's call that fails before it is sent, with `error`.
fn refuse<T, E>(error: CallError<Never>) -> CallFuture<T, E, Reply> {
    let (mut failed, _) = prepare(Call::<T, E>::from_plan_error(String::new()), None);
    failed.envelope = Err(error);
    send_prepared(&Unsent, &failed, None)
}

/// Continues a durable fan-in (its row written by [`durable_fan`]): when every member has
/// ended runs on the caller's object the continuation that `k` makes of their results
/// (the handler `R` names, with `args`), deleting the fan-in's rows in that turn.
pub fn then_all_durable<S, M, F, R>(fan: DurableFan<S>, members: M, k: F, args: String) -> CallHandle
where
    S: DurableCaller,
    S::Handlers: Restore<Object = S>,
    M: Members,
    M::Slots: 'static,
    M::Output: 'static,
    F: FnOnce(M::Output) -> R + 'static,
    R: Resumption<S>,
{
    let DurableFan { caller, durable, key, refused } = fan;
    let (Some(home), Some(durable), None) = (caller.home().cloned(), durable, refused) else {
        // Refused: its members were refused before they were sent.
        return crate::then::then_all(caller, members, k);
    };
    let finish = Finishing::boxed(durable.clone(), key, <R::Handler as Handler>::ID, args);
    let cancel = Rc::new(CancelState::default());
    let future = members.all().with_cancel(cancel.clone());
    let id = future.call_id();
    let home: Rc<HomeState> = home;
    let tick = durable.tick.clone();
    continue_later(home, cancel, id, async move {
        let results = future.await;
        tick.next().await;
        Delivery::of(id, k(results)).finishing(finish)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_too_large_for_one_row_is_a_limit() {
        assert_eq!(check_row(&["k", "[1]"]), Ok(()));
        let big = "x".repeat(MAX_ROW_BYTES);
        let refused = check_row(&["k", "{}", &big]).unwrap_err();
        assert!(matches!(&refused, CallError::Limit(m) if m.contains("more than the 1900000")), "{refused:?}");
        assert_eq!(check_args("[1,null]"), Ok(()));
        assert!(matches!(check_args("unencodable: key must be a string"), Err(CallError::Encode(_))));
    }
}
