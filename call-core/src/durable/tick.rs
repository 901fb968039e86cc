//! Group commit: the turn in which an object finishes the durable calls whose replies have
//! arrived.
//!
//! Every write a Durable Object makes in one turn commits as one transaction, and every turn
//! with writes is one commit (tests/facts D2). Replies arrive one event each, so a caller
//! that ran each handler (and deleted its row) as its reply arrived would commit once per
//! call: measured in local workerd, a JavaScript caller that deletes its row per reply
//! spends 0.2–0.35 ms per call on it, and in production a commit takes about 10 ms. So a
//! task that has a reply (or, on the callee, a durable envelope) waits for the object's next
//! tick: one platform timer, armed by the first waiter of the object, whose callback wakes
//! every waiter at once; wasm-bindgen-futures then polls them all in that callback's
//! microtasks, one turn, in the object's own context. All their handlers and deletes (or
//! methods and reply records) commit together.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

thread_local! {
    /// How long after the first waiter a tick fires (milliseconds; 0: the next timer turn).
    /// Only tests change it (`testing::set_tick_delay`).
    static DELAY_MS: Cell<u32> = const { Cell::new(0) };
}

/// Delays every object's tick in this isolate by `ms`.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) fn set_delay(ms: u32) {
    DELAY_MS.with(|d| d.set(ms));
}

/// The ticks of one object.
#[derive(Default)]
pub(crate) struct Tick {
    /// Ticks so far.
    epoch: Cell<u64>,
    /// Whether a tick is armed.
    armed: Cell<bool>,
    wakers: RefCell<Vec<Waker>>,
}

impl Tick {
    /// Ready at the object's next tick.
    pub(crate) fn next(self: &Rc<Self>) -> NextTick {
        NextTick { tick: self.clone(), epoch: None }
    }

    fn fire(&self) {
        self.epoch.set(self.epoch.get() + 1);
        self.armed.set(false);
        let wakers = std::mem::take(&mut *self.wakers.borrow_mut());
        for waker in wakers {
            waker.wake();
        }
    }
}

/// A future ready at the next tick of its object.
pub(crate) struct NextTick {
    tick: Rc<Tick>,
    epoch: Option<u64>,
}

impl Future for NextTick {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let current = self.tick.epoch.get();
        match self.epoch {
            Some(epoch) if current > epoch => return Poll::Ready(()),
            Some(_) => {}
            None => self.epoch = Some(current),
        }
        self.tick.wakers.borrow_mut().push(cx.waker().clone());
        if !self.tick.armed.replace(true) {
            arm(&self.tick);
        }
        Poll::Pending
    }
}

/// Arms the tick, from the current context (the object's).
#[cfg(target_arch = "wasm32")]
fn arm(tick: &Rc<Tick>) {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_name = setTimeout)]
        fn set_timeout(callback: &js_sys::Function, ms: f64) -> Result<JsValue, JsValue>;
    }

    let weak = Rc::downgrade(tick);
    // `once_assert_unwind_safe`: waking wakers cannot leave anything half done.
    let fire = Closure::<dyn FnMut()>::once_assert_unwind_safe(move || {
        if let Some(tick) = weak.upgrade() {
            tick.fire();
        }
    })
    .into_js_value();
    if let Err(e) = set_timeout(fire.unchecked_ref(), f64::from(DELAY_MS.with(Cell::get))) {
        // No timer: finish now (each call commits on its own).
        crate::runtime::log_error(&format!("call-core: cannot arm the group-commit timer: {e:?}"));
        tick.fire();
    }
}

/// Natively there is no commit to group: the tick is now.
#[cfg(not(target_arch = "wasm32"))]
fn arm(tick: &Rc<Tick>) {
    tick.fire();
}
