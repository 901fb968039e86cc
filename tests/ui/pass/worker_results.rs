// `worker::Result<T>` (and `Result<T, worker::Error>`) methods are callable as written: the
// error travels as `WorkerError { message }`, its `Display`.
use call_core::local::{self, LocalStub};
use call_core::{call, continuation, CallError, WorkerError};

pub struct Store;

#[continuation]
impl Store {
    #[callable]
    async fn get(&self, key: &str) -> worker::Result<u32> {
        match key {
            "one" => Ok(1),
            _ => Err(worker::Error::RustError(format!("no key {key}"))),
        }
    }

    #[callable]
    fn put(&self, key: String) -> Result<(), worker::Error> {
        Err(worker::Error::RustError(format!("read-only: {key}")))
    }
}

fn main() {
    let store = LocalStub::new(Store);
    let one: Result<u32, CallError<WorkerError>> = local::block_on(async { call!(store, Store::get("one")).await });
    assert_eq!(one, Ok(1));
    let missing = local::block_on(async { call!(store, Store::get("two")).await });
    assert_eq!(missing, Err(CallError::App(WorkerError { message: "no key two".into() })));
    let put = local::block_on(async { call!(store, Store::put("k".into())).await });
    assert_eq!(put.unwrap_err().app().map(|e| e.message.as_str()), Some("read-only: k"));
}
