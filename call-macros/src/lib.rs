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

/// Makes the `pub` methods of a Durable Object's `impl` block callable through `call!`.
///
/// # Example
/// ```text
/// use call_core::{continuation, CallError};
///
/// #[continuation]
/// impl Remote {
///     pub async fn add(&self, a: i64, b: i64) -> Result<i64, MathError> {
///         a.checked_add(b).ok_or(MathError::Overflow)
///     }
///     pub fn echo(&self, s: String) -> String {
///         s
///     }
/// }
/// ```
///
/// # Methods
/// Every `pub` method of the block becomes callable. It takes `&self`, may be `async`, has
/// no generics, and returns `T` or `Result<T, E>` (written with a path ending in `Result`
/// and two type arguments; any other type is a plain `T`). Parameters, `T` and `E` must be
/// `Serialize + DeserializeOwned + 'static`. Private methods are left alone. One
/// `#[continuation]` block per type.
///
/// # What it generates
/// * the block itself, unchanged;
/// * `Dispatch` for the type: a `match` from each method's id (`Type::method#hash`, the
///   hash of its signature, fixed at compile time) to the method, decoding the arguments
///   and encoding the result;
/// * two hidden structs, `__Type_callable_methods` (one builder method per callable
///   method, with its parameter types, returning `Call<T, E>`: what `call!` uses) and
///   `__Type_continuation_methods` (bound to an object, one invoker method per callable
///   method: what `then` uses), reached through the hidden `Callable` trait's constants;
/// * a check that every parameter, value and error type is `Serialize + DeserializeOwned +
///   'static`, reported once at the type (the items above and `Dispatch` assume it);
/// * on wasm32, a `#[wasm_bindgen]` method `__call(envelope)`: the one RPC entry that the
///   generated JavaScript entry exposes to other Durable Objects.
///
/// # Arguments
/// * `crate = path`: where call-core is, when it is renamed in Cargo.toml
///   (default `::call_core`).
#[proc_macro_attribute]
pub fn continuation(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::continuation::expand(args.into(), input.into()).into()
}

/// The implementation of `call_core::call!`, which passes `$crate;` first. Use `call!`.
#[doc(hidden)]
#[proc_macro]
pub fn call_impl(input: TokenStream) -> TokenStream {
    expand::call::expand(input.into()).into()
}
