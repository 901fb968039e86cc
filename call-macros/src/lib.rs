//! Proc macros of [call-core](https://docs.rs/call-core): `#[continuation]` and the
//! implementation of `call!`. Use them through `call_core`, which re-exports them.
//!
//! Each macro runs parse → model → check → expand; on error it still emits the user's item
//! (see `fallback`) next to `compile_error!`s spanned at the offending tokens.

#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

use proc_macro::TokenStream;

mod attr;
mod check;
mod expand;
mod fallback;
mod model;
mod parse;

/// Makes the marked methods of a Durable Object's `impl` block reachable: `#[callable]`
/// methods by other objects through `call!`, `#[handler]`s by this object's own calls, as
/// their continuations.
///
/// # Example
/// ```text
/// use call_core::{continuation, CallError};
///
/// #[continuation]
/// impl Remote {
///     #[callable]
///     async fn add(&self, a: i64, b: i64) -> Result<i64, MathError> {
///         a.checked_add(b).ok_or(MathError::Overflow)
///     }
///
///     #[callable]
///     pub async fn balance(&self, account: &str) -> worker::Result<i64> { /* … */ }
///
///     fn helper(&self) {}          // unmarked: not reachable
/// }
///
/// #[continuation]
/// impl Controller {
///     #[handler]
///     fn on_sum(&self, sum: Result<i64, CallError<MathError>>, op: u32) { /* … */ }
/// }
/// ```
///
/// # Two roles, two marks
/// * `#[callable]`: other objects may call the method with `call!`; the generated `__call`
///   entry answers its method id. Visibility does not matter: a private method can be
///   callable without being `pub`, and the type may be private or `pub(crate)` (what is
///   generated is as visible as the type).
/// * `#[handler]`: a continuation handler, named by `call!(…, then self.handler(…))` in this
///   object's own code. Nothing outside the object can run it: no entry answers its id, and
///   `call!` on it is a compile error (as is `then` on a `#[callable]` method).
/// * Unmarked methods are left alone. One `#[continuation]` block per type (a second one is
///   a conflicting implementation of `Continuation`: merge the blocks).
///
/// # Methods
/// A marked method takes `&self`, may be `async`, and has no generics.
/// * Callable methods return `T`, `Result<T, E>` (any path ending in `Result` with two type
///   arguments), or `worker::Result<T>` (any one-argument `Result<T>` alias, and
///   `Result<T, worker::Error>`), whose error travels as `WorkerError { message }`.
///   Parameters are data, or borrow it: `&str`, `&[T]`, `&T`, `Option<&str>` and
///   `Option<&T>` are decoded into the owned form on the callee and lent to the method, and
///   the caller passes what the signature takes. `&mut`, named lifetimes and workers-rs
///   runtime types (`Request`, `Response`, `WebSocket`, `Env`, …) are refused at the type.
/// * A callable method's value and error are sent back, so they own their data: `String`,
///   not `&str`; `Vec<u8>`, not `&[u8]`; `Foo<'static>`, not `Foo<'_>`.
/// * Handlers return `()` or a `Result` (its error is logged with `Debug`); their parameters
///   are owned data (captured when `call!` runs), one of which receives `$result`.
/// * Every parameter, and a callable method's value and error type, must be
///   `Serialize + DeserializeOwned + 'static`.
///
/// # What it generates
/// * the block itself, without the marks;
/// * two hidden structs: the builders of calls to the callable methods (what `call!` uses;
///   also the dispatch table, a `Dispatch` from each method id, `Type::method#hash` with the
///   hash of its signature, to the method) and the invokers of the handlers (what `then`
///   uses), reached through the hidden `Continuation` trait's constants;
/// * a check that every type that travels is data, reported once at the type;
/// * on wasm32, the wasm-bindgen methods the generated JavaScript entry calls: `__call` and
///   `__call_async` (the RPC entry) when there are callable methods, `__call_core_bind`
///   and `__call_core_resume(_async)` (how a continuation reaches its object) when there are
///   handlers. Only `__call` is an RPC method of the Durable Object.
///
/// A method with an error is reported at its definition and left out; the others still
/// work.
///
/// # Arguments
/// * `crate = path`: where call-core is, when it is renamed in Cargo.toml
///   (default `::call_core`).
#[proc_macro_attribute]
pub fn continuation(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::continuation::expand(args.into(), input.into()).into()
}

/// Marks a method of a `#[continuation]` impl that other objects may call with `call!`
/// (read by `#[continuation]`, which removes it; on its own it is an error).
#[proc_macro_attribute]
pub fn callable(_args: TokenStream, input: TokenStream) -> TokenStream {
    fallback::mark_outside_continuation("callable", input.into()).into()
}

/// Marks a continuation handler of a `#[continuation]` impl: a method this object's own
/// calls continue with (`call!(…, then self.handler(…, $result, …))`), which nothing outside
/// the object can run (read by `#[continuation]`, which removes it; on its own it is an
/// error).
#[proc_macro_attribute]
pub fn handler(_args: TokenStream, input: TokenStream) -> TokenStream {
    fallback::mark_outside_continuation("handler", input.into()).into()
}

/// Declares a JavaScript Durable Object's methods, so that `call!` calls them typed: each
/// call is a plain Durable Object RPC of the method, by its JavaScript name, its arguments
/// and value as JSON-shaped JavaScript values.
///
/// # Example
/// ```text
/// use call_core::{call, remote, CallStub};
///
/// /// The JavaScript `Counter` class of the Worker (`export class Counter extends DurableObject`).
/// #[remote]
/// pub trait JsCounter {
///     fn add(&self, n: u64) -> u64;
///     #[js_name = "bumpAfter"]
///     fn bump_after(&self, ms: u32);
/// }
///
/// let stub = CallStub::by_name(&env, "JS_COUNTER", "c1")?;
/// let total: Result<u64, CallError> = call!(stub, JsCounter::add(5)).await;
/// ```
///
/// # What it declares
/// * A method takes `&self` and data (`Serialize`; `&str`, `&[T]`, `&T` as for
///   `#[callable]`), has no body, and returns the type its JavaScript value decodes as
///   (`()` when it returns nothing). Its JavaScript name is its Rust name unless
///   `#[js_name = "…"]` says otherwise.
/// * Its errors are JavaScript exceptions: they arrive as `CallError::Remote` of kind
///   `Exception` (a missing method: `UnknownMethod`); a value that does not decode as the
///   declared type is `CallError::Remote` of kind `Decode`. So a method returns no
///   `Result`.
///
/// # What it generates
/// The trait becomes a type of the same name (an empty enum, with the trait's docs) whose
/// methods `call!` calls: awaited, with `then`, and in fan-ins. A nested call of such a
/// method and a durable call of one are compile errors: both need a `#[continuation]`
/// callee (a plan runs on ours; a durable call's callee records the calls it ran, so that
/// a re-send never runs a method twice).
///
/// # Arguments
/// * `crate = path`: where call-core is, when it is renamed in Cargo.toml.
#[proc_macro_attribute]
pub fn remote(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::remote::expand(args.into(), input.into()).into()
}

/// The implementation of `call_core::call!`, which passes `$crate;` first. Use `call!`.
#[doc(hidden)]
#[proc_macro]
pub fn call_impl(input: TokenStream) -> TokenStream {
    expand::call::expand(input.into()).into()
}
