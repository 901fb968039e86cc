//! The few things the executor needs from its platform: the clock, spawning a local task
//! and arming the one deadline timer. In a Worker these are `Date.now()`,
//! wasm-bindgen-futures and `setTimeout`; natively they are the in-process executor of
//! [`local`](crate::local).

#[cfg(target_arch = "wasm32")]
mod imp {
    use std::cell::OnceCell;
    use std::future::Future;

    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = setTimeout)]
        fn set_timeout(callback: &js_sys::Function, ms: f64) -> JsValue;
    }

    thread_local! {
        // One closure for the whole isolate: arming a timer allocates nothing.
        static FIRE: OnceCell<Closure<dyn FnMut()>> = const { OnceCell::new() };
    }

    pub(crate) fn now_ms() -> u64 {
        js_sys::Date::now() as u64
    }

    pub(crate) fn spawn(task: impl Future<Output = ()> + 'static) {
        wasm_bindgen_futures::spawn_local(task);
    }

    pub(crate) fn arm_timer(deadline_ms: u64) {
        let delay = deadline_ms.saturating_sub(now_ms()) as f64;
        FIRE.with(|cell| {
            let fire = cell.get_or_init(|| Closure::<dyn FnMut()>::new(crate::timer::fire));
            set_timeout(fire.as_ref().unchecked_ref(), delay);
        });
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::future::Future;

    pub(crate) fn now_ms() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }

    pub(crate) fn spawn(task: impl Future<Output = ()> + 'static) {
        crate::local::spawn(task);
    }

    pub(crate) fn arm_timer(_deadline_ms: u64) {
        // The native executor looks at the next deadline whenever it runs out of work.
    }
}

pub(crate) use imp::{arm_timer, now_ms, spawn};
