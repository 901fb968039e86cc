//! Deadlines for calls: one queue per thread (per wasm isolate), one platform timer.
//!
//! Every call has a deadline. A JavaScript timer per call would cost a closure and a
//! `setTimeout` crossing each; instead deadlines go into a binary heap and a single
//! platform timer is armed for the earliest one. Since every call of a batch usually has
//! the same timeout, new deadlines come later than the armed one and arm nothing.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::rt;

#[derive(Default)]
struct Timers {
    /// `(deadline ms, key)`, earliest first; keys of finished sleeps are skipped lazily.
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    /// Wakers of sleeps that are still waiting.
    wakers: HashMap<u64, Waker>,
    next_key: u64,
    /// The deadline the platform timer is armed for.
    armed: Option<u64>,
}

thread_local! {
    static TIMERS: RefCell<Timers> = RefCell::default();
}

/// A future that is ready at `deadline` (milliseconds since the Unix epoch).
#[derive(Debug)]
pub(crate) struct Sleep {
    deadline: u64,
    key: Option<u64>,
}

impl Sleep {
    pub(crate) fn until(deadline: u64) -> Sleep {
        Sleep { deadline, key: None }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if rt::now_ms() >= self.deadline {
            self.deregister();
            return Poll::Ready(());
        }
        let deadline = self.deadline;
        let key = self.key;
        let arm = TIMERS.with(|t| {
            let mut t = t.borrow_mut();
            let key = match key {
                Some(key) => key,
                None => {
                    let key = t.next_key;
                    t.next_key += 1;
                    t.heap.push(Reverse((deadline, key)));
                    key
                }
            };
            match t.wakers.get_mut(&key) {
                Some(w) if w.will_wake(cx.waker()) => {}
                Some(w) => w.clone_from(cx.waker()),
                None => {
                    t.wakers.insert(key, cx.waker().clone());
                }
            }
            let arm = t.armed.is_none_or(|armed| deadline < armed);
            if arm {
                t.armed = Some(deadline);
            }
            (key, arm)
        });
        self.key = Some(arm.0);
        if arm.1 {
            rt::arm_timer(deadline);
        }
        Poll::Pending
    }
}

impl Sleep {
    fn deregister(&mut self) {
        if let Some(key) = self.key.take() {
            let _ = TIMERS.try_with(|t| t.borrow_mut().wakers.remove(&key));
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.deregister();
    }
}

/// Wakes every sleep whose deadline has passed and re-arms the platform timer for the
/// next one. Called by the platform timer (and by the native executor when idle).
pub(crate) fn fire() {
    let now = rt::now_ms();
    let (woken, next) = TIMERS.with(|t| {
        let mut t = t.borrow_mut();
        let mut woken = Vec::new();
        while let Some(&Reverse((deadline, key))) = t.heap.peek() {
            let live = t.wakers.contains_key(&key);
            if live && deadline > now {
                break;
            }
            t.heap.pop();
            if let Some(w) = t.wakers.remove(&key) {
                woken.push(w);
            }
        }
        let next = t.heap.peek().map(|Reverse((d, _))| *d);
        t.armed = next;
        (woken, next)
    });
    for w in woken {
        w.wake();
    }
    if let Some(next) = next {
        rt::arm_timer(next);
    }
}

/// The earliest deadline still waited for, if any.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn next_deadline() -> Option<u64> {
    TIMERS.with(|t| {
        let t = t.borrow();
        t.heap.iter().filter(|Reverse((_, k))| t.wakers.contains_key(k)).map(|Reverse((d, _))| *d).min()
    })
}

/// How many sleeps are registered (for tests and memory figures).
#[doc(hidden)]
pub fn pending_timers() -> usize {
    TIMERS.with(|t| t.borrow().wakers.len())
}
