//! Whose object a continuation runs on, and how it gets there: the ownership model, with no
//! `unsafe` and no `&'static` made from `&self`; and [`Delivery`], a handler bound to its
//! arguments, in memory or restored from storage, which this module runs and guards.
//!
//! # Ownership
//! * **In workerd**, the Rust object of a Durable Object lives in wasm-bindgen's
//!   `Rc<WasmRefCell<T>>`, owned by its JavaScript wrapper (the wasm-bindgen class instance),
//!   which the generated entry class (`extends DurableObject`) holds in `#inner`. workerd
//!   holds the entry instance while the object is alive. When workerd resets the object
//!   (`ctx.abort()`, an exception that breaks it) or evicts it, it drops the entry instance;
//!   once the wrapper is garbage, wasm-bindgen's `FinalizationRegistry` callback drops the
//!   `Rc` and the Rust object is freed (tests/facts F4, F5). A wasm-bindgen method taking
//!   `&self` borrows the object through that `Rc` for the call; an `async` one keeps a
//!   strong count in its future, so the object outlives the future.
//! * **A pending continuation holds a weak reference** ([`js_sys::WeakRef`]) to the wrapper,
//!   nothing else of the object. When the result arrives, it takes the wrapper from the weak
//!   reference and runs the handler *through* a generated wasm-bindgen method of the object
//!   (`__call_core_resume`, or `__call_core_resume_async` for an `async` handler), so the
//!   handler gets its `&self` from wasm-bindgen's own borrow, and an async handler keeps the
//!   object alive until it ends. If the wrapper is gone, or a new instance of the same
//!   Durable Object has started since (the old one was reset), the handler does not run:
//!   the call id and the handler are logged instead (a durable call is then finished by the
//!   new instance, see [`durable`](crate::durable)). A pending call never keeps an evicted
//!   object in memory.
//! * **The generated entry binds** every object it builds (`__call_core_bind`): the registry
//!   here keeps its home — the weak reference to its wrapper, its Durable Object id and
//!   (with SQLite storage) its durable state — found from `&self` by type and address. Two
//!   live objects never share an address, but a freed object's address is reused: so a home
//!   also records its object's id, a new home at an address or for an id replaces exactly the
//!   home it displaces (never another object's), and homes whose objects are gone are swept.
//! * **Natively**, [`LocalStub`](crate::local::LocalStub) owns its object in an `Rc` and
//!   registers a `Weak` of it; a continuation upgrades it to run.

mod delivery;
#[cfg_attr(target_arch = "wasm32", path = "wasm.rs")]
#[cfg_attr(not(target_arch = "wasm32"), path = "native.rs")]
pub(crate) mod imp;

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::caller::CancelState;
use crate::runtime::log_error;

pub use delivery::Delivery;
pub(crate) use delivery::{run_on, Finish};

/// Where an object is: its type and address (unique among live objects).
type Addr = (TypeId, usize);

fn addr_of<S: 'static>(this: &S) -> Addr {
    (TypeId::of::<S>(), this as *const S as usize)
}

/// One bound object.
pub(crate) struct HomeState {
    addr: Addr,
    /// Its Durable Object id (none natively).
    object: Option<String>,
    /// How to reach the object later.
    handle: imp::Handle,
    /// Set when the object is known to be gone (replaced by a newer home).
    gone: Cell<bool>,
    /// The cancellation states of its pending continuations, by call id.
    pending: RefCell<HashMap<u64, Rc<CancelState>>>,
    /// Its durable state, when its storage is SQLite (a [`durable`](crate::durable) type,
    /// opaque here).
    pub(crate) durable: Option<Rc<dyn Any>>,
}

impl HomeState {
    fn is_alive(&self) -> bool {
        !self.gone.get() && imp::is_alive(&self.handle)
    }
}

#[derive(Default)]
struct Registry {
    by_addr: HashMap<Addr, Rc<HomeState>>,
    /// The current home of each Durable Object, by its type and id.
    by_object: HashMap<(TypeId, String), Rc<HomeState>>,
    /// The size after the last sweep of dead homes (a sweep runs when it has doubled).
    swept: usize,
}

impl Registry {
    /// Adds `state`; the homes it replaces: the one at its address (whose object is freed,
    /// since two live objects never share an address) and the older instance of its
    /// Durable Object. Each is removed only where it is still itself.
    fn add(&mut self, state: &Rc<HomeState>) -> Vec<Rc<HomeState>> {
        let mut replaced = Vec::new();
        if let Some(old) = self.by_addr.insert(state.addr, state.clone()) {
            self.forget_object(&old);
            replaced.push(old);
        }
        if let Some(object) = &state.object {
            if let Some(old) = self.by_object.insert((state.addr.0, object.clone()), state.clone()) {
                if self.by_addr.get(&old.addr).is_some_and(|s| Rc::ptr_eq(s, &old)) {
                    self.by_addr.remove(&old.addr);
                }
                if !replaced.iter().any(|r| Rc::ptr_eq(r, &old)) {
                    replaced.push(old);
                }
            }
        }
        if self.by_addr.len() > 2 * self.swept.max(32) {
            self.sweep();
        }
        replaced
    }

    fn forget_object(&mut self, old: &Rc<HomeState>) {
        if let Some(object) = &old.object {
            let id = (old.addr.0, object.clone());
            if self.by_object.get(&id).is_some_and(|s| Rc::ptr_eq(s, old)) {
                self.by_object.remove(&id);
            }
        }
    }

    /// Removes the homes whose objects are gone.
    fn sweep(&mut self) {
        let dead: Vec<Rc<HomeState>> = self.by_addr.values().filter(|s| !s.is_alive()).cloned().collect();
        for state in dead {
            self.by_addr.remove(&state.addr);
            self.forget_object(&state);
        }
        self.swept = self.by_addr.len();
    }
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::default();
}

/// Registers `this` with how to reach it, as Durable Object `object` (an id) if given; the
/// homes it replaces are abandoned (their pending continuations wake, log, and do not run).
pub(crate) fn register<S: 'static>(
    this: &S,
    handle: imp::Handle,
    object: Option<String>,
    durable: Option<Rc<dyn Any>>,
) -> Rc<HomeState> {
    let state = Rc::new(HomeState {
        addr: addr_of(this),
        object,
        handle,
        gone: Cell::new(false),
        pending: RefCell::default(),
        durable,
    });
    let replaced = REGISTRY.with(|r| r.borrow_mut().add(&state));
    for old in replaced {
        abandon(&old);
    }
    state
}

fn abandon(home: &HomeState) {
    home.gone.set(true);
    let pending: Vec<Rc<CancelState>> = home.pending.borrow_mut().drain().map(|(_, s)| s).collect();
    for state in pending {
        // Wakes the pending call, which finds its home gone and logs instead of running.
        state.cancel();
    }
}

/// Where a pending continuation's object is.
pub(crate) struct Home {
    state: Rc<HomeState>,
    call: u64,
}

impl Home {
    /// The home of `this`; `None` when `this` was never bound.
    pub(crate) fn of<S: 'static>(this: &S) -> Option<Rc<HomeState>> {
        REGISTRY.with(|r| r.borrow().by_addr.get(&addr_of(this)).cloned())
    }

    /// Registers call `call` (with its cancellation state) as pending at `state`.
    pub(crate) fn pending(state: Rc<HomeState>, call: u64, cancel: &Rc<CancelState>) -> Home {
        state.pending.borrow_mut().insert(call, cancel.clone());
        Home { state, call }
    }

    /// Runs the handler on the object, unless it is gone (then logs that it did not run).
    pub(crate) fn deliver<S: 'static>(self, delivery: Delivery<S>) {
        self.state.pending.borrow_mut().remove(&self.call);
        deliver(&self.state, delivery);
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        self.state.pending.borrow_mut().remove(&self.call);
    }
}

/// Runs `delivery` on the object of `state`, unless it is gone.
pub(crate) fn deliver<S: 'static>(state: &HomeState, delivery: Delivery<S>) {
    let (call, handler) = (delivery.call, delivery.handler);
    let durable = delivery.finish.as_ref().map(|f| f.key().to_string());
    if !state.gone.get() && imp::deliver(&state.handle, delivery) {
        return;
    }
    match durable {
        Some(key) => log_error(&format!(
            "call-core: durable call {key}: the caller object is gone (reset or evicted); its continuation \
             `{handler}` runs when the object starts again"
        )),
        None => log_error(&format!(
            "call-core: call {call}: the caller object is gone (reset or evicted), so its continuation `{handler}` did not run"
        )),
    }
}

/// Registers an object that [`LocalStub`](crate::local::LocalStub) owns.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn bind_local<S: 'static>(object: &Rc<S>) {
    let weak: std::rc::Weak<dyn Any> = Rc::downgrade(&(object.clone() as Rc<dyn Any>));
    register(&**object, imp::Handle(weak), None, None);
}

/// How many objects are bound in this isolate (for tests).
#[cfg_attr(not(any(test, feature = "testing")), allow(dead_code))]
pub(crate) fn bound_objects() -> usize {
    REGISTRY.with(|r| r.borrow().by_addr.len())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    struct Object;

    /// A home for `this` as Durable Object `id`, alive while `keep` is.
    fn home(this: &Object, id: &str, keep: &Rc<Object>) -> Rc<HomeState> {
        let weak: std::rc::Weak<dyn Any> = Rc::downgrade(&(keep.clone() as Rc<dyn Any>));
        register(this, imp::Handle(weak), Some(id.to_string()), None)
    }

    #[test]
    fn a_reused_address_never_removes_the_live_objects_home() {
        // Three allocations standing for addresses X and Y; "a" and "b" are object ids.
        let x = Rc::new(Object);
        let y = Rc::new(Object);
        let a_at_x = home(&x, "home-test-a", &x);
        // a is freed; b is built at the same address X.
        let b_at_x = home(&x, "home-test-b", &x);
        assert!(a_at_x.gone.get(), "the freed object's home is replaced by the new one at its address");
        // a comes back, at Y: b (live at X) keeps its home.
        let a_at_y = home(&y, "home-test-a", &y);
        assert!(!b_at_x.gone.get());
        assert!(Rc::ptr_eq(&Home::of(&*x).unwrap(), &b_at_x), "b's home is found from b");
        assert!(Rc::ptr_eq(&Home::of(&*y).unwrap(), &a_at_y));
        // The order: a at X, a again at Y (a reset), b at X.
        let x2 = Rc::new(Object);
        let y2 = Rc::new(Object);
        let first = home(&x2, "home-test-c", &x2);
        let second = home(&y2, "home-test-c", &y2);
        assert!(first.gone.get() && !second.gone.get());
        let other = home(&x2, "home-test-d", &x2);
        assert!(!second.gone.get() && !other.gone.get());
        assert!(Rc::ptr_eq(&Home::of(&*y2).unwrap(), &second), "the new instance at Y keeps its home");
        assert!(Rc::ptr_eq(&Home::of(&*x2).unwrap(), &other));
    }

    #[test]
    fn homes_of_freed_objects_are_swept() {
        // The objects stay allocated (distinct addresses); what makes a home dead is its
        // handle, a weak reference to `token`.
        let kept: Vec<(Rc<Object>, Rc<Object>)> = (0..40).map(|_| (Rc::new(Object), Rc::new(Object))).collect();
        for (i, (object, token)) in kept.iter().enumerate() {
            home(object, &format!("home-test-sweep-kept-{i}"), token);
        }
        let objects: Vec<Rc<Object>> = (0..1000).map(|_| Rc::new(Object)).collect();
        for (i, object) in objects.iter().enumerate() {
            let token = Rc::new(Object);
            home(object, &format!("home-test-sweep-{i}"), &token);
        }
        assert!(bound_objects() < 200, "1000 dead homes are swept as they come: {} left", bound_objects());
        for (object, _) in &kept {
            assert!(Home::of(&**object).is_some_and(|h| h.is_alive()), "live objects keep their homes");
        }
    }
}
