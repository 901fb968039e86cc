// A data type of the user's own named like a workers-rs runtime handle (`State`,
// `Context`…), written with a path from the crate: it travels like any data.
#![deny(warnings)]

use call_core::local::{self, LocalStub};
use call_core::{call, continuation};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub count: u32,
}

pub struct Counter;

#[continuation]
impl Counter {
    #[callable]
    fn bump(&self, state: crate::State) -> crate::State {
        crate::State { count: state.count + 1 }
    }
}

fn main() {
    let stub = LocalStub::new(Counter);
    let bumped = local::block_on(async { call!(stub, Counter::bump(State { count: 1 })).await });
    assert_eq!(bumped, Ok(State { count: 2 }));
}
