//! The façade for the code that `#[continuation]` and `call!` generate: the one module that
//! generated code names (`::call_core::__private::…`), so that the layers below can move
//! without changing the macros. Not public API.

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::caller::send;
pub use crate::continuation::{resume, resume_async, Continuation, Handler, JsObject, Resume, ResumeAsync, RustObject};
pub use crate::dispatch::{unknown_method, Dispatch, Dispatched, Outcome};
pub use crate::durable::{
    decode_stored, durable_fan, then_all_durable, then_durable, DurableCaller, DurableFan, Restore,
};
#[cfg(target_arch = "wasm32")]
pub use crate::entry::{
    alarm, bind, bind_durable, resume_later, resume_now, set_user_alarm, user_alarm, user_alarm_ran,
};
pub use crate::entry::{serve_later, serve_named_later, serve_named_now, serve_now};
pub use crate::fanin::all;
pub use crate::home::Delivery as Stored;
pub use crate::pipeline;
pub use crate::runtime::LocalBoxFuture;
pub use crate::then::{caller, then, then_all};
pub use crate::transport::Transport;
pub use crate::{Call, CallError, Never, Report, WorkerError};
pub use call_macros::call_impl;
pub use core;
pub use serde;
pub use serde_json;
pub use wasm_bindgen;
pub use wasm_bindgen::JsValue;
pub use wasm_bindgen_futures;

use crate::error::{RemoteError, RemoteErrorKind};

/// The handler of the refusals that stand in for a method that is not a handler.
pub struct NoHandler;

impl Handler for NoHandler {
    const ID: &'static str = "";
    const NAME: &'static str = "";
}

/// The bound of a `call!` of a `#[handler]`: never holds.
#[diagnostic::on_unimplemented(
    message = "this method is a continuation handler: it runs only as the `then` of this object's own calls, never through `call!`",
    label = "a `#[handler]`, not `#[callable]`",
    note = "mark it `#[callable]` (and not `#[handler]`) if other objects may call it"
)]
pub trait HandlerIsNotCallable {}

/// The bound of a `then` naming a `#[callable]` method: never holds.
#[diagnostic::on_unimplemented(
    message = "`then` runs a continuation handler, and this method is `#[callable]`, not a `#[handler]`",
    label = "not a `#[handler]`",
    note = "mark the method that continues this call `#[handler]`: only this object's runtime may run it, with a result it received"
)]
pub trait CallableIsNotAHandler {}

/// The bound of a `#[remote]` method in a nested call: never holds.
#[diagnostic::on_unimplemented(
    message = "a nested call runs as a step of a plan on a `#[continuation]` callee: this is a method of a JavaScript Durable Object (`#[remote]`)",
    label = "a JavaScript method, called only on its own",
    note = "call it on its own (`call!(stub, Type::method(…))`) and pass its value on"
)]
pub trait RemoteRunsNoPlans {}

/// What a durable call's callee must be: a `#[continuation]` object, which records the calls
/// it ran (see [`durable_callee`]).
#[diagnostic::on_unimplemented(
    message = "a durable call needs a `#[continuation]` callee: this one is a JavaScript Durable Object (`#[remote]`)",
    label = "a JavaScript Durable Object",
    note = "a JavaScript object records no call, so a re-send after a restart could run its method twice; call it without `durable`"
)]
pub trait DurableCallee {}

impl DurableCallee for RustObject {}

/// Asserts that `T`'s calls may be durable (expanded at the callee's type).
pub const fn durable_callee<T: Continuation>()
where
    T::Callee: DurableCallee,
{
}

/// The bound of a method that `#[continuation]` reported errors for: never holds.
#[diagnostic::on_unimplemented(
    message = "this method cannot be used in a call: `#[continuation]` or `#[remote]` reported an error at its definition",
    label = "see the error at the method"
)]
pub trait MethodHasErrors {}

/// What may travel in a call: arguments, results and errors.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot travel in a call: it must be `Serialize + DeserializeOwned + 'static`",
    label = "not serializable data",
    note = "arguments, results and errors of callable methods, and the arguments of handlers, are data: derive `serde::Serialize` and `serde::Deserialize` for it",
    note = "a `worker::Error` travels (as `call_core::WorkerError`) when the method returns `worker::Result<T>`; runtime handles such as `Request` or `Response` need an adapter method that takes and returns data"
)]
pub trait Data: Serialize + DeserializeOwned + 'static {}

// `do_not_recommend`: when `T` lacks `Serialize` or `Deserialize`, rustc reports
// `T: Data` once, with the message above, instead of each missing serde trait with
// serde's messages and its list of implementing types.
#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned + 'static> Data for T {}

/// A stored continuation from the resumption an invoker made (for [`Restore`]).
pub fn stored<S: 'static, R: crate::continuation::Resumption<S>>(resumption: R) -> Stored<S> {
    Stored::of(0, resumption)
}

/// Asserts that a type is [`Data`] (expanded at the user's type, for the error's span).
pub const fn assert_data<T: Data>() {}

/// Reports a handler's outcome (`Report::report`), with the type written out so that a
/// handler returning a value is reported at its return type.
pub fn report<R: Report>(outcome: R) {
    outcome.report();
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

/// The type of a fan-in's results, from its calls.
pub fn results_of<R: crate::fanin::Results>(_: R) -> TypeOf<R::Output> {
    TypeOf(core::marker::PhantomData)
}

/// Pins the type of `value` to `R`.
pub fn is<R>(_: TypeOf<R>, value: &R) {
    let _ = value;
}

/// Decodes the JSON array of arguments as the tuple `A`; `params` are the method's
/// parameter names, for the error.
pub fn decode_args<A: DeserializeOwned>(method: &str, args: &str, params: &[&str]) -> Result<A, Outcome> {
    crate::args::decode(args, params).map_err(|e| {
        Outcome::Failed(RemoteError::new(RemoteErrorKind::Decode, format!("bad arguments for `{method}`: {e}")))
    })
}

/// The stored arguments of a durable continuation: `captured` (a tuple of the handler's
/// arguments, `()` where the result goes) as a JSON array.
pub fn stored_args<A: Serialize>(captured: &A) -> String {
    serde_json::to_string(captured).unwrap_or_else(|e| format!("unencodable: {e}"))
}

/// The outcome of a method returning `value`.
pub fn ok<T: Serialize + ?Sized>(value: &T) -> Outcome {
    match serde_json::to_string(value) {
        Ok(raw) => Outcome::Ok(raw),
        Err(e) => Outcome::Failed(RemoteError::new(RemoteErrorKind::Encode, format!("cannot encode the result: {e}"))),
    }
}

/// The outcome of a method returning `worker::Result<T>` (or another one-argument
/// `Result<T>` alias): the error travels as [`WorkerError`], its `Display`.
pub fn message_result<T: Serialize, E: core::fmt::Display>(result: &Result<T, E>) -> Outcome {
    match result {
        Ok(value) => ok(value),
        Err(error) => match serde_json::to_string(&WorkerError { message: error.to_string() }) {
            Ok(raw) => Outcome::App(raw),
            Err(e) => {
                Outcome::Failed(RemoteError::new(RemoteErrorKind::Encode, format!("cannot encode the error: {e}")))
            }
        },
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
