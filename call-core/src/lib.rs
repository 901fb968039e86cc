//! Typed continuations for Cloudflare Durable Objects.
//!
//! One Durable Object calls another and continues with the result; rustc checks the whole
//! thing. [`#[continuation]`](macro@continuation) on a Durable Object's `impl` reads two
//! marks: `#[callable]` methods other objects may call, and `#[handler]`s that continue
//! this object's own calls; [`call!`] compiles a call into a [`Plan`] whose method ids,
//! argument encoders and result type are fixed at compile time; the caller runs it with one
//! native RPC — no storage, no queue, no `blockConcurrencyWhile`.
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
//!         Ok(())
//!     }
//! }
//! ```
//!
//! Modules, in the order data flows: [`plan`] (the IR a call compiles to) → [`wire`]
//! (envelope and reply) → [`caller`] (send, deadline, decode) → [`dispatch`] (the callee:
//! method ids to methods, through the generated [`entry`]) →
//! [`continuation`](mod@continuation) (running the caller's handler with the result, on
//! the object that [`home`] finds). Transports: [`stub`] (Durable Object RPC) and
//! [`local`] (in-process). Underneath, a leaf: the runtime (clock, tasks, one timer per
//! group of deadlines).

#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

pub mod caller;
pub mod continuation;
pub mod dispatch;
pub mod entry;
pub mod error;
pub mod fanin;
pub mod home;
pub mod local;
pub mod pipeline;
pub mod plan;
mod runtime;
pub mod stub;
pub mod transport;
pub mod wire;

pub use call_macros::{callable, continuation, handler};
pub use caller::{CallFuture, DEFAULT_TIMEOUT};
pub use continuation::{CallHandle, Report};
pub use dispatch::{Callee, Dispatch};
pub use error::{CallError, Never, RemoteError, RemoteErrorKind, WorkerError};
pub use plan::{Call, Plan, Step};
pub use stub::{CallStub, RpcReply};
pub use transport::Transport;
pub use wire::{Limits, PROTOCOL_VERSION};

/// Calls a `#[callable]` method of another Durable Object, awaited or continued by a
/// `#[handler]`.
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
/// // Either form takes a timeout (default: DEFAULT_TIMEOUT, 30 s).
/// call!(stub, Remote::add(1, 2), timeout = Duration::from_millis(500)).await;
/// ```
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
/// }
///
/// #[derive(Default)]
/// pub struct Controller {
///     sums: RefCell<Vec<(u32, Result<i64, CallError<String>>)>>,
/// }
///
/// #[continuation]
/// impl Controller {
///     #[handler]
///     pub fn on_sum(&self, sum: Result<i64, CallError<String>>, op: u32) {
///         self.sums.borrow_mut().push((op, sum));
///     }
///
///     #[callable]
///     pub async fn start(&self) {
///         let remote = LocalStub::new(Remote);
///         assert_eq!(call!(remote, Remote::add(1, 2)).await, Ok(3));
///         call!(remote, Remote::add(i64::MAX, 1), then self.on_sum($result, 7));
///     }
/// }
///
/// let controller = LocalStub::new(Controller::default());
/// local::block_on(async {
///     call!(controller, Controller::start()).await.unwrap();
///     while controller.target().sums.borrow().is_empty() {
///         local::sleep(std::time::Duration::from_millis(1)).await;
///     }
/// });
/// let sums = controller.target().sums.borrow();
/// assert_eq!(sums[0], (7, Err(CallError::App("overflow".to_string()))));
/// ```
///
/// # Arguments
/// * `stub`: a [`Transport`]: a [`CallStub`] (`CallStub::from(worker_stub)` or
///   [`CallStub::by_name`]) in a Worker, a [`local::LocalStub`] in native code; by value
///   or by reference, it is only borrowed.
/// * `Type::method(args…)`: a `#[callable]` method of a `#[continuation]` impl of `Type`;
///   the arguments are checked against its parameter types and encoded now.
/// * `then self.k(…, $result, …)`: a `#[handler]` of the caller's own `#[continuation]`
///   impl; `$result` marks where the result goes (exactly once); the other arguments must
///   be `Serialize + DeserializeOwned + 'static`, since a continuation is data. The handler
///   runs on `self` when the result arrives, unless `self` has been reset or evicted by
///   then (see [`home`]).
/// * `timeout = expr`: a [`std::time::Duration`].
///
/// # What it expands to
/// ```text
/// // call!(stub, Remote::add(1, 2))
/// send(&(stub), <Remote as Callable>::CALLS.add(1, 2))
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
/// ```
/// (all paths under `call_core::__private`). `CALLS.add` is a generated builder with exactly
/// `add`'s parameter types, returning `Call<i64, MathError>`, so rustc reports a wrong
/// argument at that argument; `HANDLERS.on_sum` is the generated invoker of the handler,
/// which binds its arguments into a resumption that `then` runs on `self` later, through
/// the object's own entry. The RPC is sent when `call!` runs, like a JavaScript promise.
#[macro_export]
macro_rules! call {
    ($($input:tt)*) => {
        $crate::__private::call_impl!($crate; $($input)*)
    };
}

#[doc(hidden)]
pub mod __private;
