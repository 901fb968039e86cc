use call_core::local::LocalStub;
use call_core::{call, continuation};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    #[callable]
    pub fn upper(&self, s: &str) -> String {
        s.to_uppercase()
    }
}

fn caller(stub: LocalStub<Remote>) {
    let _ = call!(stub, Remote::add(Remote::add(1, 2), Remote::sub(3, 1)));
}

fn main() {}