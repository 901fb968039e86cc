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

impl Remote {
    pub fn helper(&self, a: i64) -> i64 {
        a
    }
}

fn caller(stub: LocalStub<Remote>) {
    let _ = call!(stub, Remote::helper(1));
}

fn main() {}
