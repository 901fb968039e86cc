//! Deadlines of pending calls, and the platform timers that fire them in the right context.
//!
//! A [`Deadline`] registers when it is first polled, that is in the I/O context of the task
//! that awaits it (the Durable Object whose call it is). Deadlines registered during one
//! JavaScript turn (one event and its microtasks, which all run in one context) form a
//! *group* with one platform timer, armed from that turn for the group's earliest deadline;
//! the timer fires in that context and wakes only that group's due calls, then re-arms for
//! the group's next deadline. A batch of N calls issued together costs one `setTimeout`,
//! and no object's timer ever wakes another object's task.
//!
//! A group keeps its members in a vector, each found by its index (a deadline is polled
//! on every wake-up of its call's task: no hashing there). When a call ends, its deadline
//! is released: its slot in the group goes dead, and the group, its vector and its timer
//! (cleared) go with the last member. Timer memory is bounded by the calls of the turns
//! that still have a pending call, and a finished batch leaves nothing behind.
//!
//! An earlier design kept one heap per isolate with a single platform timer; the timer ran
//! in the context of whichever object had armed it and woke every object's tasks there,
//! which broke as soon as two objects of one isolate used timeouts (tests/facts, F2). A
//! timer per call is not possible either: workerd allows 10,000 active timeouts per
//! context ("QuotaExceededError: You have exceeded the number of active timeouts you may
//! set. max active timeouts: 10000", seen in the end-to-end load test).

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::now_ms;

/// `Date.now()`, read once per JavaScript turn: within one event and its microtasks
/// workerd's clock does not move (it advances only across I/O), so the turn's first read
/// serves every call the turn makes, and the end of the turn forgets it. Natively, the
/// system clock.
pub(crate) fn turn_now() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(now) = TIMERS.with(|t| t.borrow().turn_now) {
            return now;
        }
        let now = now_ms();
        let opened = TIMERS.with(|t| t.borrow_mut().turn_now.replace(now).is_none());
        if opened {
            platform::end_turn_later();
        }
        now
    }
    #[cfg(not(target_arch = "wasm32"))]
    now_ms()
}

/// One registered deadline, in its group.
struct Member {
    at: u64,
    waker: Option<Waker>,
    fired: bool,
    /// Not released yet.
    live: bool,
}

/// The deadlines registered in one turn, and their platform timer. Members are appended
/// and found by their index (no hashing per poll); a released member stays as a dead slot
/// until the group's last member is released and the group goes, so a group holds at
/// most the calls of its one turn.
#[derive(Default)]
struct Group {
    members: Vec<Member>,
    /// Members that have not been released.
    live: usize,
    /// The deadline the platform timer is armed for, and its handle.
    #[cfg(target_arch = "wasm32")]
    timer: Option<(u64, wasm_bindgen::JsValue)>,
}

impl Group {
    /// The earliest deadline that has not fired.
    fn next(&self) -> Option<u64> {
        self.members.iter().filter(|m| m.live && !m.fired).map(|m| m.at).min()
    }
}

/// Where a registered deadline is: its group and its index there.
type Key = (u64, usize);

#[derive(Default)]
struct Timers {
    groups: HashMap<u64, Group>,
    /// The group of the current turn (wasm), or the only group (natively).
    current: Option<u64>,
    /// `Date.now()` of the current turn, once read (wasm; see [`turn_now`]).
    #[cfg(target_arch = "wasm32")]
    turn_now: Option<u64>,
    next_group: u64,
}

thread_local! {
    static TIMERS: RefCell<Timers> = RefCell::default();
}

impl Timers {
    /// Registers a deadline; the platform timer to (re-)arm, if any.
    fn register(&mut self, at: u64, waker: Waker) -> (Key, Option<Arm>) {
        let (group, new) = match self.current {
            Some(group) if self.groups.contains_key(&group) => (group, false),
            _ => {
                let group = self.next_group;
                self.next_group += 1;
                self.groups.insert(group, Group::default());
                self.current = Some(group);
                (group, true)
            }
        };
        let g = self.groups.get_mut(&group).expect("just found or made");
        g.members.push(Member { at, waker: Some(waker), fired: false, live: true });
        g.live += 1;
        let arm = Arm::needed(g, group, at, new);
        ((group, g.members.len() - 1), arm)
    }

    /// Removes a deadline; its group when that is now empty (its timer to clear).
    fn release(&mut self, (group, index): Key) -> Option<Group> {
        let g = self.groups.get_mut(&group)?;
        let member = g.members.get_mut(index).filter(|m| m.live)?;
        member.live = false;
        member.waker = None;
        g.live -= 1;
        if g.live > 0 {
            return None;
        }
        if self.current == Some(group) {
            self.current = None;
        }
        self.groups.remove(&group)
    }

    /// Fires the due deadlines of `group`: their wakers, and the timer to arm for the next.
    fn fire(&mut self, group: u64, now: u64) -> (Vec<Waker>, Option<Arm>) {
        let Some(g) = self.groups.get_mut(&group) else { return (Vec::new(), None) };
        #[cfg(target_arch = "wasm32")]
        {
            g.timer = None;
        }
        let mut wakers = Vec::new();
        for m in g.members.iter_mut().filter(|m| m.live && !m.fired && m.at <= now) {
            m.fired = true;
            wakers.extend(m.waker.take());
        }
        let arm = g.next().map(|at| Arm { group, at });
        (wakers, arm)
    }
}

/// The longest delay a platform timer is armed for: `setTimeout` takes a signed 32-bit
/// number of milliseconds (about 24.8 days) and fires at once for a larger one.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) const MAX_TIMER_DELAY: u64 = (1 << 31) - 2;

/// The delay to arm a timer with at `now` for a deadline at `at`: clamped below
/// [`MAX_TIMER_DELAY`]. A timer that fires before its group's deadline finds nothing due
/// and is armed again for what remains.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn timer_delay(at: u64, now: u64) -> u64 {
    at.saturating_sub(now).min(MAX_TIMER_DELAY)
}

/// A platform timer to arm: for `group`, at `at`.
struct Arm {
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    group: u64,
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    at: u64,
}

impl Arm {
    /// Whether registering a deadline at `at` in `g` needs its timer (re-)armed.
    fn needed(g: &Group, group: u64, at: u64, new: bool) -> Option<Arm> {
        #[cfg(target_arch = "wasm32")]
        {
            let _ = new;
            match &g.timer {
                Some((armed, _)) if *armed <= at => None,
                _ => Some(Arm { group, at }),
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            // Natively the executor's idle loop looks at every group.
            let _ = (g, group, at, new);
            None
        }
    }
}

/// A future that is ready at `at` (milliseconds since the Unix epoch).
#[derive(Debug)]
pub(crate) struct Deadline {
    at: u64,
    key: Option<Key>,
    done: bool,
}

impl Deadline {
    pub(crate) fn at(at: u64) -> Deadline {
        Deadline { at, key: None, done: false }
    }

    fn finish(&mut self) -> Poll<()> {
        self.release();
        self.done = true;
        Poll::Ready(())
    }

    /// Leaves the table (and clears the group's timer with its last member).
    fn release(&mut self) {
        let Some(key) = self.key.take() else { return };
        let emptied = TIMERS.try_with(|t| t.borrow_mut().release(key)).ok().flatten();
        #[cfg(target_arch = "wasm32")]
        if let Some((_, handle)) = emptied.and_then(|g| g.timer) {
            platform::clear(&handle);
        }
        #[cfg(not(target_arch = "wasm32"))]
        drop(emptied);
    }
}

impl Future for Deadline {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let Some(key) = self.key else {
            // The first poll: registers (in the turn's group), unless the time has come.
            let now = turn_now();
            if now >= self.at {
                return self.finish();
            }
            let at = self.at;
            let (key, arm) = TIMERS.with(|t| t.borrow_mut().register(at, cx.waker().clone()));
            self.key = Some(key);
            if let Some(arm) = arm {
                platform::arm(arm, now);
            }
            return Poll::Pending;
        };
        // Later polls: the group's platform timer marks the entry when its time has come
        // (natively, the executor's idle loop does, when nothing else is ready).
        #[cfg(not(target_arch = "wasm32"))]
        if now_ms() >= self.at {
            return self.finish();
        }
        let fired = TIMERS.with(|t| {
            let mut t = t.borrow_mut();
            let member = t.groups.get_mut(&key.0).and_then(|g| g.members.get_mut(key.1));
            match member {
                Some(m) if !m.fired => {
                    match &mut m.waker {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        slot => *slot = Some(cx.waker().clone()),
                    }
                    false
                }
                _ => true,
            }
        });
        if fired {
            return self.finish();
        }
        Poll::Pending
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.release();
    }
}

/// How many deadlines are registered in this isolate (for tests and memory figures): one
/// per pending call that has been polled.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) fn pending_timers() -> usize {
    TIMERS.with(|t| t.borrow().groups.values().map(|g| g.live).sum())
}

/// How many groups of deadlines (each with at most one platform timer) exist.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) fn timer_groups() -> usize {
    TIMERS.with(|t| t.borrow().groups.len())
}

#[cfg(target_arch = "wasm32")]
mod platform {
    use std::cell::{Cell, OnceCell};

    use wasm_bindgen::prelude::*;

    use super::{Arm, TIMERS};

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_name = setTimeout)]
        fn set_timeout(callback: &js_sys::Function, ms: f64, group: f64) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(js_name = clearTimeout)]
        fn clear_timeout(handle: &JsValue);
    }

    thread_local! {
        // One callback of each kind for the whole isolate: the timer passes the group.
        static FIRE: OnceCell<Closure<dyn FnMut(f64)>> = const { OnceCell::new() };
        static CLOSE: OnceCell<Closure<dyn FnMut(JsValue)>> = const { OnceCell::new() };
        static WARNED: Cell<bool> = const { Cell::new(false) };
    }

    /// Arms (or re-arms earlier) the timer of `arm.group`, from the current context. (The
    /// turn that made the group ends it: [`super::turn_now`], read before registering,
    /// scheduled that.)
    pub(super) fn arm(arm: Arm, now: u64) {
        let previous = TIMERS.with(|t| {
            let mut t = t.borrow_mut();
            let g = t.groups.get_mut(&arm.group)?;
            g.timer.take().map(|(_, handle)| handle)
        });
        if let Some(handle) = previous {
            clear_timeout(&handle);
        }
        let delay = super::timer_delay(arm.at, now) as f64;
        let handle = FIRE.with(|cell| {
            let fire = cell.get_or_init(|| Closure::<dyn FnMut(f64)>::new(fire));
            set_timeout(fire.as_ref().unchecked_ref(), delay, arm.group as f64)
        });
        match handle {
            Ok(handle) => TIMERS.with(|t| {
                if let Some(g) = t.borrow_mut().groups.get_mut(&arm.group) {
                    g.timer = Some((arm.at, handle));
                }
            }),
            Err(e) => {
                if !WARNED.with(|w| w.replace(true)) {
                    crate::runtime::log_error(&format!(
                        "call-core: cannot arm a timer for pending calls, which will wait for their replies \
                         without a timeout: {e:?}"
                    ));
                }
            }
        }
    }

    /// Ends the current turn (its group, its clock) after this turn's microtasks: a later
    /// turn may run in another object's context, and at a later time. A promise reaction,
    /// not `queueMicrotask`, which costs more in workerd (see `entry::start`).
    pub(super) fn end_turn_later() {
        CLOSE.with(|cell| {
            let close = cell.get_or_init(|| {
                Closure::<dyn FnMut(JsValue)>::new(|_| {
                    TIMERS.with(|t| {
                        let mut t = t.borrow_mut();
                        t.current = None;
                        t.turn_now = None;
                    })
                })
            });
            let _ = js_sys::Promise::resolve(&JsValue::UNDEFINED).then(close);
        });
    }

    pub(super) fn clear(handle: &JsValue) {
        clear_timeout(handle);
    }

    fn fire(group: f64) {
        let now = super::now_ms();
        let (wakers, next) = TIMERS.with(|t| t.borrow_mut().fire(group as u64, now));
        if let Some(next) = next {
            // In the timer's callback: the group's own context.
            arm(next, now);
        }
        for waker in wakers {
            waker.wake();
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod platform {
    /// Natively the executor's idle loop fires deadlines ([`super::fire_due`]).
    pub(super) fn arm(_: super::Arm, _: u64) {}
}

/// The earliest registered deadline (for the native executor's idle loop).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn next_deadline() -> Option<u64> {
    TIMERS.with(|t| t.borrow().groups.values().filter_map(Group::next).min())
}

/// Fires every deadline that has passed (for the native executor's idle loop).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn fire_due() {
    let now = now_ms();
    let wakers: Vec<Waker> = TIMERS.with(|t| {
        let mut t = t.borrow_mut();
        let groups: Vec<u64> = t.groups.keys().copied().collect();
        groups.into_iter().flat_map(|g| t.fire(g, now).0).collect()
    });
    for waker in wakers {
        waker.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timer_delay_stays_below_two_to_the_31() {
        assert_eq!(timer_delay(1_500, 1_000), 500);
        assert_eq!(timer_delay(1_000, 2_000), 0);
        assert_eq!(timer_delay(u64::MAX, 0), MAX_TIMER_DELAY);
        const { assert!(MAX_TIMER_DELAY < (1 << 31) - 1) };
    }
}
