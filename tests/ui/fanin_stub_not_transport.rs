use call_core::local::LocalStub;
use call_core::{call, continuation};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn caller(a: LocalStub<Remote>, b: u32) {
    let _ = call!(all(a => Remote::add(1, 2), b => Remote::add(3, 4)));
}

fn main() {}