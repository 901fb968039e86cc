use call_core::local::{self, LocalStub};
use call_core::{call, continuation, CallError, Never};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn ping(&self) {}

    #[callable]
    pub fn answer(&self) -> u32 {
        42
    }
}

fn main() {
    let stub = LocalStub::new(Remote);
    local::block_on(async {
        let unit: Result<(), CallError<Never>> = call!(stub, Remote::ping()).await;
        assert_eq!(unit, Ok(()));
        assert_eq!(call!(stub, Remote::answer()).await, Ok(42));
    });
}
