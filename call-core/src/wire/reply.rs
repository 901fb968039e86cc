//! The reply: `{"ok":…}` or `{"err":…}`, written by the callee and decoded by the caller
//! with the call's own types (an earlier step's error with that step's type, see
//! [`StepErrors`]).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{preview, push_u64};
use crate::error::{CallError, RemoteError, RemoteErrorKind};
use crate::plan::StepErrors;

/// Appends `{"ok":<raw>}`.
pub fn reply_ok(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 7);
    out.push_str("{\"ok\":");
    out.push_str(raw);
    out.push('}');
    out
}

/// `{"err":{"app":<raw>}}`.
pub fn reply_app(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    out.push_str("{\"err\":{\"app\":");
    out.push_str(raw);
    out.push_str("}}");
    out
}

/// `{"err":{"remote":{"kind":…,"message":…}}}`.
pub fn reply_remote(error: &RemoteError) -> String {
    #[derive(Serialize)]
    struct Reply<'a> {
        err: Err<'a>,
    }
    #[derive(Serialize)]
    struct Err<'a> {
        remote: &'a RemoteError,
    }
    serde_json::to_string(&Reply { err: Err { remote: error } })
        .unwrap_or_else(|_| r#"{"err":{"remote":{"kind":"exception","message":"unencodable error"}}}"#.into())
}

/// `{"err":{"step":{"at":<step>,"app":<raw>}}}`: the application error of a step before the
/// last one, which ended the plan there. The caller decodes `raw` with that step's own
/// error type (see [`pipeline`](crate::pipeline)).
pub fn reply_step_app(step: usize, raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 40);
    out.push_str("{\"err\":{\"step\":{\"at\":");
    push_u64(&mut out, step as u64);
    out.push_str(",\"app\":");
    out.push_str(raw);
    out.push_str("}}}");
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reply<'a, T> {
    Ok(T),
    Err(#[serde(borrow)] WireError<'a>),
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum WireError<'a> {
    App(#[serde(borrow)] &'a serde_json::value::RawValue),
    Remote(RemoteError),
    Step(#[serde(borrow)] StepError<'a>),
}

#[derive(Deserialize)]
struct StepError<'a> {
    at: usize,
    #[serde(borrow)]
    app: &'a serde_json::value::RawValue,
}

/// Decodes a reply into the call's result. An application error of a step before the last
/// one cannot be typed without the plan's step errors (a plan made by hand, with
/// [`Call::from_plan`](crate::Call::from_plan)): it arrives as
/// [`RemoteErrorKind::Exception`], naming the step.
pub fn decode_reply<T: DeserializeOwned, E: DeserializeOwned>(text: &str) -> Result<T, CallError<E>> {
    decode_reply_with(text, |step, raw| match step {
        None => serde_json::from_str(raw).map(CallError::App).map_err(|e| e.to_string()),
        Some(at) => Ok(CallError::Remote(RemoteError::new(
            RemoteErrorKind::Exception,
            format!("step {at} returned an error: {}", preview(raw)),
        ))),
    })
}

/// Decodes the reply of a call whose plan's step errors decode through `errors` (a plan
/// that [`pipeline`](crate::pipeline) joined), or as [`decode_reply`] without them.
pub(crate) fn decode_call_reply<T: DeserializeOwned, E: DeserializeOwned>(
    text: &str,
    errors: Option<&StepErrors<E>>,
) -> Result<T, CallError<E>> {
    match errors {
        None => decode_reply(text),
        Some(errors) => decode_reply_with(text, |step, raw| errors(step, raw).map(CallError::App)),
    }
}

/// Decodes the reply of a JavaScript method called by name: its value as JSON text (made by
/// the transport). A value that is not the declared type, or not JSON at all (a `BigInt`,
/// a cycle: the transport's text then starts with `!`), is a typed
/// [`RemoteErrorKind::Decode`]: the method ran.
pub(crate) fn decode_value<T: DeserializeOwned, E>(text: &str) -> Result<T, CallError<E>> {
    serde_json::from_str(text).map_err(|e| {
        let message = match text.strip_prefix('!') {
            Some(why) => format!("the JavaScript method's value cannot travel as JSON: {}", preview(why)),
            None => {
                format!("the JavaScript method's value does not decode as the declared type ({e}): {}", preview(text))
            }
        };
        CallError::Remote(RemoteError::new(RemoteErrorKind::Decode, message))
    })
}

/// How a transport failure for a reply that does not decode starts (not transient: the
/// callee answered).
pub(crate) const UNDECODABLE: &str = "undecodable reply";

/// Decodes a reply; `app(step, raw)` turns an application error into the caller's error
/// (`step`: `None` for the last step, else the index of the step that failed), or says
/// why it cannot, which makes the reply undecodable (a transport failure).
pub(crate) fn decode_reply_with<T: DeserializeOwned, E>(
    text: &str,
    app: impl FnOnce(Option<usize>, &str) -> Result<CallError<E>, String>,
) -> Result<T, CallError<E>> {
    let undecodable =
        |e: &dyn std::fmt::Display| CallError::Transport(format!("{UNDECODABLE} ({e}): {}", preview(text)));
    let (step, raw) = match serde_json::from_str::<Reply<'_, T>>(text) {
        Ok(Reply::Ok(value)) => return Ok(value),
        Ok(Reply::Err(WireError::Remote(e))) => return Err(CallError::Remote(e)),
        Ok(Reply::Err(WireError::App(raw))) => (None, raw),
        Ok(Reply::Err(WireError::Step(StepError { at, app }))) => (Some(at), app),
        Err(e) => return Err(undecodable(&e)),
    };
    Err(app(step, raw.get()).unwrap_or_else(|e| undecodable(&e)))
}

/// A reply for a caller that has no step errors (a durable call recovered after a restart):
/// an application error of step `at` of a joined plan, when that step is not listed in
/// `indirect` (its error is of the call's own type, see [`Call`](crate::Call)), as if it
/// were the last step's; any other reply as it is.
pub(crate) fn lift_direct_step(text: String, indirect: &[u32]) -> String {
    match serde_json::from_str::<Reply<'_, &serde_json::value::RawValue>>(&text) {
        Ok(Reply::Err(WireError::Step(StepError { at, app })))
            if u32::try_from(at).is_ok_and(|at| !indirect.contains(&at)) =>
        {
            reply_app(app.get())
        }
        _ => text,
    }
}
