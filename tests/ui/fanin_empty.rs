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

fn caller(a: LocalStub<Remote>) {
    let _ = call!(all());
    let _ = a;
}

fn main() {}