//! The pipeline's tests: nested calls joined into one plan, and their error types.

use super::*;
use crate::error::{CallError, RemoteErrorKind};
use crate::wire;

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Outer(String);

impl From<u8> for Outer {
    fn from(e: u8) -> Self {
        Outer(format!("u8 {e}"))
    }
}

fn sig<E>(id: &'static str) -> Sig<(), (), i64, E> {
    Sig::new(id, (), ())
}

#[test]
fn nested_steps_come_first_and_references_shift() {
    // add(add(1, 2), add(3, add(4, 5)))
    let a: Call<i64> = Call::new("R::add#1", &(1, 2));
    let inner = Pipe::new(sig::<Never>("R::add#1")).value(&3);
    let deepest: Call<i64> = Call::new("R::add#1", &(4, 5));
    let b = inner.nested(deepest, KeepOuter).finish();
    let outer = Pipe::new(sig::<Never>("R::add#1")).nested(a, KeepOuter).nested(b, KeepOuter).finish();
    let plan = outer.plan().unwrap();
    let shape: Vec<(&str, Vec<(u32, u32)>)> = plan.steps.iter().map(|s| (&*s.args, s.refs.clone())).collect();
    assert_eq!(
        shape,
        [("[1,2]", vec![]), ("[4,5]", vec![]), ("[3,null]", vec![(1, 1)]), ("[null,null]", vec![(0, 0), (1, 2)])]
    );
    assert_eq!(plan.depth(), 3);
    crate::Limits::DEFAULT.check_plan(plan).unwrap();
}

#[test]
fn step_errors_decode_with_their_own_type_and_convert() {
    // outer(Outer) takes [inner(u8), ok(Never)]: steps 0 (u8), 1 (Never), 2 (Outer).
    let failing: Call<i64, u8> = Call::new("R::f#1", &[(); 0]);
    let fine: Call<i64> = Call::new("R::g#1", &[(); 0]);
    let convert = Convert(Outer::from);
    let call = Pipe::new(sig::<Outer>("R::o#1")).nested(failing, convert).nested(fine, KeepOuter).finish();
    let errors = call.errors.as_ref();
    let decode = |text: &str| wire::decode_call_reply::<i64, Outer>(text, errors);
    assert_eq!(decode(&wire::reply_step_app(0, "7")), Err(CallError::App(Outer("u8 7".into()))));
    assert_eq!(decode(&wire::reply_app("\"own\"")), Err(CallError::App(Outer("own".into()))));
    assert!(matches!(decode(&wire::reply_step_app(0, "\"not a u8\"")), Err(CallError::Transport(_))));
    assert_eq!(decode(&wire::reply_ok("5")), Ok(5));
}

#[test]
fn steps_whose_errors_convert_are_indirect() {
    // outer(Outer) takes [inner(u8) converted, same(Outer) unconverted]; then an
    // infallible outer takes that whole call as is.
    let failing: Call<i64, u8> = Call::new("R::f#1", &[(); 0]);
    let same: Call<i64, Outer> = Call::new("R::s#1", &[(); 0]);
    let call = Pipe::new(sig::<Outer>("R::o#1"))
        .nested(failing, Convert(Outer::from))
        .nested(same, Convert(|o: Outer| o))
        .finish();
    assert_eq!(call.indirect, Some(vec![0]));
    let outer: Call<i64, Outer> = Pipe::new(sig::<Never>("R::len#1")).value(&1).nested(call, TakeInner).finish();
    assert_eq!(outer.indirect, Some(vec![0]));
    // A hand-made plan of two steps types only its last step's error.
    let plan = Plan { steps: vec![Step::clone(&plan_step()), plan_step()] };
    let by_hand: Call<i64, Outer> = Call::from_plan(plan);
    let wrapped: Call<i64, Outer> = Pipe::new(sig::<Never>("R::len#1")).nested(by_hand, TakeInner).finish();
    assert_eq!(wrapped.indirect, Some(vec![0]));
}

fn plan_step() -> Step<'static> {
    Step { method: "R::f#1".into(), args: "[]".into(), refs: vec![] }
}

#[test]
fn an_infallible_outer_takes_the_inner_error_type() {
    let failing: Call<i64, u8> = Call::new("R::f#1", &[(); 0]);
    let call: Call<i64, u8> = Pipe::new(sig::<Never>("R::len#1")).nested(failing, TakeInner).finish();
    let got = wire::decode_call_reply::<i64, u8>(&wire::reply_step_app(0, "3"), call.errors.as_ref());
    assert_eq!(got, Err(CallError::App(3)));
}

#[test]
fn without_step_errors_an_early_failure_is_an_exception() {
    let got = wire::decode_reply::<i64, Never>(&wire::reply_step_app(1, "\"no\""));
    assert_eq!(got.unwrap_err().remote_kind(), Some(RemoteErrorKind::Exception));
}

#[test]
// The references are the probe: each level of them is one choice.
#[allow(clippy::needless_borrow)]
fn the_probe_picks_the_join() {
    use std::any::type_name_of_val;
    let pipe = Pipe::new(sig::<Never>("R::o#1"));
    let u8s: Call<i64, u8> = Call::new("R::f#1", &[(); 0]);
    let nevers: Call<i64> = Call::new("R::g#1", &[(); 0]);
    assert!(type_name_of_val(&(&&&probe(&pipe, &u8s)).__call_core_join()).ends_with("TakeInner"));
    assert!(type_name_of_val(&(&&&probe(&pipe, &nevers)).__call_core_join()).ends_with("TakeInner"));
    let pipe = Pipe::new(sig::<Outer>("R::o#1"));
    assert!(type_name_of_val(&(&&&probe(&pipe, &nevers)).__call_core_join()).ends_with("KeepOuter"));
    assert!(type_name_of_val(&(&&&probe(&pipe, &u8s)).__call_core_join()).contains("::Convert<"));
}

#[test]
fn a_call_stays_send_and_sync() {
    fn data<T: Send + Sync>(_: &T) {}
    let failing: Call<i64, u8> = Call::new("R::f#1", &[(); 0]);
    data(&Pipe::new(sig::<Outer>("R::o#1")).nested(failing, Convert(Outer::from)).finish());
}

#[test]
fn an_unencodable_value_fails_the_whole_call() {
    let mut map = std::collections::HashMap::new();
    map.insert((1, 2), 3);
    let call = Pipe::new(sig::<Never>("R::o#1")).value(&map).finish();
    assert!(call.plan().unwrap_err().contains("argument 0 of R::o#1"));
}
