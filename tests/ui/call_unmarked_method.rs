use call_core::local::LocalStub;
use call_core::{call, continuation};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        self.double(a) + b
    }

    fn double(&self, a: i64) -> i64 {
        a * 2
    }
}

fn caller(stub: LocalStub<Remote>) {
    let _ = call!(stub, Remote::double(1));
}

fn main() {}
