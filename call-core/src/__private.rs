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
///
/// `call!` reaches them through the constants, not through `<T as Callable>::Calls::m`:
/// when `T` has no `#[continuation]`, a constant leaves rustc with one error (this trait's
/// message, at `T`), where a type path would add "no function `m` found for type `_`".
///
/// Not a subtrait of [`Dispatch`], whose impl carries the `Data` bounds of every method's
/// types: a type with one bad method is still `Callable`, so calls of its other methods
/// report nothing more.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `#[continuation]` impl, so its methods cannot be called with `call!`",
    label = "not a `#[continuation]` type",
    note = "put `#[call_core::continuation]` on the `impl {Self}` block that holds the method"
)]
pub trait Callable: 'static {
    /// One builder method per callable method: same parameters, returns a `Call`.
    type Calls;
    /// One invoker method per callable method, for continuations: same parameters,
    /// returns the method's future, bound to the object that runs it.
    type Then;
    /// The builders.
    const CALLS: Self::Calls;
    /// Binds the invokers to the object that runs the continuation.
    const THEN: fn(&'static Self) -> Self::Then;
}

/// The object a continuation runs on, held by the invokers of `#[continuation]`.
///
/// A type of this crate with a private field, so that when a continuation is not found,
/// rustc does not suggest calling it through the invokers' field.
#[derive(Clone, Copy)]
pub struct Bound<T: 'static>(&'static T);

impl<T> Bound<T> {
    /// Holds `this`.
    pub fn new(this: &'static T) -> Self {
        Bound(this)
    }

    /// The object.
    pub fn get(self) -> &'static T {
        self.0
    }
}

/// What may travel in a call: arguments, results and errors.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot travel in a call: it must be `Serialize + DeserializeOwned + 'static`",
    label = "not serializable data",
    note = "arguments, results and errors of callable methods are data: derive `serde::Serialize` and `serde::Deserialize` for it"
)]
pub trait Data: Serialize + DeserializeOwned + 'static {}

// `do_not_recommend`: when `T` lacks `Serialize` or `Deserialize`, rustc reports
// `T: Data` once, with the message above, instead of each missing serde trait with
// serde's messages and its list of implementing types.
#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned + 'static> Data for T {}

/// Asserts that a type is [`Data`] (expanded at the user's type, for the error's span).
pub const fn assert_data<T: Data>() {}

/// How to report the outcome of a continuation's future: `Report::report`, checked where
/// `call!` names the continuation, so that one returning a value is one error, at its
/// name. (A wrapper future bounded by `Report` would be reported again where it is
/// handed to `then`.)
pub fn reporter<F>(_: &F) -> fn(F::Output)
where
    F: core::future::Future,
    F::Output: Report,
{
    Report::report
}

/// `call` with a deadline `timeout` from when it is sent.
pub fn timeout<T, E>(call: Call<T, E>, timeout: core::time::Duration) -> Call<T, E> {
    call.timeout(timeout)
}

/// A type, as a value (for [`is`]).
pub struct TypeOf<T>(core::marker::PhantomData<fn() -> T>);

impl<T> Clone for TypeOf<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for TypeOf<T> {}

/// The type of a call's result.
pub fn result_of<T, E>(_: &Call<T, E>) -> TypeOf<Result<T, CallError<E>>> {
    TypeOf(core::marker::PhantomData)
}

/// Pins the type of `value` to `R`.
pub fn is<R>(_: TypeOf<R>, value: &R) {
    let _ = value;
}

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
