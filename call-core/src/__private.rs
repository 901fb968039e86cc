//! Support for the code that `#[continuation]` and `call!` generate. Not public API.

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::continuation::then;
pub use crate::dispatch::{unknown_method, Dispatched, Outcome};
pub use crate::executor::send;
pub use crate::timer::pending_timers;
pub use crate::transport::Transport;
pub use crate::workers::serve_js;
pub use crate::{Call, CallError, Dispatch, Never, Report};
pub use call_macros::call_impl;
pub use core;
pub use serde;
pub use serde_json;
pub use wasm_bindgen;
pub use wasm_bindgen::JsValue;

use crate::error::{RemoteError, RemoteErrorKind};

/// Implemented by `#[continuation]`: the typed builders and invokers of a type's methods.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `#[continuation]` impl, so its methods cannot be called with `call!`",
    label = "not a `#[continuation]` type",
    note = "put `#[call_core::continuation]` on the `impl {Self}` block that holds the method"
)]
pub trait Callable: Dispatch {
    /// One builder per method: same parameters, returns a `Call`.
    type Calls;
    /// One invoker per method, for continuations: `(this, params…) -> impl Future`.
    type Then;
}

/// What may travel in a call: arguments, results, errors and continuation arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot travel in a call: it must be `Serialize + DeserializeOwned + 'static`",
    label = "not serializable data",
    note = "arguments, results, errors and continuation arguments are data: derive `serde::Serialize` and `serde::Deserialize` for it"
)]
pub trait Data: Serialize + DeserializeOwned + 'static {}

impl<T: Serialize + DeserializeOwned + 'static> Data for T {}

/// Asserts that a type is [`Data`] (expanded at the user's type, for the error's span).
pub const fn assert_data<T: Data>() {}

/// Asserts that a value's type is [`Data`].
pub fn assert_data_of<T: Data>(_: &T) {}

/// Decodes the JSON array of arguments as the tuple `A`.
pub fn decode_args<A: DeserializeOwned>(method: &str, args: &str) -> Result<A, Outcome> {
    serde_json::from_str(args).map_err(|e| {
        Outcome::Failed(RemoteError::new(RemoteErrorKind::Decode, format!("bad arguments for `{method}`: {e}")))
    })
}

/// The outcome of a method returning `value`.
pub fn ok<T: Serialize + ?Sized>(value: &T) -> Outcome {
    match serde_json::to_string(value) {
        Ok(raw) => Outcome::Ok(raw),
        Err(e) => Outcome::Failed(RemoteError::new(RemoteErrorKind::Encode, format!("cannot encode the result: {e}"))),
    }
}

/// The outcome of a method returning `result`.
pub fn result<T: Serialize, E: Serialize>(result: &Result<T, E>) -> Outcome {
    match result {
        Ok(value) => ok(value),
        Err(error) => match serde_json::to_string(error) {
            Ok(raw) => Outcome::App(raw),
            Err(e) => {
                Outcome::Failed(RemoteError::new(RemoteErrorKind::Encode, format!("cannot encode the error: {e}")))
            }
        },
    }
}

/// Boxes an async method's outcome future for [`Dispatched::Pending`].
pub fn pending<'a>(future: impl core::future::Future<Output = Outcome> + 'a) -> Dispatched<'a> {
    Dispatched::Pending(Box::pin(future))
}
