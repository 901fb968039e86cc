use call_core::{call, remote, CallError, CallStub};

#[remote]
pub trait JsCounter {
    fn add(&self, n: u64) -> u64;
}

async fn caller(stub: CallStub) {
    let _: Result<String, CallError> = call!(stub, JsCounter::add(1)).await;
    let _ = call!(stub, JsCounter::add("one")).await;
}

fn main() {}
