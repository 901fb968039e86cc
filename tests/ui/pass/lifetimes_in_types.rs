use std::borrow::Cow;

use call_core::local::{self, LocalStub};
use call_core::{call, continuation};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn greet(&self, name: Cow<'_, str>) -> Cow<'static, str> {
        Cow::Owned(format!("hello {name}"))
    }
}

fn main() {
    let stub = LocalStub::new(Remote);
    let greeting = local::block_on(async { call!(stub, Remote::greet(Cow::Borrowed("you"))).await });
    assert_eq!(greeting.as_deref(), Ok("hello you"));
}
