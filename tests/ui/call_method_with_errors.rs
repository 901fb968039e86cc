use call_core::local::LocalStub;
use call_core::{call, continuation};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    fn first<'a>(&self, words: &'a str) -> usize {
        words.len()
    }
}

// A call of a method with errors is one error more, at the call, pointing back to them
// (its parameter types, which name the method's own lifetime, are not repeated).
async fn caller(stub: LocalStub<Remote>) {
    let _ = call!(stub, Remote::first("a b")).await;
}

fn main() {}
