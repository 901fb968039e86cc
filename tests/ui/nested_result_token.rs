use call_core::local::LocalStub;
use call_core::{call, continuation, CallError};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

pub struct Controller {
    remote: LocalStub<Remote>,
}

#[continuation]
impl Controller {
    #[handler]
    pub fn on_sum(&self, sum: Result<i64, CallError>) {
        let _ = sum;
    }
}

impl Controller {
    fn start(&self) {
        call!(self.remote, Remote::add(Remote::add($result, 1), 2), then self.on_sum($result));
    }
}

fn main() {}
