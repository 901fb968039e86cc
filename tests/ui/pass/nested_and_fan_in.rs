// Nested calls and fan-ins: awaited and continued, with borrowed parameters, typed errors
// and a timeout.
use std::cell::RefCell;
use std::time::Duration;

use call_core::local::{self, LocalStub};
use call_core::{call, continuation, CallError, CallHandle, Never};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MathError {
    Overflow,
}

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub async fn add(&self, a: i64, b: i64) -> Result<i64, MathError> {
        a.checked_add(b).ok_or(MathError::Overflow)
    }

    #[callable]
    pub fn echo(&self, s: String) -> String {
        s
    }

    #[callable]
    pub fn upper(&self, s: &str) -> String {
        s.to_uppercase()
    }

    #[callable]
    pub fn len(&self, s: &str) -> usize {
        s.len()
    }
}

type Both = (Result<i64, CallError<MathError>>, Result<usize, CallError<Never>>);

#[derive(Default)]
pub struct Controller {
    seen: RefCell<Vec<(Both, u8)>>,
}

#[continuation]
impl Controller {
    #[handler]
    pub fn on_both(&self, both: Both, tag: u8) {
        self.seen.borrow_mut().push((both, tag));
    }

    #[handler]
    pub fn on_sum(&self, sum: Result<i64, CallError<MathError>>) {
        let _ = sum;
    }
}

impl Controller {
    fn start(&self, a: &LocalStub<Remote>, b: &LocalStub<Remote>) -> CallHandle {
        call!(a, Remote::add(Remote::add(1, 2), 3), then self.on_sum($result));
        call!(
            all(a => Remote::add(Remote::add(1, 2), 3), b => Remote::len(Remote::upper("four"))),
            then self.on_both($result, 7),
            timeout = Duration::from_secs(5)
        )
    }
}

fn main() {
    let a = LocalStub::new(Remote);
    let b = LocalStub::new(Remote);
    let s = String::from("abc");
    let (sum, len) = local::block_on(async {
        let chained: Result<usize, CallError> = call!(a, Remote::len(Remote::upper(Remote::echo(s.clone())))).await;
        assert_eq!(chained, Ok(3));
        call!(all(a => Remote::add(Remote::add(1, 2), 3), &b => Remote::len(&s))).await
    });
    assert_eq!((sum, len), (Ok(6), Ok(3)));
    let controller = LocalStub::new(Controller::default());
    let handle = controller.target().start(&a, &b);
    local::block_on(async {
        while !handle.is_finished() {
            local::sleep(Duration::from_millis(1)).await;
        }
    });
    assert_eq!(*controller.target().seen.borrow(), [((Ok(6), Ok(4)), 7)]);
}
