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

fn caller(a: LocalStub<Remote>) {
    let _ = call!(all(
        a => Remote::add(1, 1),
        a => Remote::add(1, 2),
        a => Remote::add(1, 3),
        a => Remote::add(1, 4),
        a => Remote::add(1, 5),
        a => Remote::add(1, 6),
        a => Remote::add(1, 7),
        a => Remote::add(1, 8),
        a => Remote::add(1, 9),
        a => Remote::add(1, 10),
        a => Remote::add(1, 11),
        a => Remote::add(1, 12),
        a => Remote::add(1, 13),
    ));
}

fn main() {}