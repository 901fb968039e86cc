use call_core::{call, remote, CallStub};

#[remote]
pub trait JsCounter {
    const LIMIT: u32;
    fn add(&self, n: u64) -> u64;
    fn with_body(&self) -> u64 {
        1
    }
    fn no_receiver(n: u64) -> u64;
    fn by_value(self) -> u64;
    fn generic<T>(&self, t: T) -> u64;
    fn fallible(&self) -> Result<u64, String>;
    fn mutable(&self, s: &mut String);
    #[js_name = "fetch"]
    fn get(&self) -> String;
    fn then(&self);
    #[js_name = 42]
    fn numbered(&self);
    #[js_name = "add"]
    fn add_again(&self, n: u64) -> u64;
}

async fn caller(stub: CallStub) {
    // The working method still works; a broken one is one error, at its declaration.
    let _ = call!(stub, JsCounter::add(1)).await;
    let _ = call!(stub, JsCounter::fallible()).await;
}

fn main() {}
