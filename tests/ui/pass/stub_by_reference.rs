use call_core::local::{self, LocalStub};
use call_core::{call, continuation};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn through_ref(stub: &LocalStub<Remote>) -> i64 {
    local::block_on(async { call!(stub, Remote::add(1, 2)).await.unwrap() })
}

fn main() {
    let stub = LocalStub::new(Remote);
    assert_eq!(local::block_on(async { call!(&stub, Remote::add(2, 3)).await }), Ok(5));
    assert_eq!(through_ref(&stub), 3);
    // The stub is only borrowed: it is still usable by value afterwards.
    assert_eq!(local::block_on(async { call!(stub, Remote::add(3, 4)).await }), Ok(7));
}
