// A Durable Object written the usual workers-rs way takes `#[continuation]` without any
// change to its methods' signatures: `worker::Result` returns, `&str` and `Option<&str>`
// parameters, private methods, its own `RefUnwindSafe` impl and a second plain impl block.
use std::cell::RefCell;
use std::collections::HashMap;

use call_core::local::{self, LocalStub};
use call_core::{call, continuation};
use worker::*;

pub struct Limiter {
    counts: RefCell<HashMap<String, u32>>,
}

// As projects built with panic=unwind write it for workers-rs's own `&self` exports.
impl std::panic::RefUnwindSafe for Limiter {}

#[continuation]
impl Limiter {
    #[callable]
    async fn hit(&self, key: &str, limit: Option<&str>) -> Result<u32> {
        let limit: u32 = limit.unwrap_or("3").parse().map_err(|_| Error::RustError("bad limit".into()))?;
        let mut counts = self.counts.borrow_mut();
        let count = counts.entry(key.to_string()).or_default();
        if *count >= limit {
            return Err(Error::RustError(format!("{key} is over {limit}")));
        }
        *count += 1;
        Ok(*count)
    }

    #[callable]
    fn reset(&self, key: &str) {
        self.forget(key);
    }
}

impl Limiter {
    fn forget(&self, key: &str) {
        self.counts.borrow_mut().remove(key);
    }
}

fn main() {
    let limiter = LocalStub::new(Limiter { counts: RefCell::default() });
    local::block_on(async {
        assert_eq!(call!(limiter, Limiter::hit("a", None)).await, Ok(1));
        assert_eq!(call!(limiter, Limiter::hit("a", Some("1"))).await.unwrap_err().app().unwrap().message, "a is over 1");
        call!(limiter, Limiter::reset("a")).await.unwrap();
        assert_eq!(call!(limiter, Limiter::hit("a", Some("1"))).await, Ok(1));
    });
}
