//! Nested calls and fan-in through the in-process transport: the same caller and callee code
//! as in workerd, with a transport that counts round trips and injected faults.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use call_core::local::{self, Fault, LocalStub};
use call_core::{call, continuation, CallError, Limits, Never, RemoteErrorKind, Transport};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MathError {
    Overflow,
}

/// An error type that a `MathError` converts into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AppError {
    Math(MathError),
    Empty,
}

impl From<MathError> for AppError {
    fn from(e: MathError) -> Self {
        AppError::Math(e)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    x: i64,
    y: i64,
}

#[derive(Default)]
pub struct Remote {
    /// The methods run, in order.
    ran: RefCell<Vec<&'static str>>,
}

impl Remote {
    fn ran(&self, method: &'static str) {
        self.ran.borrow_mut().push(method);
    }

    /// Not callable: an associated function the caller may use in a block.
    pub fn local_helper(n: i64) -> i64 {
        n * 100
    }
}

#[continuation]
impl Remote {
    #[callable]
    pub async fn add(&self, a: i64, b: i64) -> Result<i64, MathError> {
        self.ran("add");
        a.checked_add(b).ok_or(MathError::Overflow)
    }

    #[callable]
    pub fn echo(&self, s: String) -> String {
        self.ran("echo");
        s
    }

    #[callable]
    pub fn upper(&self, s: &str) -> String {
        self.ran("upper");
        s.to_uppercase()
    }

    #[callable]
    pub fn len(&self, s: &str) -> u32 {
        self.ran("len");
        s.len() as u32
    }

    #[callable]
    pub fn join(&self, a: &str, b: &str) -> String {
        self.ran("join");
        format!("{a}{b}")
    }

    #[callable]
    pub fn describe(&self, n: i64) -> String {
        self.ran("describe");
        format!("n={n}")
    }

    #[callable]
    pub fn label(&self, n: i64) -> Result<String, AppError> {
        self.ran("label");
        if n == 0 {
            return Err(AppError::Empty);
        }
        Ok(format!("#{n}"))
    }

    #[callable]
    pub fn sum(&self, values: &[i64]) -> i64 {
        self.ran("sum");
        values.iter().sum()
    }

    #[callable]
    pub fn values(&self, n: i64) -> Vec<i64> {
        self.ran("values");
        (1..=n).collect()
    }

    #[callable]
    pub fn point(&self, x: i64) -> Point {
        self.ran("point");
        Point { x, y: -x }
    }

    #[callable]
    pub fn norm(&self, p: &Point, scale: Option<&Point>, note: Option<&str>) -> String {
        self.ran("norm");
        let k = scale.map_or(1, |s| s.x);
        format!("{}:{}", (p.x.abs() + p.y.abs()) * k, note.unwrap_or("-"))
    }

    #[callable]
    pub fn maybe(&self, s: String) -> Option<String> {
        self.ran("maybe");
        (!s.is_empty()).then_some(s)
    }

    #[callable]
    pub fn boom(&self, why: String) -> i64 {
        panic!("boom: {why}")
    }

    #[callable]
    pub fn inc(&self, n: u32) -> u32 {
        self.ran("inc");
        n + 1
    }

    #[callable]
    pub async fn slow(&self, ms: u64) -> i64 {
        local::sleep(Duration::from_millis(ms)).await;
        ms as i64
    }
}

/// A transport that counts the envelopes it carries to a `LocalStub`.
#[derive(Clone)]
struct Counted<T: 'static> {
    stub: LocalStub<T>,
    sent: Rc<Cell<u32>>,
}

impl<T: call_core::Callee> Counted<T> {
    fn new(target: T) -> Self {
        Counted { stub: LocalStub::new(target), sent: Rc::default() }
    }
}

impl<T: call_core::Callee> Transport for Counted<T> {
    type Reply = <LocalStub<T> as Transport>::Reply;

    fn send(&self, envelope: &str) -> Self::Reply {
        self.sent.set(self.sent.get() + 1);
        self.stub.send(envelope)
    }
}

#[test]
fn nested_calls_run_in_one_round_trip() {
    let remote = Counted::new(Remote::default());
    local::block_on(async {
        assert_eq!(call!(remote, Remote::add(Remote::add(1, 2), 3)).await, Ok(6));
        assert_eq!(remote.sent.get(), 1);
        let s = String::from("pipelined");
        assert_eq!(call!(remote, Remote::len(Remote::upper(Remote::echo(s.clone())))).await, Ok(9));
        assert_eq!(remote.sent.get(), 2);
    });
    assert_eq!(*remote.stub.target().ran.borrow(), ["add", "add", "echo", "upper", "len"]);
}

#[test]
fn arguments_mix_literals_captured_values_and_nested_calls_in_writing_order() {
    let remote = Counted::new(Remote::default());
    let order = RefCell::new(Vec::new());
    let note = |n: i64| {
        order.borrow_mut().push(n);
        n
    };
    let x = 10;
    local::block_on(async {
        let sum = call!(remote, Remote::add(note(x), Remote::add(Remote::add(note(1), note(2)), note(3)))).await;
        assert_eq!(sum, Ok(16));
        // A block is evaluated by the caller, even when it calls the same type.
        let block = call!(remote, Remote::add({ Remote::local_helper(2) }, Remote::add(1, 1))).await;
        assert_eq!(block, Ok(202));
    });
    assert_eq!(*order.borrow(), [10, 1, 2, 3]);
    assert_eq!(remote.sent.get(), 2);
}

#[test]
fn nested_calls_feed_borrowed_parameters_their_owned_form() {
    let remote = LocalStub::new(Remote::default());
    local::block_on(async {
        // String → &str, Vec<i64> → &[i64], Point → &Point, Option<String> → Option<&str>.
        assert_eq!(call!(remote, Remote::sum(Remote::values(4))).await, Ok(10));
        let described = call!(remote, Remote::norm(Remote::point(3), None, Remote::maybe("hi".into()))).await;
        assert_eq!(described, Ok("6:hi".to_string()));
        let p = Point { x: 2, y: 0 };
        assert_eq!(call!(remote, Remote::norm(&p, Some(&p), None)).await, Ok("4:-".to_string()));
        // Option<Point> → Option<&Point> is not produced by any method here; a value works.
        assert_eq!(call!(remote, Remote::upper(Remote::describe(Remote::add(1, 1)))).await, Ok("N=2".to_string()));
    });
}

#[test]
fn a_failing_inner_step_stops_the_plan_with_its_typed_error() {
    let remote = LocalStub::new(Remote::default());
    local::block_on(async {
        // Both steps fail with MathError: the outer one never runs.
        let r: Result<i64, CallError<MathError>> = call!(remote, Remote::add(Remote::add(i64::MAX, 1), 3)).await;
        assert_eq!(r, Err(CallError::App(MathError::Overflow)));
        // An outer method that cannot fail takes the inner error type.
        let r: Result<String, CallError<MathError>> = call!(remote, Remote::describe(Remote::add(i64::MAX, 1))).await;
        assert_eq!(r, Err(CallError::App(MathError::Overflow)));
        // The inner error converts into the outer one with `From`; the outer's own error too.
        let r: Result<String, CallError<AppError>> = call!(remote, Remote::label(Remote::add(i64::MAX, 1))).await;
        assert_eq!(r, Err(CallError::App(AppError::Math(MathError::Overflow))));
        assert_eq!(call!(remote, Remote::label(Remote::add(0, 0))).await, Err(CallError::App(AppError::Empty)));
        assert_eq!(call!(remote, Remote::label(Remote::add(2, 3))).await, Ok("#5".to_string()));
        // Infallible all the way: CallError<Never>.
        let r: Result<u32, CallError<Never>> = call!(remote, Remote::len(Remote::upper("abc"))).await;
        assert_eq!(r, Ok(3));
    });
    let ran = remote.target().ran.borrow();
    assert_eq!(ran.iter().filter(|m| **m == "describe").count(), 0, "{ran:?}");
    assert_eq!(ran.iter().filter(|m| **m == "label").count(), 2, "{ran:?}");
}

#[test]
fn a_panic_in_an_inner_step_is_a_remote_error_and_the_plan_stops() {
    let remote = LocalStub::new(Remote::default());
    local::block_on(async {
        let err = call!(remote, Remote::describe(Remote::boom("inner".into()))).await.unwrap_err();
        assert_eq!(err.remote_kind(), Some(RemoteErrorKind::Panic));
        assert_eq!(call!(remote, Remote::describe(Remote::add(1, 1))).await, Ok("n=2".to_string()));
    });
    assert_eq!(*remote.target().ran.borrow(), ["add", "describe"]);
}

#[test]
fn limits_apply_to_the_whole_plan() {
    let remote = LocalStub::new(Remote::default());
    // Each argument fits; together they exceed the envelope limit: refused before sending.
    remote.inject(Some(Fault::Transport("must not be reached".into())));
    let half = "x".repeat(Limits::DEFAULT.max_bytes / 2 + 1);
    local::block_on(async {
        match call!(remote, Remote::len(Remote::join(Remote::echo(half.clone()), Remote::upper(&half)))).await {
            Err(CallError::Limit(m)) => assert!(m.contains("exceeds the limit"), "{m}"),
            other => panic!("expected a Limit error, got {other:?}"),
        }
    });
    remote.inject(None);
    // A chain of 16, the limit, runs (17 is a compile error: tests/ui/nested_too_deep.rs).
    assert_eq!(Limits::DEFAULT.max_depth, 16, "call-macros' check::MAX_DEPTH must follow");
    assert_eq!(Limits::DEFAULT.max_steps, 64, "call-macros' check::MAX_STEPS must follow");
    let sixteen = local::block_on(async {
        call!(
            remote,
            Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(
                Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(
                    0
                ))))))))
            ))))))))
        )
        .await
    });
    assert_eq!(sixteen, Ok(16));
}

#[test]
fn timeouts_and_transport_faults_apply_to_the_whole_plan() {
    let remote = LocalStub::new(Remote::default());
    local::block_on(async {
        let r = call!(remote, Remote::add(Remote::slow(300), 1), timeout = Duration::from_millis(20)).await;
        assert_eq!(r, Err(CallError::Timeout));
        remote.inject(Some(Fault::Transport("link down".into())));
        let r = call!(remote, Remote::add(Remote::add(1, 1), 1)).await;
        assert_eq!(r, Err(CallError::Transport("link down".into())));
    });
}

type Sum = Result<i64, CallError<MathError>>;
type Both = (Result<i64, CallError<MathError>>, Result<String, CallError>);

#[derive(Default)]
pub struct Controller {
    sums: RefCell<Vec<(u32, Sum)>>,
    both: RefCell<Vec<(u32, Both)>>,
}

#[continuation]
impl Controller {
    #[handler]
    pub fn on_sum(&self, sum: Sum, op: u32) {
        self.sums.borrow_mut().push((op, sum));
    }

    #[handler]
    pub async fn on_both(&self, op: u32, both: Both) {
        self.both.borrow_mut().push((op, both));
    }
}

thread_local! {
    static REMOTE: LocalStub<Remote> = LocalStub::new(Remote::default());
    static OTHER: LocalStub<Remote> = LocalStub::new(Remote::default());
}

impl Controller {
    fn start_nested(&self, a: i64, op: u32) -> call_core::CallHandle {
        let remote = REMOTE.with(Clone::clone);
        call!(remote, Remote::add(Remote::add(a, 1), 1), then self.on_sum($result, op))
    }

    fn start_fan_in(&self, op: u32, other: &LocalStub<Remote>, timeout: u64) -> call_core::CallHandle {
        let remote = REMOTE.with(Clone::clone);
        call!(
            all(remote => Remote::add(Remote::add(1, 2), 3), other => Remote::echo(format!("op{op}"))),
            then self.on_both(op, $result),
            timeout = Duration::from_millis(timeout)
        )
    }
}

fn wait_until(done: impl Fn() -> bool) {
    local::block_on(async {
        for _ in 0..2000 {
            if done() {
                return;
            }
            local::sleep(Duration::from_millis(1)).await;
        }
        panic!("timed out waiting");
    });
}

#[test]
fn nested_calls_continue_with_then() {
    let controller = LocalStub::new(Controller::default());
    controller.target().start_nested(1, 1);
    controller.target().start_nested(i64::MAX, 2);
    wait_until(|| controller.target().sums.borrow().len() == 2);
    let sums = controller.target().sums.borrow();
    assert!(sums.contains(&(1, Ok(3))));
    assert!(sums.contains(&(2, Err(CallError::App(MathError::Overflow)))));
}

#[test]
fn fan_in_awaited_returns_every_result_in_order() {
    let a = Counted::new(Remote::default());
    let b = OTHER.with(Clone::clone);
    let (sum, echoed, len) = local::block_on(async {
        call!(all(a => Remote::add(Remote::add(1, 2), 3), &b => Remote::echo("b".into()), a => Remote::len("four")))
            .await
    });
    assert_eq!((sum, echoed, len), (Ok(6), Ok("b".to_string()), Ok(4)));
    assert_eq!(a.sent.get(), 2, "one envelope per member");
    let (one,) = local::block_on(async { call!(all(b => Remote::add(i64::MAX, 1))).await });
    assert_eq!(one, Err(CallError::App(MathError::Overflow)));
}

#[test]
fn fan_in_continues_once_when_every_member_has_ended() {
    let controller = LocalStub::new(Controller::default());
    let other = LocalStub::new(Remote::default());
    let handle = controller.target().start_fan_in(1, &other, 5_000);
    assert!(!handle.is_finished());
    wait_until(|| !controller.target().both.borrow().is_empty());
    assert!(handle.is_finished() && !handle.cancel());
    // One member never answers: it times out, the other keeps its result, the handler runs
    // once with both.
    other.inject(Some(Fault::Drop));
    controller.target().start_fan_in(2, &other, 30);
    wait_until(|| controller.target().both.borrow().len() == 2);
    local::block_on(local::sleep(Duration::from_millis(60)));
    let both = controller.target().both.borrow();
    assert_eq!(both[0], (1, (Ok(6), Ok("op1".to_string()))));
    assert_eq!(both[1], (2, (Ok(6), Err(CallError::Timeout))));
    assert_eq!(both.len(), 2, "each fan-in continued exactly once");
}

#[test]
fn cancelling_a_fan_in_cancels_its_pending_members_and_continues_once() {
    let controller = LocalStub::new(Controller::default());
    let other = LocalStub::new(Remote::default());
    other.inject(Some(Fault::Drop));
    let handle = controller.target().start_fan_in(3, &other, 5_000);
    // Let the first member answer, then cancel: it keeps its result.
    wait_until(|| REMOTE.with(|r| r.target().ran.borrow().len() >= 2));
    local::block_on(local::sleep(Duration::from_millis(5)));
    assert!(handle.cancel());
    assert!(!handle.cancel(), "a second cancel does nothing");
    wait_until(|| !controller.target().both.borrow().is_empty());
    local::block_on(local::sleep(Duration::from_millis(20)));
    let both = controller.target().both.borrow();
    assert_eq!(*both, [(3, (Ok(6), Err(CallError::Cancelled)))]);
    assert_eq!(call_core::testing::pending_timers(), 0, "no member left a deadline behind");
}
