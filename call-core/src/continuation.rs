//! What a `#[continuation]` type is, as traits: [`Continuation`] (its call builders and
//! handler invokers), [`Handler`] (a handler's name and id), [`Resumption`] (a handler with
//! its arguments bound, ready to run on its object) and [`Report`] (what a handler may
//! return). `#[continuation]` implements them; the layers above run what they describe.

use std::fmt::Debug;
use std::marker::PhantomData;

use crate::runtime::{log_error, LocalBoxFuture};

/// Implemented by `#[continuation]`, once per type: the typed builders of calls to its
/// `#[callable]` methods (which are also its dispatch table) and the invokers of its
/// `#[handler]`s.
///
/// `call!` reaches them through the constants, not through `<T as Continuation>::Calls::m`:
/// when `T` has no `#[continuation]`, a constant leaves rustc with one error (this trait's
/// message, at `T`), where a type path would add "no function `m` found for type `_`".
///
/// The dispatch table is a separate trait ([`Dispatch`](crate::dispatch::Dispatch), on
/// `Calls`), whose impl carries the `Data` bounds of every method's types: a type with one
/// bad method is still a `Continuation`, so calls of its other methods report nothing more.
/// And since this is the only impl `#[continuation]` writes for the type itself, a second
/// `#[continuation]` block of one type is one error: conflicting implementations of this
/// trait.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `#[continuation]` impl, so its methods cannot be called with `call!`",
    label = "not a `#[continuation]` type",
    note = "put `#[call_core::continuation]` on the `impl {Self}` block that holds the method, and mark the method `#[callable]`"
)]
pub trait Continuation: 'static {
    /// One builder method per callable method: same parameters, returns a `Call`.
    type Calls: 'static;
    /// One invoker method per handler: same parameters, returns a resumption.
    type Handlers;
    /// The builders.
    const CALLS: Self::Calls;
    /// The invokers.
    const HANDLERS: Self::Handlers;
    /// The ids of the handlers (`Type::method#signature-hash`, as for callable methods):
    /// they name a stored continuation; no entry answers them.
    const HANDLER_IDS: &'static [&'static str];
    /// Who answers the calls: [`RustObject`] (`#[continuation]`) or [`JsObject`]
    /// (`#[remote]`), which answers plain calls only.
    type Callee;
}

/// The callee of a `#[continuation]` type: it runs plans (nested calls) and records
/// durable calls.
#[derive(Debug)]
pub enum RustObject {}

/// The callee of a `#[remote]` type: a JavaScript Durable Object, which answers plain RPCs
/// of its methods and records nothing.
#[derive(Debug)]
pub enum JsObject {}

/// What a continuation handler may return: `()`, or a `Result` whose error is logged
/// (a continuation has no caller to hand it to).
#[diagnostic::on_unimplemented(
    message = "a continuation handler must return `()` or a `Result`, not `{Self}`",
    label = "this handler's result would be lost",
    note = "a continuation runs when a reply arrives: there is nobody to receive its value"
)]
pub trait Report {
    /// Logs the outcome if it is an error.
    fn report(self);
}

impl Report for () {
    fn report(self) {}
}

impl<T, E: Debug> Report for Result<T, E> {
    fn report(self) {
        if let Err(e) = self {
            log_error(&format!("call-core: a continuation returned an error: {e:?}"));
        }
    }
}

/// What a `#[handler]` is called and how a stored continuation names it: implemented by a
/// marker type that `#[continuation]` generates per handler.
pub trait Handler: 'static {
    /// The handler's id, `Type::method#signature-hash`: stored with a durable call, so that
    /// a build whose handler has another signature does not misread it.
    const ID: &'static str;
    /// The method's name, for logs.
    const NAME: &'static str;
}

/// A continuation, its arguments bound, ready to run on its object: made by the generated
/// invoker of a `#[handler]` method ([`Resume`] for a sync handler, [`ResumeAsync`] for an
/// async one).
pub trait Resumption<S>: 'static {
    /// The handler.
    type Handler: Handler;

    /// Whether running it leaves a future to await (an `async` handler).
    const ASYNC: bool;

    /// Runs the handler on `this`; an async handler's future is returned, to be awaited
    /// while `this` is kept alive.
    fn run(self, this: &S) -> Option<LocalBoxFuture<'_, ()>>;
}

/// A sync handler `H` with its arguments.
pub struct Resume<S, H, F> {
    run: F,
    _types: PhantomData<fn(&S, H)>,
}

/// An async handler `H` with its arguments.
pub struct ResumeAsync<S, H, F> {
    run: F,
    _types: PhantomData<fn(&S, H)>,
}

/// A sync handler `H`, run by `run`.
pub fn resume<S, H: Handler, F: FnOnce(&S)>(run: F) -> Resume<S, H, F> {
    Resume { run, _types: PhantomData }
}

/// An async handler `H`, whose future `run` makes.
pub fn resume_async<S, H: Handler, F>(run: F) -> ResumeAsync<S, H, F>
where
    F: for<'a> FnOnce(&'a S) -> LocalBoxFuture<'a, ()>,
{
    ResumeAsync { run, _types: PhantomData }
}

impl<S: 'static, H: Handler, F: FnOnce(&S) + 'static> Resumption<S> for Resume<S, H, F> {
    type Handler = H;
    const ASYNC: bool = false;

    fn run(self, this: &S) -> Option<LocalBoxFuture<'_, ()>> {
        (self.run)(this);
        None
    }
}

impl<S: 'static, H: Handler, F> Resumption<S> for ResumeAsync<S, H, F>
where
    F: for<'a> FnOnce(&'a S) -> LocalBoxFuture<'a, ()> + 'static,
{
    type Handler = H;
    const ASYNC: bool = true;

    fn run(self, this: &S) -> Option<LocalBoxFuture<'_, ()>> {
        Some((self.run)(this))
    }
}
