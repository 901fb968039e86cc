use call_core::{call, continuation, CallStub};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

async fn caller(stub: CallStub) {
    let _ = call!(stub, Remote::add(1, 2), durable).await;
}

fn main() {}
