use call_core::remote;

#[remote]
pub struct JsCounter;

#[remote(durable)]
pub trait JsOther {
    fn add(&self, n: u64) -> u64;
}

fn main() {}
