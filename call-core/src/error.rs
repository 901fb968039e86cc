//! Every way a call can fail, as one typed value that a caller or continuation receives.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The error type of a method that cannot fail (it returns `T`, not `Result<T, E>`).
///
/// It has no values, so `CallError<Never>` (written `CallError`) only carries the
/// failures of the call itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Never {}

impl fmt::Display for Never {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

/// The application error of a method that returns `worker::Result<T>` (or another
/// one-argument `Result<T>` alias, or `Result<T, worker::Error>`): the error's `Display`.
///
/// `worker::Error` is not data (it can hold JavaScript values), so its message travels:
/// the caller gets `CallError::App(WorkerError { message })`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerError {
    /// The error's `Display`.
    pub message: String,
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WorkerError {}

/// Why a call did not produce the method's value.
///
/// `E` is the callee method's own error type (for a method returning `Result<T, E>`);
/// methods that cannot fail use the default, [`Never`].
///
/// A continuation always runs: with `Ok(value)` or with exactly one of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CallError<E = Never> {
    /// The method ran and returned `Err(e)`.
    App(E),
    /// The callee received the call but could not run it: it panicked, threw, did not know
    /// the method, could not decode the arguments, was built from an incompatible version,
    /// or a limit was exceeded. See [`RemoteError::kind`].
    Remote(RemoteError),
    /// The RPC itself failed (the stub is broken, the callee is unreachable or was reset,
    /// or its answer was not a reply of this protocol).
    Transport(String),
    /// No answer arrived before the call's deadline. A late answer is dropped.
    Timeout,
    /// The call was cancelled through its [`CallHandle`](crate::CallHandle).
    Cancelled,
    /// The caller refused to send the call: it exceeds a limit (see [`Limits`](crate::Limits)).
    Limit(String),
    /// The caller could not encode the arguments (a value serde cannot write as JSON, such
    /// as a map with non-string keys).
    Encode(String),
}

/// A failure reported by the callee's side, in-band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteError {
    /// What went wrong.
    pub kind: RemoteErrorKind,
    /// A message for people: the panic message, the unknown method id, the decode error.
    pub message: String,
}

/// The kinds of [`RemoteError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RemoteErrorKind {
    /// The method panicked. The callee keeps serving.
    Panic,
    /// JavaScript threw in the callee (its wrapper, or a JavaScript Durable Object).
    Exception,
    /// The callee has no method with that name.
    UnknownMethod,
    /// The callee knows the method, but with another signature, or speaks another protocol
    /// version: the plan comes from an incompatible build and is not run.
    VersionMismatch,
    /// The envelope or the arguments could not be decoded.
    Decode,
    /// The method's result could not be encoded as JSON.
    Encode,
    /// The plan exceeds a limit of the callee (steps, depth, bytes).
    Limit,
    /// The call arrived after its deadline and was not run.
    DeadlineExceeded,
    /// A re-send of a durable call that had started: its first delivery began running the
    /// method (the callee recorded its arrival) but no reply was recorded, because the
    /// callee was killed, reset or evicted while the method ran (typically during an
    /// `await`). The method ran at least in part, and it is never run again for this call:
    /// whether its effects happened, and which, only the callee's own state can tell.
    /// [`CallError::is_indeterminate`] is `true` for it.
    OutcomeUnknown,
    /// A durable call whose key the callee has already recorded for another plan (other
    /// methods or arguments; see [`durable`](crate::durable)): the call was not run, and
    /// the recorded reply, which belongs to the other plan, is not given out.
    KeyConflict,
}

impl RemoteError {
    /// A new remote error.
    pub fn new(kind: RemoteErrorKind, message: impl Into<String>) -> Self {
        RemoteError { kind, message: message.into() }
    }
}

impl<E> CallError<E> {
    /// The application error, if the method returned one.
    pub fn app(&self) -> Option<&E> {
        match self {
            CallError::App(e) => Some(e),
            _ => None,
        }
    }

    /// The kind of remote failure, if the callee reported one.
    pub fn remote_kind(&self) -> Option<RemoteErrorKind> {
        match self {
            CallError::Remote(e) => Some(e.kind),
            _ => None,
        }
    }

    /// Whether the failure says nothing about the method's outcome: the method may or may
    /// not have run (timeouts, cancellation, transport failures), or it started and its
    /// outcome is unknown ([`RemoteErrorKind::OutcomeUnknown`]: it ran at least in part).
    pub fn is_indeterminate(&self) -> bool {
        matches!(self, CallError::Timeout | CallError::Cancelled | CallError::Transport(_))
            || self.remote_kind() == Some(RemoteErrorKind::OutcomeUnknown)
    }
}

impl fmt::Display for RemoteErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RemoteErrorKind::Panic => "panic",
            RemoteErrorKind::Exception => "exception",
            RemoteErrorKind::UnknownMethod => "unknown method",
            RemoteErrorKind::VersionMismatch => "version mismatch",
            RemoteErrorKind::Decode => "decode error",
            RemoteErrorKind::Encode => "encode error",
            RemoteErrorKind::Limit => "limit exceeded",
            RemoteErrorKind::DeadlineExceeded => "deadline exceeded",
            RemoteErrorKind::OutcomeUnknown => "started, outcome unknown",
            RemoteErrorKind::KeyConflict => "key recorded for another call",
        })
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl<E: fmt::Display> fmt::Display for CallError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::App(e) => write!(f, "{e}"),
            CallError::Remote(e) => write!(f, "remote {e}"),
            CallError::Transport(m) => write!(f, "transport failure: {m}"),
            CallError::Timeout => f.write_str("timed out"),
            CallError::Cancelled => f.write_str("cancelled"),
            CallError::Limit(m) => write!(f, "limit exceeded: {m}"),
            CallError::Encode(m) => write!(f, "cannot encode the call: {m}"),
        }
    }
}

impl std::error::Error for RemoteError {}

impl<E: fmt::Debug + fmt::Display> std::error::Error for CallError<E> {}
