use call_core::local::LocalStub;
use call_core::{call, continuation};

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
    pub fn on_sum(&self, op: u32) {
        let _ = op;
    }

    #[callable]
    pub fn start(&self) {
        call!(self.remote, Remote::add(1, 2), then self.on_sum(7));
    }
}

fn main() {}
