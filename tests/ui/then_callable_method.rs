use call_core::local::LocalStub;
use call_core::{call, continuation, CallError};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

pub struct Controller {
    remote: LocalStub<Remote>,
}

#[continuation]
impl Controller {
    #[callable]
    fn record(&self, sum: Result<i64, CallError>) {
        let _ = sum;
    }

    #[callable]
    fn start(&self) {
        call!(self.remote, Remote::add(1, 2), then self.record($result));
    }
}

fn main() {}
