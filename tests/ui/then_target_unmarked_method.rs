use call_core::local::LocalStub;
use call_core::{call, continuation, CallError, Never};

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
    #[callable]
    pub fn start(&self) {
        call!(self.remote, Remote::add(1, 2), then self.on_sum($result));
    }
}

impl Controller {
    pub fn on_sum(&self, sum: Result<i64, CallError<Never>>) {
        let _ = sum;
    }
}

fn main() {}
