use call_core::local::LocalStub;
use call_core::{call, continuation, CallError};

pub struct Controller;

#[continuation]
impl Controller {
    #[handler]
    fn on_sum(&self, sum: Result<i64, CallError>) {
        let _ = sum;
    }
}

fn caller(stub: LocalStub<Controller>) {
    let _ = call!(stub, Controller::on_sum(Ok(3)));
}

fn main() {}
