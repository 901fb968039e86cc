//! How a home reaches its object in workerd: a weak reference to its wasm-bindgen wrapper,
//! and the object's generated resume methods, which run a stashed delivery.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::Delivery;
use crate::runtime::log_error;

#[wasm_bindgen]
extern "C" {
    /// The wasm-bindgen wrapper of an object with continuation handlers.
    #[derive(Clone)]
    pub(crate) type Wrapper;

    #[wasm_bindgen(method, catch, js_name = "__call_core_resume")]
    fn resume_now(this: &Wrapper, id: f64) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = "__call_core_resume_async")]
    fn resume_later(this: &Wrapper, id: f64) -> Result<JsValue, JsValue>;
}

/// A weak reference to the wrapper (a strong one where `WeakRef` does not exist: then
/// wasm-bindgen cannot free the object either, having no `FinalizationRegistry`).
pub(crate) enum Handle {
    Weak(js_sys::WeakRef),
    Strong(Wrapper),
}

thread_local! {
    static STASH: RefCell<HashMap<u32, Box<dyn Any>>> = RefCell::default();
    static NEXT: Cell<u32> = const { Cell::new(0) };
}

/// How to reach the object whose wasm-bindgen wrapper is `wrapper`.
pub(crate) fn handle(wrapper: JsValue) -> Handle {
    let has_weak_ref = js_sys::Reflect::has(&js_sys::global(), &JsValue::from_str("WeakRef")).unwrap_or(false);
    if has_weak_ref {
        Handle::Weak(js_sys::WeakRef::new(wrapper.unchecked_ref::<js_sys::Object>()))
    } else {
        Handle::Strong(wrapper.unchecked_into())
    }
}

pub(super) fn is_alive(handle: &Handle) -> bool {
    match handle {
        Handle::Weak(weak) => weak.deref().is_some(),
        Handle::Strong(_) => true,
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
pub(crate) fn take<S: 'static>(id: f64) -> Option<Delivery<S>> {
    let boxed = STASH.with(|s| s.borrow_mut().remove(&(id as u32)))?;
    boxed.downcast::<Delivery<S>>().ok().map(|b| *b)
}
