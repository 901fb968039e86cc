//! The executor through the in-process transport: the same caller and callee code as in
//! workerd, driven natively, with injected faults.

use std::cell::RefCell;
use std::time::Duration;

use call_core::local::{self, Fault, LocalStub};
use call_core::{call, continuation, CallError, RemoteErrorKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MathError {
    Overflow,
}

#[derive(Default)]
pub struct Remote {
    calls: RefCell<u32>,
}

#[continuation]
impl Remote {
    #[callable]
    pub fn echo(&self, s: String) -> String {
        *self.calls.borrow_mut() += 1;
        s
    }

    #[callable]
    pub async fn add(&self, a: i64, b: i64) -> Result<i64, MathError> {
        a.checked_add(b).ok_or(MathError::Overflow)
    }

    #[callable]
    pub fn boom(&self, why: String) -> u32 {
        panic!("boom: {why}")
    }

    #[callable]
    pub async fn slow(&self, ms: u64) -> u64 {
        local::sleep(Duration::from_millis(ms)).await;
        ms
    }

    #[callable]
    pub fn nothing(&self) {}
}

type Sum = Result<i64, CallError<MathError>>;

#[derive(Default)]
pub struct Controller {
    seen: RefCell<Vec<(u32, Sum)>>,
}

#[continuation]
impl Controller {
    #[handler]
    pub fn on_sum(&self, sum: Sum, op: u32) {
        self.seen.borrow_mut().push((op, sum));
    }

    #[callable]
    pub async fn start(&self, a: i64, b: i64, op: u32) {
        let remote = REMOTE.with(Clone::clone);
        call!(remote, Remote::add(a, b), then self.on_sum($result, op));
    }

    /// Starts a call whose reply never comes, cancels it, and reports what `cancel` said
    /// the first and the second time.
    #[callable]
    pub async fn start_and_cancel(&self, op: u32) -> (bool, bool) {
        let remote = LocalStub::new(Remote::default());
        remote.inject(Some(Fault::Drop));
        let handle = call!(remote, Remote::add(1, 1), then self.on_sum($result, op));
        (handle.cancel(), handle.cancel())
    }

    /// Starts a call whose reply never comes, with a short timeout.
    #[callable]
    pub async fn start_dropped(&self, op: u32) {
        let remote = LocalStub::new(Remote::default());
        remote.inject(Some(Fault::Drop));
        call!(remote, Remote::add(1, 1), then self.on_sum($result, op), timeout = Duration::from_millis(20));
    }
}

thread_local! {
    static REMOTE: LocalStub<Remote> = LocalStub::new(Remote::default());
}

#[test]
fn awaited_calls_return_typed_values_and_errors() {
    let remote = REMOTE.with(Clone::clone);
    local::block_on(async {
        assert_eq!(call!(remote, Remote::echo("hi".to_string())).await, Ok("hi".to_string()));
        assert_eq!(call!(remote, Remote::add(1, 2)).await, Ok(3));
        assert_eq!(call!(&remote, Remote::add(i64::MAX, 1)).await, Err(CallError::App(MathError::Overflow)));
        assert_eq!(call!(remote, Remote::nothing()).await, Ok(()));
    });
}

#[test]
fn a_panic_is_a_typed_remote_error_and_the_callee_keeps_serving() {
    let remote = REMOTE.with(Clone::clone);
    local::block_on(async {
        let err = call!(remote, Remote::boom("x".into())).await.unwrap_err();
        assert_eq!(err.remote_kind(), Some(RemoteErrorKind::Panic));
        assert_eq!(call!(remote, Remote::add(2, 2)).await, Ok(4));
    });
}

#[test]
fn continuations_run_with_the_result_and_captured_arguments() {
    let controller = LocalStub::new(Controller::default());
    local::block_on(async {
        call!(controller, Controller::start(5, 6, 1)).await.unwrap();
        call!(controller, Controller::start(i64::MAX, 1, 2)).await.unwrap();
        while controller.target().seen.borrow().len() < 2 {
            local::sleep(Duration::from_millis(1)).await;
        }
    });
    let seen = controller.target().seen.borrow();
    assert!(seen.contains(&(1, Ok(11))));
    assert!(seen.contains(&(2, Err(CallError::App(MathError::Overflow)))));
}

#[test]
fn timeouts_and_transport_faults_are_typed() {
    let remote = LocalStub::new(Remote::default());
    local::block_on(async {
        let slow = call!(remote, Remote::slow(200), timeout = Duration::from_millis(20)).await;
        assert_eq!(slow, Err(CallError::Timeout));
        remote.inject(Some(Fault::Transport("link down".into())));
        assert_eq!(call!(remote, Remote::add(1, 1)).await, Err(CallError::Transport("link down".into())));
        remote.inject(Some(Fault::TruncateReply));
        assert!(matches!(call!(remote, Remote::add(1, 1)).await, Err(CallError::Transport(_))));
        remote.inject(None);
        assert_eq!(call!(remote, Remote::add(1, 1)).await, Ok(2));
    });
}

#[test]
fn oversized_calls_are_refused_before_sending() {
    let remote = LocalStub::new(Remote::default());
    // A transport fault would surface as `Transport`: `Limit` shows nothing was sent.
    remote.inject(Some(Fault::Transport("must not be reached".into())));
    let huge = "x".repeat(call_core::Limits::DEFAULT.max_bytes + 1);
    local::block_on(async {
        match call!(remote, Remote::echo(huge)).await {
            Err(CallError::Limit(message)) => assert!(message.contains("exceeds the limit"), "{message}"),
            other => panic!("expected a Limit error, got {other:?}"),
        }
    });
}

#[test]
fn plans_over_the_step_and_depth_limits_are_refused() {
    use call_core::{Call, Plan, Step};
    let remote = LocalStub::new(Remote::default());
    remote.inject(Some(Fault::Transport("must not be reached".into())));
    let echo = call_core::testing::methods::<Remote>().iter().find(|m| m.starts_with("Remote::echo#")).unwrap();
    let step = |refs: Vec<(u32, u32)>| Step { method: (*echo).into(), args: "[\"x\"]".into(), refs };
    let wide = Plan { steps: (0..65).map(|_| step(vec![])).collect() };
    let deep = Plan { steps: (0..17).map(|i| step(if i == 0 { vec![] } else { vec![(0, i - 1)] })).collect() };
    local::block_on(async {
        for (plan, what) in [(wide, "65 steps"), (deep, "depth of 17")] {
            match call_core::caller::send(&remote, Call::<String>::from_plan(plan)).await {
                Err(CallError::Limit(message)) => assert!(message.contains(what), "{message}"),
                other => panic!("expected a Limit error, got {other:?}"),
            }
        }
    });
}

#[test]
fn a_multi_step_plan_feeds_results_forward_in_one_round_trip() {
    use call_core::{Call, Plan, Step};
    let remote = LocalStub::new(Remote::default());
    let add = call_core::testing::methods::<Remote>().iter().find(|m| m.starts_with("Remote::add#")).unwrap();
    // add(add(1, 2), 3): the second step takes the first step's result as its argument 0.
    let plan = Plan {
        steps: vec![
            Step { method: (*add).into(), args: "[1,2]".into(), refs: vec![] },
            Step { method: (*add).into(), args: "[null,3]".into(), refs: vec![(0, 0)] },
        ],
    };
    let sum = local::block_on(call_core::caller::send(&remote, Call::<i64, MathError>::from_plan(plan)));
    assert_eq!(sum, Ok(6));
    assert_eq!(*remote.target().calls.borrow(), 0, "echo was not called");
}

#[test]
fn cancelled_and_timed_out_continuations_run_once_with_their_error() {
    let controller = LocalStub::new(Controller::default());
    local::block_on(async {
        assert_eq!(call!(controller, Controller::start_and_cancel(1)).await, Ok((true, false)));
        call!(controller, Controller::start_dropped(2)).await.unwrap();
        local::sleep(Duration::from_millis(60)).await;
    });
    let seen = controller.target().seen.borrow();
    assert_eq!(*seen, vec![(1, Err(CallError::Cancelled)), (2, Err(CallError::Timeout))]);
}

/// A call by name from JavaScript (what the generated class's method sends to
/// `__call_core_named`): the value's JSON, or `!` and a typed error reply; nothing but the
/// callable methods answers, and the object keeps serving.
#[test]
fn calls_by_name_answer_the_value_or_a_marked_error() {
    use call_core::dispatch::{methods, serve_named_async, serve_named_now};
    let remote = Remote::default();
    let id = |name: &str| *methods::<Remote>().iter().find(|m| m.starts_with(&format!("Remote::{name}#"))).unwrap();
    let error = |reply: &str| -> serde_json::Value {
        let rest = reply.strip_prefix('!').unwrap_or_else(|| panic!("not an error reply: {reply}"));
        serde_json::from_str(rest).unwrap()
    };
    assert_eq!(serve_named_now(&remote, id("echo"), r#"["hi"]"#).as_deref(), Some(r#""hi""#));
    assert_eq!(serve_named_now(&remote, id("nothing"), "[]").as_deref(), Some("null"));
    // Async: nothing runs now; the async entry answers.
    assert_eq!(serve_named_now(&remote, id("add"), "[1,2]"), None);
    assert_eq!(local::block_on(serve_named_async(&remote, id("add"), "[1,2]")), "3");
    let overflow = local::block_on(serve_named_async(&remote, id("add"), &format!("[{},1]", i64::MAX)));
    assert_eq!(error(&overflow)["err"]["app"], "Overflow", "{overflow}");
    // Bad input: typed, and the object keeps serving.
    let wrong = serve_named_now(&remote, id("echo"), "[1]").unwrap();
    assert_eq!(error(&wrong)["err"]["remote"]["kind"], "decode", "{wrong}");
    assert!(wrong.contains("argument 1 (`s`)"), "{wrong}");
    let panicked = serve_named_now(&remote, id("boom"), r#"["x"]"#).unwrap();
    assert_eq!(error(&panicked)["err"]["remote"]["kind"], "panic", "{panicked}");
    let unknown = serve_named_now(&remote, "Controller::on_sum#0", "[]").unwrap();
    assert_eq!(error(&unknown)["err"]["remote"]["kind"], "unknown_method", "{unknown}");
    let huge = format!(r#"["{}"]"#, "x".repeat(32 << 20));
    let refused = serve_named_now(&remote, id("echo"), &huge).unwrap();
    assert_eq!(error(&refused)["err"]["remote"]["kind"], "limit", "{refused}");
    assert_eq!(*remote.calls.borrow(), 1, "only the valid echo ran");
    assert_eq!(serve_named_now(&remote, id("echo"), r#"["again"]"#).as_deref(), Some(r#""again""#));
}
