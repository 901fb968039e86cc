use call_core::{call, continuation, CallError, CallStub};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

pub struct Controller {
    remote: CallStub,
}

// Not `#[continuation(durable)]`: its storage is not known to be SQLite.
#[continuation]
impl Controller {
    #[handler]
    fn on_sum(&self, sum: Result<i64, CallError>) {
        let _ = sum;
    }

    #[callable]
    fn start(&self) {
        call!(self.remote, Remote::add(1, 2), then self.on_sum($result), durable);
    }
}

fn main() {}
