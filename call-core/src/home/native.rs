//! How a home reaches its object natively: a weak reference to the object that
//! [`LocalStub`](crate::local::LocalStub) owns.

use std::any::Any;
use std::rc::Weak;

use super::{run_on, Delivery};

/// A weak reference to the object that [`LocalStub`](crate::local::LocalStub) owns.
pub(crate) struct Handle(pub(super) Weak<dyn Any>);

pub(super) fn is_alive(handle: &Handle) -> bool {
    handle.0.strong_count() > 0
}

/// Runs `delivery` on the object now (an async handler: on a task that holds it).
pub(super) fn deliver<S: 'static>(handle: &Handle, delivery: Delivery<S>) -> bool {
    let Some(object) = handle.0.upgrade() else { return false };
    let Ok(object) = object.downcast::<S>() else { return false };
    if delivery.is_async {
        crate::runtime::spawn(async move {
            let object = object;
            if let Some(future) = run_on(&*object, delivery) {
                future.await;
            };
        });
    } else {
        let _ = run_on(&*object, delivery);
    }
    true
}
