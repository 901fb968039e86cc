// A Durable Object struct that is not `pub` (as many workers-rs projects write it), with
// private data types: callable methods, a handler, nested calls and a durable handler
// compile without errors or warnings (what `#[continuation]` generates has the object's
// own visibility), and run.
#![deny(warnings)]

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::task::{Poll, Waker};

use call_core::local::{self, LocalStub};
use call_core::{call, continuation, CallError, CallStub};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Step {
    by: u32,
}

#[derive(Default)]
struct Counter {
    n: Cell<u32>,
}

#[continuation]
impl Counter {
    #[callable]
    fn add(&self, step: Step) -> u32 {
        self.n.set(self.n.get() + step.by);
        self.n.get()
    }

    #[callable]
    fn step(&self, by: u32) -> Step {
        Step { by }
    }
}

#[derive(Default)]
struct Tally {
    seen: RefCell<Vec<(u32, Step)>>,
    waker: RefCell<Option<Waker>>,
}

#[continuation]
impl Tally {
    #[handler]
    fn on_add(&self, total: Result<u32, CallError>, tag: Step) {
        self.seen.borrow_mut().push((total.unwrap_or(0), tag));
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

impl Tally {
    fn start(&self, counter: &LocalStub<Counter>) {
        call!(counter, Counter::add(Step { by: 5 }), then self.on_add($result, Step { by: 7 }));
    }
}

struct Ledger;

#[continuation(durable)]
impl Ledger {
    #[handler]
    fn on_add(&self, total: Result<u32, CallError>, tag: Step) {
        let _ = (total, tag);
    }
}

impl Ledger {
    // Compiled, not run: durable calls need workerd's storage (tests/tests/durable.rs).
    #[allow(dead_code)]
    fn start(&self, counter: &CallStub) {
        call!(counter, Counter::add(Step { by: 1 }), then self.on_add($result, Step { by: 2 }), durable);
    }
}

fn main() {
    let counter = LocalStub::new(Counter::default());
    let tally = LocalStub::new(Tally::default());
    local::block_on(async {
        assert_eq!(call!(counter, Counter::add(Step { by: 2 })).await, Ok(2));
        assert_eq!(call!(counter, Counter::add(Counter::step(3))).await, Ok(5));
        tally.target().start(&counter);
        poll_fn(|cx| {
            if tally.target().seen.borrow().is_empty() {
                *tally.target().waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
    });
    assert_eq!(tally.target().seen.borrow()[0], (10, Step { by: 7 }));
}
