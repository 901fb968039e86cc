use call_core::local::{self, LocalStub};
use call_core::{call, continuation};

mod remote {
    pub struct Remote;

    #[call_core::continuation]
    impl Remote {
        #[callable]
        pub fn add(&self, a: i64, b: i64) -> i64 {
            a + b
        }
    }
}

pub struct Local;

#[continuation]
impl self::Local {
    #[callable]
    pub fn id(&self, n: u8) -> u8 {
        n
    }
}

fn main() {
    let stub = LocalStub::new(remote::Remote);
    assert_eq!(local::block_on(async { call!(stub, remote::Remote::add(1, 2)).await }), Ok(3));
    assert_eq!(local::block_on(async { call!(stub, crate::remote::Remote::add(2, 2)).await }), Ok(4));
    let local = LocalStub::new(Local);
    assert_eq!(local::block_on(async { call!(local, Local::id(1)).await }), Ok(1));
}
