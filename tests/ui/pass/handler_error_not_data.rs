// A handler's error stays on its object (it is logged with `Debug`), so it need not be
// data: `Result<(), E>` with any `E: Debug`.
use std::cell::Cell;

use call_core::local::{self, LocalStub};
use call_core::{call, continuation, CallError};

#[derive(Debug)]
pub struct Oops;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

#[derive(Default)]
pub struct Controller {
    sums: Cell<i64>,
}

#[continuation]
impl Controller {
    #[handler]
    fn on_sum(&self, sum: Result<i64, CallError>) -> Result<(), Oops> {
        self.sums.set(sum.map_err(|_| Oops)?);
        Ok(())
    }

    #[handler]
    async fn on_sum_later(&self, sum: Result<i64, CallError>) -> Result<(), Oops> {
        self.sums.set(sum.map_err(|_| Oops)?);
        Ok(())
    }
}

impl Controller {
    fn start(&self, remote: &LocalStub<Remote>) {
        call!(remote, Remote::add(1, 2), then self.on_sum($result));
        call!(remote, Remote::add(3, 4), then self.on_sum_later($result));
    }
}

fn main() {
    let remote = LocalStub::new(Remote);
    let controller = LocalStub::new(Controller::default());
    controller.target().start(&remote);
    // What this case shows is that it compiles; the calls also run.
    let _ = local::block_on(async { call!(remote, Remote::add(0, 0)).await });
}
