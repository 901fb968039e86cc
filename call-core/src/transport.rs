//! How an envelope reaches a callee and its reply comes back.

use std::future::Future;

use crate::error::{CallError, Never};

/// A way to deliver an envelope (JSON text) to a callee's `__call` entry and receive the
/// reply (JSON text).
///
/// Two transports come with the crate: [`CallStub`](crate::CallStub), native Durable
/// Object RPC inside workerd, and [`LocalStub`](crate::local::LocalStub), in-process,
/// which runs the same callee code without a network.
pub trait Transport {
    /// The reply, or why none arrived (a failure other than [`CallError::App`]).
    type Reply: Future<Output = Result<String, CallError<Never>>> + Unpin + 'static;

    /// Sends `envelope` now; the returned future resolves to the reply.
    fn send(&self, envelope: &str) -> Self::Reply;

    /// Calls the JavaScript method `method` of the callee with `args` (a JSON array) as a
    /// plain RPC; the reply is the method's value as JSON text. `None`: this transport
    /// reaches only `#[continuation]` objects (the default).
    fn send_named(&self, method: &str, args: &str) -> Option<Self::Reply> {
        let _ = (method, args);
        None
    }
}

impl<T: Transport + ?Sized> Transport for &T {
    type Reply = T::Reply;

    fn send(&self, envelope: &str) -> Self::Reply {
        (**self).send(envelope)
    }

    fn send_named(&self, method: &str, args: &str) -> Option<Self::Reply> {
        (**self).send_named(method, args)
    }
}

/// Turns a failure of the call itself into a `CallError` of any application error type.
pub(crate) fn widen<E>(error: CallError<Never>) -> CallError<E> {
    match error {
        CallError::App(never) => match never {},
        CallError::Remote(e) => CallError::Remote(e),
        CallError::Transport(m) => CallError::Transport(m),
        CallError::Timeout => CallError::Timeout,
        CallError::Cancelled => CallError::Cancelled,
        CallError::Limit(m) => CallError::Limit(m),
        CallError::Encode(m) => CallError::Encode(m),
    }
}
