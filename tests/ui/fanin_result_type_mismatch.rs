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
    a: LocalStub<Remote>,
    b: LocalStub<Remote>,
}

#[continuation]
impl Controller {
    #[handler]
    pub fn on_both(&self, both: (Result<i64, CallError>, Result<String, CallError>)) {
        let _ = both;
    }
}

impl Controller {
    fn start(&self) {
        call!(all(self.a => Remote::add(1, 2), self.b => Remote::add(3, 4)), then self.on_both($result));
    }
}

fn main() {}