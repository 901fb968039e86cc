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
    pub fn echo(&self, s: String) -> String {
        *self.calls.borrow_mut() += 1;
        s
    }

    pub async fn add(&self, a: i64, b: i64) -> Result<i64, MathError> {
        a.checked_add(b).ok_or(MathError::Overflow)
    }

    pub fn boom(&self, why: String) -> u32 {
        panic!("boom: {why}")
    }

    pub async fn slow(&self, ms: u64) -> u64 {
        local::sleep(Duration::from_millis(ms)).await;
        ms
    }

    pub fn nothing(&self) {}
}

type Sum = Result<i64, CallError<MathError>>;

#[derive(Default)]
pub struct Controller {
    seen: RefCell<Vec<(u32, Sum)>>,
}

#[continuation]
impl Controller {
    pub fn on_sum(&self, sum: Sum, op: u32) {
        self.seen.borrow_mut().push((op, sum));
    }

    pub async fn start(&self, a: i64, b: i64, op: u32) {
        let remote = REMOTE.with(Clone::clone);
        call!(remote, Remote::add(a, b), then self.on_sum($result, op));
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
