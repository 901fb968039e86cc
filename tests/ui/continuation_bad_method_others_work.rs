use call_core::local::LocalStub;
use call_core::{call, continuation};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    #[callable]
    fn generic<T>(&self, t: u8) -> u8 {
        t
    }
}

// `add` is still callable: one error, at `generic`.
async fn caller(stub: LocalStub<Remote>) {
    let _ = call!(stub, Remote::add(1, 2)).await;
}

fn main() {}
