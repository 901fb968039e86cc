//! Who holds the caller's object while a fire-and-continue call is pending, and how its
//! continuation reaches it: the ownership model, with no `unsafe` and no `&'static` made
//! from `&self`.
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
//! * **The generated entry binds** every object it builds (`__call_core_bind`): this module
//!   keeps, per object address and type, the weak reference to its wrapper, its Durable
//!   Object id and (with SQLite storage) its durable state. `then` finds the home of `&self`
//!   there; an object that was not built by the generated entry has no home, and `then`
//!   refuses it with a panic that says so.
//! * **Natively**, [`LocalStub`](crate::local::LocalStub) owns its object in an `Rc` and
//!   registers a `Weak` of it; a continuation upgrades it to run.
//! * **The callee entry** is the same: `__call` runs sync plans within the call (a plain
//!   `&self` borrow), and a plan with async methods runs in the `async` method
//!   `__call_async`, whose future holds the object.

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::caller::CancelState;
use crate::continuation::{await_caught, log_error, run_caught};
use crate::dispatch::LocalBoxFuture;
use crate::durable::Durable;

/// The registry key of an object: its type and address. Two live objects of one type never
/// share an address, so a key found for `&self` is `self`'s own.
type Key = (TypeId, usize);

fn key_of<S: 'static>(this: &S) -> Key {
    (TypeId::of::<S>(), this as *const S as usize)
}

/// One bound object.
pub(crate) struct HomeState {
    /// How to reach the object later.
    handle: imp::Handle,
    /// Set when the object is known to be gone (a newer instance of the same Durable
    /// Object was bound).
    gone: Cell<bool>,
    /// The cancellation states of its pending continuations, by call id.
    pending: RefCell<HashMap<u64, Rc<CancelState>>>,
    /// Its durable state, when its storage is SQLite.
    pub(crate) durable: Option<Rc<Durable>>,
}

#[derive(Default)]
struct Registry {
    by_key: HashMap<Key, Rc<HomeState>>,
    /// The current home of each Durable Object id (the generated entry passes it).
    by_object: HashMap<String, Key>,
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::default();
}

/// Registers `this` with how to reach it; a newer instance of `object` (a Durable Object
/// id) replaces the older one, whose pending continuations are abandoned (they wake, log,
/// and do not run).
fn register<S: 'static>(
    this: &S,
    handle: imp::Handle,
    object: Option<String>,
    durable: Option<Rc<Durable>>,
) -> Rc<HomeState> {
    let key = key_of(this);
    let state = Rc::new(HomeState { handle, gone: Cell::new(false), pending: RefCell::default(), durable });
    let replaced = REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        let mut replaced = r.by_key.insert(key, state.clone());
        if let Some(object) = object {
            if let Some(old) = r.by_object.insert(object, key) {
                if old != key {
                    replaced = r.by_key.remove(&old).or(replaced);
                }
            }
        }
        replaced
    });
    if let Some(old) = replaced {
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

/// Runs a handler on its object; an async handler's future is returned.
pub(crate) type RunHandler<S> = Box<dyn for<'a> FnOnce(&'a S) -> Option<LocalBoxFuture<'a, ()>>>;

/// A handler with its arguments (and result), on its way to its object.
pub(crate) struct Delivery<S> {
    /// The call's id, for logs.
    pub(crate) call: u64,
    /// The handler's name, for logs.
    pub(crate) handler: &'static str,
    /// Whether the handler is `async`.
    pub(crate) is_async: bool,
    /// The key of a durable call: its row is deleted in the turn the handler runs.
    pub(crate) durable: Option<String>,
    /// Runs the handler.
    pub(crate) run: RunHandler<S>,
}

/// Where a pending continuation's object is.
pub(crate) struct Home {
    state: Rc<HomeState>,
    call: u64,
}

impl Home {
    /// The home of `this`; `None` when `this` was never bound.
    pub(crate) fn of<S: 'static>(this: &S) -> Option<Rc<HomeState>> {
        REGISTRY.with(|r| r.borrow().by_key.get(&key_of(this)).cloned())
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
    let (call, handler, durable) = (delivery.call, delivery.handler, delivery.durable.clone());
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

/// Runs a delivery on `this` (within the object's own entry): for a durable call, deletes
/// its row first, in the same turn, so that the handler's synchronous writes and the
/// delete commit together. An async handler's future is returned.
fn run_on<'a, S: 'static>(this: &'a S, delivery: Delivery<S>) -> Option<LocalBoxFuture<'a, ()>> {
    let Delivery { call, handler, durable, run, .. } = delivery;
    if let Some(key) = &durable {
        let Some(state) = Home::of(this).and_then(|h| h.durable.clone()) else {
            log_error(&format!("call-core: durable call {key}: no durable state; `{handler}` not run"));
            return None;
        };
        if !state.finish(key) {
            // Another delivery of the same call (a recovery and a late reply) came first.
            return None;
        }
    }
    run_caught(call, handler, || run(this)).unwrap_or_default()
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::*;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    #[wasm_bindgen]
    extern "C" {
        /// The wasm-bindgen wrapper of an object with continuation handlers.
        #[derive(Clone)]
        pub(super) type Wrapper;

        #[wasm_bindgen(method, catch, js_name = "__call_core_resume")]
        fn resume_now(this: &Wrapper, id: f64) -> Result<(), JsValue>;

        #[wasm_bindgen(method, catch, js_name = "__call_core_resume_async")]
        fn resume_later(this: &Wrapper, id: f64) -> Result<JsValue, JsValue>;
    }

    /// A weak reference to the wrapper (a strong one where `WeakRef` does not exist: then
    /// wasm-bindgen cannot free the object either, having no `FinalizationRegistry`).
    pub(super) enum Handle {
        Weak(js_sys::WeakRef),
        Strong(Wrapper),
    }

    thread_local! {
        static STASH: RefCell<HashMap<u32, Box<dyn Any>>> = RefCell::default();
        static NEXT: Cell<u32> = const { Cell::new(0) };
    }

    pub(super) fn handle(wrapper: JsValue) -> Handle {
        let has_weak_ref = js_sys::Reflect::has(&js_sys::global(), &JsValue::from_str("WeakRef")).unwrap_or(false);
        if has_weak_ref {
            Handle::Weak(js_sys::WeakRef::new(wrapper.unchecked_ref::<js_sys::Object>()))
        } else {
            Handle::Strong(wrapper.unchecked_into())
        }
    }

    /// Hands `delivery` to the object through its generated method; false when the
    /// wrapper is gone.
    pub(super) fn deliver<S: 'static>(handle: &Handle, delivery: Delivery<S>) -> bool {
        let wrapper: Wrapper = match handle {
            Handle::Weak(weak) => match weak.deref() {
                Some(object) => object.unchecked_into(),
                None => return false,
            },
            Handle::Strong(wrapper) => wrapper.clone(),
        };
        let id = NEXT.with(|n| {
            let id = n.get();
            n.set(id.wrapping_add(1));
            id
        });
        let (call, handler, is_async) = (delivery.call, delivery.handler, delivery.is_async);
        STASH.with(|s| s.borrow_mut().insert(id, Box::new(delivery)));
        let outcome =
            if is_async { wrapper.resume_later(f64::from(id)).map(drop) } else { wrapper.resume_now(f64::from(id)) };
        if let Err(e) = outcome {
            STASH.with(|s| s.borrow_mut().remove(&id));
            log_error(&format!("call-core: call {call}: the continuation `{handler}` failed: {e:?}"));
        }
        true
    }

    /// Takes the delivery stashed under `id` for an object of type `S`.
    pub(super) fn take<S: 'static>(id: f64) -> Option<Delivery<S>> {
        let boxed = STASH.with(|s| s.borrow_mut().remove(&(id as u32)))?;
        boxed.downcast::<Delivery<S>>().ok().map(|b| *b)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::rc::Weak;

    use super::*;

    /// A weak reference to the object that [`LocalStub`](crate::local::LocalStub) owns.
    pub(super) struct Handle(pub(super) Weak<dyn Any>);

    /// Runs `delivery` on the object now (an async handler: on a task that holds it).
    pub(super) fn deliver<S: 'static>(handle: &Handle, delivery: Delivery<S>) -> bool {
        let Some(object) = handle.0.upgrade() else { return false };
        let Ok(object) = object.downcast::<S>() else { return false };
        let (call, handler) = (delivery.call, delivery.handler);
        if delivery.is_async {
            crate::runtime::spawn(async move {
                let object = object;
                if let Some(future) = run_on(&*object, delivery) {
                    await_caught(call, handler, future).await;
                };
            });
        } else {
            let _ = run_on(&*object, delivery);
        }
        true
    }
}

/// Binds an object built by the generated entry: `wrapper` is its wasm-bindgen wrapper,
/// `ctx` and `env` what its constructor got. Called by the generated `__call_core_bind`.
#[cfg(target_arch = "wasm32")]
pub fn bind<S: 'static>(
    this: &S,
    wrapper: wasm_bindgen::JsValue,
    ctx: wasm_bindgen::JsValue,
    env: wasm_bindgen::JsValue,
) -> Result<(), wasm_bindgen::JsValue> {
    let (object, durable) = crate::durable::bind::<S>(ctx, env, false)?;
    register(this, imp::handle(wrapper), Some(object), durable);
    Ok(())
}

/// [`bind`] for a type that makes durable calls (`#[continuation(durable)]`): its storage
/// must be SQLite, and it recovers its pending durable calls as it starts.
#[cfg(target_arch = "wasm32")]
pub fn bind_durable<S>(
    this: &S,
    wrapper: wasm_bindgen::JsValue,
    ctx: wasm_bindgen::JsValue,
    env: wasm_bindgen::JsValue,
) -> Result<(), wasm_bindgen::JsValue>
where
    S: crate::durable::DurableCaller,
    S::Handlers: crate::durable::Restore<Object = S>,
{
    let (object, durable) = crate::durable::bind::<S>(ctx, env, true)?;
    let home = register(this, imp::handle(wrapper), Some(object), durable);
    crate::durable::recover_later::<S>(home);
    Ok(())
}

/// Registers an object that [`LocalStub`](crate::local::LocalStub) owns.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn bind_local<S: 'static>(object: &Rc<S>) {
    let weak: std::rc::Weak<dyn Any> = Rc::downgrade(&(object.clone() as Rc<dyn Any>));
    register(&**object, imp::Handle(weak), None, None);
}

/// The body of the generated `__call_core_resume`: runs a sync handler on `this`.
#[cfg(target_arch = "wasm32")]
pub fn resume_now<S: 'static>(this: &S, id: f64) {
    if let Some(delivery) = imp::take::<S>(id) {
        // A sync handler's run leaves no future.
        let _ = run_on(this, delivery);
    }
}

/// The body of the generated `__call_core_resume_async`: runs an async handler on `this`
/// (wasm-bindgen keeps `this` alive until the returned future ends).
#[cfg(target_arch = "wasm32")]
pub async fn resume_later<S: 'static>(this: &S, id: f64) {
    let Some(delivery) = imp::take::<S>(id) else { return };
    let (call, handler) = (delivery.call, delivery.handler);
    if let Some(future) = run_on(this, delivery) {
        await_caught(call, handler, future).await;
    }
}

/// How many objects are bound in this isolate (for tests).
#[doc(hidden)]
pub fn bound_objects() -> usize {
    REGISTRY.with(|r| r.borrow().by_key.len())
}
