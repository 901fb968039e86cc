//! Durable fan-in: `call!(all(a => …, b => …), then self.k($result, …), durable)`.
//!
//! Each member is a durable call of its own (a row of `_call_core_calls` with `fan` set, its
//! own key, envelope and deadline, answered at most once by its callee), and the fan-in is
//! one row of `_call_core_fans`: the handler, its captured arguments, where the tuple of
//! results goes, how many members. All are written in the turn that sends the members. The
//! members' results are not stored as they arrive: after a restart every member of an
//! unfinished fan-in is sent again with its key, and callees that answered it already answer
//! from their records. When every member has ended, the handler runs and the fan-in's rows
//! are deleted in the same turn.

use std::rc::Rc;

use super::store::Value;
use super::{Durable, DurableCaller, Restore, RETRY};
use crate::caller::{prepare, send_prepared, CallFuture, CancelState};
use crate::continuation::{delivery, CallHandle, Handler, Resumption};
use crate::fanin::{Caller, Members};
use crate::home::{Home, HomeState};
use crate::plan::Call;
use crate::runtime;
use crate::stub::{CallStub, Object, RpcReply};
use crate::wire::DurableId;

/// The prefix of a fan-in's key (its members' keys are `<fan key>-<member>`).
pub(crate) const FAN: &str = "fan:";

/// A durable fan-in being sent.
pub struct DurableFan<S> {
    caller: Caller<S>,
    durable: Rc<Durable>,
    key: String,
}

/// Starts the durable fan-in of `this`: its members are then sent by
/// [`DurableFan::send`], and it is continued by [`then_all_durable`].
///
/// # Panics
/// When `this` is not bound (see [`then`](crate::continuation::then)), or has no SQLite
/// storage (a `#[continuation(durable)]` type has one, or did not start).
pub fn durable_fan<S: DurableCaller>(this: &S) -> DurableFan<S>
where
    S::Handlers: Restore<Object = S>,
{
    let caller = crate::fanin::caller(this);
    let Some(durable) = caller.home().durable.clone() else {
        panic!("a durable fan-in needs the caller's SQLite storage, and this object has none")
    };
    let key = format!("{FAN}{}", durable.next_key());
    durable.in_flight.borrow_mut().insert(key.clone());
    DurableFan { caller, durable, key }
}

impl<S: 'static> DurableFan<S> {
    /// Sends member `member` of the fan-in (a durable call, its row written first).
    pub fn send<T, E>(&self, stub: &CallStub, call: Call<T, E>, member: u32) -> CallFuture<T, E, RpcReply> {
        let key = format!("{}-{member}", self.key);
        let (prepared, errors) = prepare(call, Some(DurableId { caller: &self.durable.object, key: &key }));
        let Some(address) = stub.address() else {
            let why = "a durable call needs a stub that says where it points: `CallStub::by_name` or `CallStub::by_id`";
            let (failed, _) = prepare(Call::<T, E>::from_plan_error(why.to_string()), None);
            return send_prepared(stub, &failed, None);
        };
        if let Ok(envelope) = &prepared.envelope {
            let (object, by_id) = match &address.object {
                Object::Name(name) => (name.as_str(), 0),
                Object::Id(hex) => (hex.as_str(), 1),
            };
            let stored = self.durable.sql.run(
                "INSERT INTO _call_core_calls (key, binding, object, by_id, envelope, handler, args, result_at, \
                 deadline, attempt, created, fan, member) VALUES (?, ?, ?, ?, ?, '', '[]', 0, ?, 0, ?, ?, ?)",
                &[
                    Value::Text(&key),
                    Value::Text(&address.binding),
                    Value::Text(object),
                    Value::Int(by_id),
                    Value::Text(envelope),
                    Value::Int(prepared.deadline as i64),
                    Value::Int(runtime::now_ms() as i64),
                    Value::Text(&self.key),
                    Value::Int(i64::from(member)),
                ],
            );
            if let Err(e) = stored {
                let (failed, _) =
                    prepare(Call::<T, E>::from_plan_error(format!("cannot store the durable call: {e}")), None);
                return send_prepared(stub, &failed, None);
            }
        }
        send_prepared(stub, &prepared, errors)
    }
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
    let size = M::SIZE;
    let stored = durable.sql.run(
        "INSERT INTO _call_core_fans (key, handler, args, result_at, size, created) VALUES (?, ?, ?, ?, ?, ?)",
        &[
            Value::Text(&key),
            Value::Text(<R::Handler as Handler>::ID),
            Value::Text(&args),
            Value::Int(i64::from(result_at)),
            Value::Int(size as i64),
            Value::Int(runtime::now_ms() as i64),
        ],
    );
    if let Err(e) = &stored {
        crate::continuation::log_error(&format!(
            "call-core: cannot store durable fan-in {key}: {e}; it continues in memory only"
        ));
    }
    super::recovery::arm(&durable, runtime::now_ms() + RETRY);
    let state = Rc::new(CancelState::default());
    let future = members.all().with_cancel(state.clone());
    let id = future.call_id();
    let home: Rc<HomeState> = caller.home().clone();
    let home = Home::pending(home, id, &state);
    let tick = durable.tick.clone();
    let durable_key = stored.is_ok().then_some(key);
    runtime::spawn(async move {
        let results = future.await;
        tick.next().await;
        home.deliver(delivery(id, k(results), durable_key));
    });
    CallHandle::new(state, id)
}
