use call_core::local::LocalStub;
use call_core::{call, continuation, CallError};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    #[handler]
    pub fn on_sum(&self, sum: Result<i64, CallError>) {
        let _ = sum;
    }
}

fn caller(stub: LocalStub<Remote>) {
    let _ = call!(stub, Remote::add(Remote::on_sum(Ok(1)), 3));
}

fn main() {}
