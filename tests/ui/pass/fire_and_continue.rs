use std::cell::RefCell;
use std::time::Duration;

use call_core::local::{self, LocalStub};
use call_core::{call, continuation, CallError, CallHandle, Never};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

#[derive(Default)]
pub struct Controller {
    seen: RefCell<Vec<(String, i64, u8, Vec<u32>)>>,
}

#[continuation]
impl Controller {
    #[handler]
    pub fn record(&self, label: String, sum: Result<i64, CallError<Never>>, tag: u8, list: Vec<u32>) {
        self.seen.borrow_mut().push((label, sum.unwrap_or(-1), tag, list));
    }
}

// Not callable: `start` takes a stub, which is not data. `then` works from any method.
impl Controller {
    pub fn start(&self, remote: LocalStub<Remote>) {
        let label = String::from("sum");
        let handle: CallHandle =
            call!(remote, Remote::add(20, 22), then self.record(label.clone(), $result, 7u8 + 1, vec![1, 2]));
        let _ = handle.call_id();
    }
}

fn main() {
    let remote = LocalStub::new(Remote);
    let controller = LocalStub::new(Controller::default());
    controller.target().start(remote);
    local::block_on(async {
        while controller.target().seen.borrow().is_empty() {
            local::sleep(Duration::from_millis(1)).await;
        }
    });
    assert_eq!(controller.target().seen.borrow()[0], ("sum".to_string(), 42, 8, vec![1, 2]));
}
