use call_core::{call, remote, CallStub};

#[remote]
pub trait JsCounter {
    fn add(&self, n: u64) -> u64;
}

async fn caller(stub: CallStub) {
    let _ = call!(stub, JsCounter::add(JsCounter::add(1))).await;
}

fn main() {}
