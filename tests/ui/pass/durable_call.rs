// The durable form compiles from a `#[continuation(durable)]` type (it runs in workerd; see
// tests/tests/durable.rs), with captured arguments on both sides of `$result`.
use call_core::{call, continuation, CallError, CallStub};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

pub struct Controller;

#[continuation(durable)]
impl Controller {
    #[handler]
    fn on_sum(&self, label: String, sum: Result<i64, CallError>, op: u32) {
        let _ = (label, sum, op);
    }

    #[handler]
    fn on_pair(&self, sums: (Result<i64, CallError>, Result<i64, CallError>), tag: u8) {
        let _ = (sums, tag);
    }

    #[handler]
    async fn on_sum_later(&self, sum: Result<i64, CallError>) -> Result<(), String> {
        sum.map(drop).map_err(|e| e.to_string())
    }
}

impl Controller {
    #[allow(dead_code)]
    fn start(&self, remote: &CallStub) {
        call!(remote, Remote::add(1, 2), then self.on_sum("sum".to_string(), $result, 7), durable);
        call!(remote, Remote::add(1, 2), then self.on_sum_later($result), durable, timeout = std::time::Duration::from_secs(5));
        call!(all(remote => Remote::add(1, 2), remote => Remote::add(3, 4)), then self.on_pair($result, 9), durable);
    }
}

fn main() {}
