use std::time::Duration;

use call_core::local::{self, LocalStub};
use call_core::{call, continuation, CallError};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub async fn slow(&self, ms: u64) -> u64 {
        local::sleep(Duration::from_millis(ms)).await;
        ms
    }
}

fn main() {
    let stub = LocalStub::new(Remote);
    local::block_on(async {
        let limit = Duration::from_millis(10);
        assert_eq!(call!(stub, Remote::slow(200), timeout = limit).await, Err(CallError::Timeout));
        assert_eq!(call!(stub, Remote::slow(1), timeout = Duration::from_secs(5)).await, Ok(1));
    });
}
