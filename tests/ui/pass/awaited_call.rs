use call_core::local::{self, LocalStub};
use call_core::{call, continuation, CallError, Never};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn main() {
    let stub = LocalStub::new(Remote);
    let sum: Result<i64, CallError<Never>> = local::block_on(async { call!(stub, Remote::add(1, 2)).await });
    assert_eq!(sum, Ok(3));
}
