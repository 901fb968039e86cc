use call_core::local::LocalStub;
use call_core::{call, continuation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct Overflow;

#[derive(Debug, Serialize, Deserialize)]
pub struct Empty;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> Result<i64, Overflow> {
        a.checked_add(b).ok_or(Overflow)
    }

    #[callable]
    pub fn label(&self, n: i64) -> Result<String, Empty> {
        if n == 0 { Err(Empty) } else { Ok(n.to_string()) }
    }
}

// `label` fails with `Empty`, its nested `add` with `Overflow`, and `Empty: From<Overflow>`
// does not hold.
fn caller(stub: LocalStub<Remote>) {
    let _ = call!(stub, Remote::label(Remote::add(1, 2)));
}

fn main() {}
