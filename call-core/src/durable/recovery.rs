//! Recovery of a caller's pending durable calls, when a new instance of the object starts
//! (after a restart, an eviction, a reset) and when its alarm fires: every row that is not
//! in flight in this instance is sent again with its key; a passed deadline gets `Timeout`;
//! a continuation this build cannot run becomes a dead letter.

use std::rc::Rc;

use super::alarm as shared_alarm;
use super::finish::{dead_letter, Finishing};
use super::resend::Resender;
use super::rows::{self, Fan, Row};
use super::store::Value;
use super::{Durable, DurableCaller, Restore};
use crate::caller::Prepared;
use crate::error::CallError;
use crate::home::{deliver, HomeState};
use crate::runtime::{self, log_error, now_ms};
use crate::stub::{Address, CallStub, Object};

/// Recovers the pending calls of a newly bound durable caller, after this turn.
pub(crate) fn recover_later<S: DurableCaller>(home: Rc<HomeState>)
where
    S::Handlers: Restore<Object = S>,
{
    let Some(durable) = Durable::of(&home) else { return };
    runtime::spawn(async move { recover::<S>(&home, &durable) });
}

/// Sends again every pending call this instance does not have in flight (a passed deadline
/// gets `Timeout`); keeps the alarm while calls are pending.
pub(super) fn recover<S: DurableCaller>(home: &Rc<HomeState>, durable: &Rc<Durable>)
where
    S::Handlers: Restore<Object = S>,
{
    let now = now_ms();
    let (rows, fans) = match rows::read(durable, now) {
        Ok(read) => read,
        Err(e) => {
            log_error(&format!("call-core: cannot read the pending durable calls: {e}"));
            return;
        }
    };
    let earliest = rows.iter().map(|row| row.deadline).min();
    let (members, rows): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|r| r.fan.is_some());
    let mut pending = false;
    let mut sent = false;
    // One stub per callee, as a caller would keep.
    let mut stubs = Stubs::default();
    for row in rows {
        if durable.in_flight.borrow().contains(&row.key) {
            pending = true;
            continue;
        }
        if row.deadline <= now {
            finish::<S>(home, durable, row, &timeout_json());
            continue;
        }
        pending = true;
        sent = true;
        durable.in_flight.borrow_mut().insert(row.key.clone());
        let result = resend(durable, &mut stubs, &row);
        let home = home.clone();
        let durable = durable.clone();
        runtime::spawn(async move {
            let result = result.await;
            // Finished with the other replies of this tick: one commit for all.
            durable.tick.next().await;
            finish::<S>(&home, &durable, row, &result);
        });
    }
    let (fans_pending, fans_sent) = recover_fans::<S>(home, durable, fans, members, &mut stubs);
    let (pending, sent) = (pending | fans_pending, sent | fans_sent);
    shared_alarm::want(durable, pending.then(|| durable.watch.next(now, sent, earliest)));
}

type Stubs = std::collections::HashMap<(String, String, i64), Result<(CallStub, Address), String>>;

/// The stub of `row`'s callee (one per callee), and where it points.
fn stub_of(durable: &Durable, stubs: &mut Stubs, row: &Row) -> Result<(CallStub, Address), String> {
    stubs
        .entry((row.binding.clone(), row.object.clone(), row.by_id))
        .or_insert_with(|| {
            let object = if row.by_id == 1 { Object::Id(row.object.clone()) } else { Object::Name(row.object.clone()) };
            let address = Address { binding: row.binding.clone(), object };
            CallStub::at(&durable.env, &address).map(|stub| (stub, address)).map_err(|e| e.to_string())
        })
        .clone()
}

/// Sends `row` again (or times it out): its result as stored JSON, once it has ended.
fn resend(
    durable: &Rc<Durable>,
    stubs: &mut Stubs,
    row: &Row,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = String>>> {
    if row.deadline <= now_ms() {
        return Box::pin(std::future::ready(timeout_json()));
    }
    let _ =
        durable.sql.run("UPDATE _call_core_calls SET attempt = attempt + 1 WHERE key = ?", &[Value::Text(&row.key)]);
    match stub_of(durable, stubs, row) {
        Ok((stub, address)) => {
            let lift = match row.indirect.as_deref().map(serde_json::from_str::<Vec<u32>>) {
                Some(Ok(indirect)) => Some(indirect),
                // Not joined (or unreadable): only the last step's error is typed.
                _ => None,
            };
            let resender = Resender {
                durable: durable.clone(),
                key: row.key.clone(),
                address,
                stub,
                deadline: row.deadline,
                lift,
            };
            let prepared =
                Prepared { id: 0, deadline: row.deadline, envelope: Ok(row.envelope.clone()), by_name: None };
            let future =
                crate::caller::send_prepared::<_, Box<serde_json::value::RawValue>, Box<serde_json::value::RawValue>>(
                    &resender, &prepared, None,
                );
            Box::pin(async move { serde_json::to_string(&future.await).unwrap_or_else(|_| timeout_json()) })
        }
        Err(e) => {
            let failed: Result<(), CallError> = Err(CallError::Transport(format!("cannot reach the callee: {e}")));
            Box::pin(std::future::ready(serde_json::to_string(&failed).unwrap_or_default()))
        }
    }
}

/// Sends again every member of every fan-in this instance does not have in flight; when all
/// of a fan-in's members have ended, runs its continuation. Whether any is pending, and
/// whether any was sent again.
fn recover_fans<S: DurableCaller>(
    home: &Rc<HomeState>,
    durable: &Rc<Durable>,
    fans: Vec<Fan>,
    members: Vec<Row>,
    stubs: &mut Stubs,
) -> (bool, bool)
where
    S::Handlers: Restore<Object = S>,
{
    let (mut pending, mut sent) = (false, false);
    let mut by_fan: std::collections::HashMap<String, Vec<Row>> = Default::default();
    for row in members {
        by_fan.entry(row.fan.clone().unwrap_or_default()).or_default().push(row);
    }
    for fan in fans {
        let rows = by_fan.remove(&fan.key).unwrap_or_default();
        if durable.in_flight.borrow().contains(&fan.key) {
            pending = true;
            continue;
        }
        pending = true;
        sent = true;
        durable.in_flight.borrow_mut().insert(fan.key.clone());
        let mut results: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = String>>>> = Vec::new();
        for member in 0..fan.size {
            match rows.iter().find(|r| r.member == Some(member)) {
                Some(row) => results.push(resend(durable, stubs, row)),
                None => {
                    let lost: Result<(), CallError> = Err(CallError::Transport("the member's call was lost".into()));
                    results.push(Box::pin(std::future::ready(serde_json::to_string(&lost).unwrap_or_default())));
                }
            }
        }
        let home = home.clone();
        let durable = durable.clone();
        runtime::spawn(async move {
            let mut all = Vec::with_capacity(results.len());
            for result in results {
                all.push(result.await);
            }
            durable.tick.next().await;
            let tuple = format!("[{}]", all.join(","));
            let row = Row {
                key: fan.key,
                binding: String::new(),
                object: String::new(),
                by_id: 0,
                envelope: String::new(),
                handler: fan.handler,
                args: fan.args,
                result_at: fan.result_at,
                deadline: 0,
                fan: None,
                member: None,
                indirect: None,
            };
            finish::<S>(&home, &durable, row, &tuple);
        });
    }
    // Members of no fan-in (cannot happen: a fan-in's rows are written in one turn).
    for (fan, rows) in by_fan {
        for row in rows {
            log_error(&format!("call-core: durable call {}: member of unknown fan-in {fan}; deleted", row.key));
            let _ = durable.sql.run("DELETE FROM _call_core_calls WHERE key = ?", &[Value::Text(&row.key)]);
        }
    }
    (pending, sent)
}

/// `Err(CallError::Timeout)` as stored JSON.
fn timeout_json() -> String {
    serde_json::to_string(&Result::<(), CallError>::Err(CallError::Timeout)).unwrap_or_default()
}

/// Runs the stored continuation of `row` with `result` (JSON of the call's
/// `Result<T, CallError<E>>`), or moves it to the dead letters.
fn finish<S: DurableCaller>(home: &Rc<HomeState>, durable: &Rc<Durable>, row: Row, result: &str)
where
    S::Handlers: Restore<Object = S>,
{
    let args = with_result(&row.args, row.result_at, result);
    let restored = args.and_then(|args| <S::Handlers as Restore>::restore(&row.handler, &args));
    match restored {
        Ok(delivery) => {
            let finish = Finishing::boxed(durable.clone(), row.key, &row.handler, row.args);
            deliver(home, delivery.finishing(finish))
        }
        Err(reason) => {
            log_error(&format!(
                "call-core: durable call {}: its continuation `{}` cannot run in this build ({reason}); moved to the dead letters",
                row.key, row.handler
            ));
            if dead_letter(durable, &row.key, &row.handler, &row.args, Some(result), &reason) {
                // Its rows go (a fan-in's with its members'), in this turn.
                durable.finish(&row.key);
            }
        }
    }
}

/// The stored arguments with `result` in place of the `null` at `at`.
fn with_result(args: &str, at: usize, result: &str) -> Result<String, String> {
    let mut items: Vec<Box<serde_json::value::RawValue>> =
        serde_json::from_str(args).map_err(|e| format!("the stored arguments are not a JSON array: {e}"))?;
    let slot = items.get_mut(at).ok_or_else(|| format!("the stored arguments have no place {at} for the result"))?;
    *slot = serde_json::value::RawValue::from_string(result.to_string()).map_err(|e| e.to_string())?;
    serde_json::to_string(&items).map_err(|e| e.to_string())
}

/// The body of the generated `__call_core_alarm`: recovers the pending durable calls;
/// whether the object's own alarm is due (then the entry runs its `alarm`, and tells how
/// it ended with `__call_core_user_alarm_ran`; until then the real alarm is held).
#[cfg(target_arch = "wasm32")]
pub(crate) async fn alarm<S: DurableCaller>(this: &S) -> bool
where
    S::Handlers: Restore<Object = S>,
{
    let Some(home) = crate::home::Home::of(this) else { return true };
    let Some(durable) = Durable::of(&home) else { return true };
    let due = {
        let mut alarm = durable.alarm.borrow_mut();
        alarm.set = None;
        alarm.ours = None;
        // Decided before recovering: a due time of the object's holds the real alarm.
        shared_alarm::hold_if_due(&mut alarm, crate::runtime::now_ms())
    };
    // The callee's expired records go also when no more calls come; first, so that the
    // alarm `recover` asks for counts the next expiry of the records that remain.
    super::records::sweep(&durable, crate::runtime::now_ms());
    recover::<S>(&home, &durable);
    let mut alarm = durable.alarm.borrow_mut();
    shared_alarm::set_real(&durable, &mut alarm);
    due
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_goes_in_its_place() {
        assert_eq!(with_result("[1,null,\"x\"]", 1, "{\"Ok\":5}").unwrap(), "[1,{\"Ok\":5},\"x\"]");
        assert!(with_result("[1]", 3, "{}").is_err());
        assert!(with_result("{}", 0, "{}").is_err());
        assert_eq!(timeout_json(), "{\"Err\":\"Timeout\"}");
    }
}
