use call_core::local::LocalStub;
use call_core::{call, continuation};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    #[callable]
    pub fn upper(&self, s: &str) -> String {
        s.to_uppercase()
    }
}

// The rule: only a call written with the outer call's type path is nested; `Other::add(1, 2)`
// is an ordinary expression of the caller, and a `#[callable]` method takes `&self`.
pub struct Other;

#[continuation]
impl Other {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn caller(stub: LocalStub<Remote>) {
    let _ = call!(stub, Remote::add(Other::add(1, 2), 3));
}

fn main() {}