use std::cell::Cell;
use std::time::Duration;

use call_core::local::{self, LocalStub};
use call_core::{call, continuation, CallError, Never};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub async fn slow_double(&self, n: u32) -> u32 {
        local::sleep(Duration::from_millis(1)).await;
        n * 2
    }
}

#[derive(Default)]
pub struct Controller {
    got: Cell<Option<u32>>,
}

#[continuation]
impl Controller {
    #[handler]
    pub async fn on_double(&self, n: Result<u32, CallError<Never>>) {
        local::sleep(Duration::from_millis(1)).await;
        self.got.set(n.ok());
    }
}

// Not callable: `start` takes a stub, which is not data. `then` works from any method.
impl Controller {
    pub async fn start(&self, remote: LocalStub<Remote>) -> u32 {
        call!(remote, Remote::slow_double(4), then self.on_double($result));
        call!(remote, Remote::slow_double(5)).await.unwrap_or(0)
    }
}

fn main() {
    let remote = LocalStub::new(Remote);
    let controller = LocalStub::new(Controller::default());
    let direct = local::block_on(async {
        let direct = controller.target().start(remote).await;
        while controller.target().got.get().is_none() {
            local::sleep(Duration::from_millis(1)).await;
        }
        direct
    });
    assert_eq!(direct, 10);
    assert_eq!(controller.target().got.get(), Some(8));
}
