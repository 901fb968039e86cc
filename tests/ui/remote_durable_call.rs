use call_core::{call, continuation, remote, CallError, CallStub};

#[remote]
pub trait JsCounter {
    fn add(&self, n: u64) -> u64;
}

pub struct Controller {
    js: CallStub,
}

#[continuation(durable)]
impl Controller {
    #[handler]
    fn on_total(&self, total: Result<u64, CallError>) {
        let _ = total;
    }

    #[callable]
    fn start(&self) {
        call!(self.js, JsCounter::add(1), then self.on_total($result), durable);
    }
}

fn main() {}
