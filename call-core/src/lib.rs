//! Typed continuations for Cloudflare Durable Objects.
//!
//! One Durable Object calls another and continues with the result; rustc checks the whole
//! thing. [`#[continuation]`](macro@continuation) on a Durable Object's `impl` reads two
//! marks: `#[callable]` methods other objects may call, and `#[handler]`s that continue
//! this object's own calls; [`call!`] compiles a call into a [`Plan`] whose method ids,
//! argument encoders and result type are fixed at compile time; the caller runs it with one
//! native RPC — no storage, no queue, no `blockConcurrencyWhile`. A Durable Object written
//! in JavaScript is called the same way once its methods are declared with
//! [`#[remote]`](macro@remote) (each call a plain RPC of the method by name).
//!
//! ```text
//! use call_core::{call, continuation, CallError, CallStub};
//!
//! #[continuation]
//! impl Remote {
//!     #[callable]
//!     pub async fn add(&self, a: i64, b: i64) -> Result<i64, MathError> { /* … */ }
//! }
//!
//! #[continuation]
//! impl Controller {
//!     #[handler]
//!     pub fn on_sum(&self, sum: Result<i64, CallError<MathError>>, op: u32) { /* … */ }
//!
//!     async fn work(&self) -> worker::Result<()> {
//!         let remote = CallStub::by_name(&self.env, "REMOTE", "r1")?;
//!         let sum = call!(remote, Remote::add(1, 2)).await;               // awaited
//!         call!(remote, Remote::add(1, 2), then self.on_sum($result, 7));   // fire-and-continue
//!         let six = call!(remote, Remote::add(Remote::add(1, 2), 3)).await; // nested: one RPC
//!         Ok(())
//!     }
//! }
//! ```
//!
//! # Layers
//! Each layer imports only the layers below it:
//!
//! 1. **runtime** (private): the platform — clock, spawning a task, timers for deadlines,
//!    the error log — in workerd and natively ([`local::block_on`]). Imports nothing else.
//! 2. **data**: [`error`](CallError) (every way a call fails), `args` (a call's arguments
//!    decoded, an error naming the parameter), [`plan`] (what a call compiles
//!    to), [`pipeline`] (nested calls joined into one plan), [`wire`] (envelope and reply).
//! 3. **send and serve**: the [`Transport`] trait with its two transports, [`stub`] (Durable
//!    Object RPC) and [`local`] (in-process); [`caller`] (send, deadline, decode) and
//!    [`fanin`] (awaiting several calls) on the caller's side; the continuation traits
//!    (what `#[continuation]` generates) and [`dispatch`] (method ids to methods) on the
//!    callee's.
//! 4. **home** (private): whose object a continuation runs on, and running it there; then
//!    the one path that sends a call and continues later ([`CallHandle`]).
//! 5. **[`durable`]**: continuations kept in the caller's SQLite storage, reply records on
//!    the callee, recovery and the shared alarm.
//! 6. **the façade**: the bodies of the wasm-bindgen methods that the generated JavaScript
//!    entry calls (private), and `__private`, the one module generated code names.
//!
//! `testing` (with the `testing` feature) holds hooks for tests and benchmarks.

#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

mod runtime;

mod args;
mod error;
pub mod pipeline;
pub mod plan;
pub mod wire;

#[doc(hidden)]
pub mod caller;
mod continuation;
#[doc(hidden)]
pub mod dispatch;
pub mod fanin;
pub mod local;
pub mod stub;
mod transport;

mod home;
mod then;

pub mod durable;

mod entry;
#[cfg(feature = "testing")]
pub mod testing;

pub use call_macros::{callable, continuation, handler, remote};
pub use caller::{CallFuture, DEFAULT_TIMEOUT, MAX_TIMEOUT};
pub use continuation::Report;
pub use dispatch::{Callee, Dispatch};
pub use error::{CallError, Never, RemoteError, RemoteErrorKind, WorkerError};
pub use plan::{Call, Plan, Step};
pub use stub::{Address, CallStub, Object, RpcReply};
pub use then::CallHandle;
pub use transport::Transport;
pub use wire::{Limits, PROTOCOL_VERSION};

/// Calls `#[callable]` methods of other Durable Objects, awaited or continued by a
/// `#[handler]`: one call, a nested call (a chain run in one round trip), or a fan-in of
/// several calls.
///
/// # Forms
/// ```text
/// // Awaited: a future of Result<T, CallError<E>> (E is the method's error type, or Never).
/// let sum = call!(stub, Remote::add(1, 2)).await;
///
/// // Fire-and-continue: returns a CallHandle at once; when the result arrives,
/// // self.on_sum runs with $result = Result<T, CallError<E>> and the other arguments as
/// // they were when call! ran. It always runs: on success and on every error.
/// call!(stub, Remote::add(1, 2), then self.on_sum($result, 7));
///
/// // Nested: the inner calls run on the callee first, their results feed the outer one;
/// // one plan, one RPC. Awaited or with `then`, like any call.
/// let n = call!(stub, Remote::add(Remote::add(1, 2), 3)).await;             // Ok(6)
/// let len = call!(stub, Remote::len(Remote::upper(Remote::echo(s)))).await;  // String feeds &str
///
/// // Fan-in: several calls (to any objects), one result when all have ended: a tuple of the
/// // members' results, in order; with `then`, one continuation that runs once.
/// let (a, b) = call!(all(left => Ledger::balance(x), right => Ledger::balance(y))).await;
/// call!(all(left => Ledger::balance(x), right => Remote::echo(7)), then self.on_both($result, tag));
///
/// // Every form takes a timeout (default: DEFAULT_TIMEOUT, 30 s; a fan-in's applies to each
/// // member, a nested call's to the whole plan; at most MAX_TIMEOUT, 24 h: a longer one,
/// // Duration::MAX included, is clamped to it).
/// call!(stub, Remote::add(1, 2), timeout = Duration::from_millis(500)).await;
/// ```
///
/// # Nested calls
/// **Which argument is a nested call:** in argument position, a call written
/// `Type::method(args…)` with exactly the path the outer call names its type with runs on
/// the callee, as an earlier step of the same plan; anything else is an expression the
/// caller evaluates, as in any call. So `Remote::add(Remote::add(1, x), String::len(&s))`
/// nests the inner `add` and evaluates `String::len(&s)` here; a block forces the caller's
/// side (`Remote::add({ Remote::helper(2) }, 3)` calls the associated function `helper`
/// here); a call of another type, `Remote::add(Other::add(1, 2), 3)`, is an ordinary
/// expression too (and `#[callable]` methods take `&self`, so rustc reports the missing
/// receiver: a plan runs on one object). Arguments, values and nested calls alike, are
/// evaluated in writing order, once.
///
/// **Types:** rustc checks a nested call like a plain one, and that its value is the outer
/// parameter's type in owned form: a call returning `String` feeds a `&str` parameter,
/// `Vec<T>` a `&[T]`, `T` a `&T`, `Option<String>` an `Option<&str>`, `Option<T>` an
/// `Option<&T>`. A mismatch is reported at the inner call. A chain deeper than
/// [`Limits::DEFAULT`]'s 16 calls, or a plan of more than 64 steps, is a compile error at
/// the call past the limit.
///
/// **Errors:** the callee stops at the first step that fails. The error type of a nested
/// call is that of its first method that can fail, in writing order (the outer method, then
/// its nested calls from left to right, each read the same way):
/// `Remote::add(Remote::add(1, 2), 3)` fails with `CallError<MathError>`, as does
/// `Remote::negate(Remote::divide(1, 0))` (an infallible `negate`);
/// `Remote::len(Remote::upper(s))` with `CallError<Never>`. Every other nested call that
/// can fail must fail with an error that converts into the error type of the call it feeds
/// (`From`, as `?` requires), else rustc says so at that nested call. The failing step's
/// error travels with its index, is decoded with its own type and converted (see
/// [`pipeline`]); a panic, a decode error or a limit in any step is a
/// [`CallError::Remote`], a timeout covers the whole plan.
///
/// # Fan-in
/// `all(stub => Type::method(args…), …)`, 1 to 12 members, each a call of its own (a
/// nested one too) to any stub: sent when `call!` runs, in order, each with its own call id
/// and deadline; one member's failure or timeout does not end the others. The result is the
/// tuple of the members' `Result<T, CallError<E>>`. With `then`, the handler runs exactly
/// once, when every member has ended, on this object, like a single call's
/// continuation; [`CallHandle::cancel`] cancels the members still pending (they get
/// `CallError::Cancelled`) and runs it now. See [`fanin`].
///
/// # Example
/// In a Worker the stub is a [`CallStub`]; here, natively, the in-process transport:
/// ```
/// use std::cell::RefCell;
/// use call_core::local::{self, LocalStub};
/// use call_core::{call, continuation, CallError};
///
/// pub struct Remote;
///
/// #[continuation]
/// impl Remote {
///     #[callable]
///     pub async fn add(&self, a: i64, b: i64) -> Result<i64, String> {
///         a.checked_add(b).ok_or_else(|| "overflow".to_string())
///     }
///
///     #[callable]
///     pub fn upper(&self, s: &str) -> String {
///         s.to_uppercase()
///     }
///
///     #[callable]
///     pub fn len(&self, s: &str) -> usize {
///         s.len()
///     }
/// }
///
/// #[derive(Default)]
/// pub struct Controller {
///     sums: RefCell<Vec<(u32, Result<i64, CallError<String>>)>>,
///     pairs: RefCell<Vec<(Result<i64, CallError<String>>, Result<usize, CallError>)>>,
/// }
///
/// #[continuation]
/// impl Controller {
///     #[handler]
///     pub fn on_sum(&self, sum: Result<i64, CallError<String>>, op: u32) {
///         self.sums.borrow_mut().push((op, sum));
///     }
///
///     #[handler]
///     pub fn on_pair(&self, pair: (Result<i64, CallError<String>>, Result<usize, CallError>)) {
///         self.pairs.borrow_mut().push(pair);
///     }
///
///     #[callable]
///     pub async fn start(&self) {
///         let remote = LocalStub::new(Remote);
///         let other = LocalStub::new(Remote);
///         assert_eq!(call!(remote, Remote::add(1, 2)).await, Ok(3));
///         // Nested: one round trip; the inner overflow stops the plan, typed.
///         assert_eq!(call!(remote, Remote::add(Remote::add(1, 2), 3)).await, Ok(6));
///         let overflow = call!(remote, Remote::add(Remote::add(i64::MAX, 1), 3)).await;
///         assert_eq!(overflow, Err(CallError::App("overflow".to_string())));
///         assert_eq!(call!(remote, Remote::len(Remote::upper("abc"))).await, Ok(3));
///         // Fire-and-continue, and a fan-in continued once both calls have ended.
///         call!(remote, Remote::add(i64::MAX, 1), then self.on_sum($result, 7));
///         call!(all(remote => Remote::add(Remote::add(1, 2), 3), other => Remote::len("four")),
///               then self.on_pair($result));
///     }
/// }
///
/// let controller = LocalStub::new(Controller::default());
/// local::block_on(async {
///     call!(controller, Controller::start()).await.unwrap();
///     while controller.target().sums.borrow().is_empty() || controller.target().pairs.borrow().is_empty() {
///         local::sleep(std::time::Duration::from_millis(1)).await;
///     }
/// });
/// let target = controller.target();
/// assert_eq!(target.sums.borrow()[0], (7, Err(CallError::App("overflow".to_string()))));
/// assert_eq!(target.pairs.borrow()[0], (Ok(6), Ok(4)));
/// ```
///
/// # Arguments
/// * `stub`: a [`Transport`]: a [`CallStub`] (`CallStub::from(worker_stub)` or
///   [`CallStub::by_name`]) in a Worker, a [`local::LocalStub`] in native code; by value
///   or by reference, it is only borrowed.
/// * `Type::method(args…)`: a `#[callable]` method of a `#[continuation]` impl of `Type`;
///   the arguments are checked against its parameter types and encoded now; an argument
///   may be a nested call (see above).
/// * `all(stub => Type::method(args…), …)` instead of `stub, Type::method(args…)`: a
///   fan-in.
/// * `then self.k(…, $result, …)`: a `#[handler]` of the caller's own `#[continuation]`
///   impl; `$result` marks where the result goes (exactly once; a fan-in's is the tuple);
///   the other arguments must be `Serialize + DeserializeOwned + 'static`, since a
///   continuation is data. The handler runs on `self` when the result arrives, unless
///   `self` has been reset or evicted by then (see [`durable`] for what survives that).
/// * `timeout = expr`: a [`std::time::Duration`].
///
/// # What it expands to
/// ```text
/// // call!(stub, Remote::add(1, 2))
/// send(&(stub), <Remote as Continuation>::CALLS.add(1, 2))
///
/// // call!(stub, Remote::add(1, 2), then self.on_sum($result, 7))
/// {
///     let call = <Remote as Continuation>::CALLS.add(1, 2);
///     let typed = result_of(&call);                 // the type of $result
///     let bind = move |k1| move |result| {
///         is(typed, &result);                       // a mismatch is reported at $result
///         <Self as Continuation>::HANDLERS.on_sum(result, k1)
///     };
///     let continuation = bind(7);                   // captured now, checked where written
///     then(self, &(stub), call, continuation)
/// }
///
/// // call!(stub, Remote::add(x, Remote::upper(s))): the call is a pipeline
/// match (x, <Remote as Continuation>::CALLS.upper(s)) {     // in writing order, once
///     (a0, a1) => {
///         let sig = <<Remote as Continuation>::Calls as Signatures>::SIGS.add();
///         if false {                                 // type checks only, at the user's tokens
///             (sig.check)(value_like(&a0), any());   // the caller's values, as a plain call
///             (sig.params.1)(output(&a1));           // the nested call's value feeds param 1
///         }
///         let pipe = Pipe::new(sig).value(&a0);
///         let pipe = { let join = (&&&probe(&pipe, &a1)).__call_core_join(); pipe.nested(a1, join) };
///         send(&(stub), pipe.finish())               // steps: upper, then add(x, <step 0>)
///     }
/// }
///
/// // call!(all(a => X::m(1), b => Y::k(2)))
/// all((send(&(a), <X as Continuation>::CALLS.m(1)), send(&(b), <Y as Continuation>::CALLS.k(2))))
/// ```
/// (all paths under `call_core::__private`). `CALLS.add` is a generated builder with exactly
/// `add`'s parameter types, returning `Call<i64, MathError>`, so rustc reports a wrong
/// argument at that argument; `HANDLERS.on_sum` is the generated invoker of the handler,
/// which binds its arguments into a resumption that `then` runs on `self` later, through
/// the object's own entry. `SIGS.add` is the method's generated signature for nested calls,
/// and the probe picks the joined error type (see [`pipeline`]). A fan-in with `then`
/// builds its calls, then the continuation, then finds `self`'s home and sends
/// (`then_all`). The RPC is sent when `call!` runs, like a JavaScript promise.
#[macro_export]
macro_rules! call {
    ($($input:tt)*) => {
        $crate::__private::call_impl!($crate; $($input)*)
    };
}

#[doc(hidden)]
pub mod __private;
