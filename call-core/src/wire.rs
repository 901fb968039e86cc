//! The wire format: one JSON envelope per call, one JSON reply.
//!
//! ```text
//! envelope  {"v":1,"id":7,"dl":1767225600000,"p":[{"m":"Remote::add#9f3a…","a":[1,2]},
//!                                                 {"m":"Remote::add#9f3a…","a":[null,3],"r":[[0,0]]}]}
//! reply     {"ok":<value>}
//!         | {"err":{"app":<E>}}
//!         | {"err":{"step":{"at":0,"app":<E₀>}}}
//!         | {"err":{"remote":{"kind":"panic","message":"…"}}}
//! ```
//!
//! `v` is [`PROTOCOL_VERSION`]; `id` is the caller's call id; `dl` the deadline in
//! milliseconds since the Unix epoch; `p` the plan (`m` method id, `a` arguments, `r`
//! references to earlier results). A plan stops at the first step that fails: `app` is the
//! last step's application error, `step` an earlier step's (`at`, its index). Envelope and reply travel as JavaScript strings over one
//! native RPC method, `__call`. Errors travel in-band: the callee never throws across RPC.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{CallError, RemoteError, RemoteErrorKind};
use crate::plan::{Plan, Step, StepErrors};

/// The protocol version. A caller and callee of different versions refuse each other's
/// plans with [`RemoteErrorKind::VersionMismatch`].
pub const PROTOCOL_VERSION: u32 = 1;

/// Limits on what is sent and accepted. The defaults are [`Limits::DEFAULT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest envelope or reply, in bytes of JSON text (default 32 MiB, the Workers RPC
    /// payload limit: larger messages would fail inside the runtime instead).
    pub max_bytes: usize,
    /// Most steps in one plan (default 64).
    pub max_steps: usize,
    /// Longest chain of steps feeding results into one another (default 16).
    pub max_depth: usize,
}

impl Limits {
    /// The limits every caller and callee applies.
    pub const DEFAULT: Limits = Limits { max_bytes: 32 << 20, max_steps: 64, max_depth: 16 };

    /// Checks a plan against these limits.
    pub fn check_plan(&self, plan: &Plan) -> Result<(), String> {
        self.check_steps(plan.steps.iter().map(|s| s.refs.as_slice()))?;
        plan.steps.iter().enumerate().try_for_each(|(i, step)| crate::plan::check_refs(i, step).map_err(|e| e.message))
    }

    /// Checks the shape of a plan given by each step's references.
    fn check_steps<'a>(&self, steps: impl ExactSizeIterator<Item = &'a [(u32, u32)]> + Clone) -> Result<(), String> {
        let len = steps.len();
        if len == 0 {
            return Err("a plan needs at least one step".into());
        }
        if len > self.max_steps {
            return Err(format!("{len} steps exceed the limit of {}", self.max_steps));
        }
        for (i, refs) in steps.clone().enumerate() {
            if let Some((arg, from)) = refs.iter().find(|&&(_, from)| from as usize >= i) {
                return Err(format!("step {i} argument {arg} refers to step {from}, which does not run before it"));
            }
        }
        let depth = crate::plan::depth(steps);
        if depth > self.max_depth {
            return Err(format!("a plan depth of {depth} exceeds the limit of {}", self.max_depth));
        }
        Ok(())
    }

    /// Checks the size of an encoded envelope or reply.
    pub fn check_bytes(&self, what: &str, len: usize) -> Result<(), String> {
        if len > self.max_bytes {
            return Err(format!("{what} of {len} bytes exceeds the limit of {} bytes", self.max_bytes));
        }
        Ok(())
    }
}

/// Who sent a durable call, and its key: the callee answers a retry of the same key from
/// its record of the first reply instead of running the plan again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct DurableId<'a> {
    /// The caller object's id.
    #[serde(rename = "c", borrow)]
    pub caller: &'a str,
    /// The call's key, unique per caller.
    #[serde(rename = "k", borrow)]
    pub key: &'a str,
}

/// Encodes an envelope (of a durable call when `durable` is given).
pub fn encode_envelope(plan: &Plan, id: u64, deadline_ms: u64, durable: Option<DurableId<'_>>) -> String {
    let args_len: usize = plan.steps.iter().map(|s| s.args.len() + s.method.len() + 16).sum();
    let mut out = String::with_capacity(40 + args_len);
    out.push_str("{\"v\":");
    push_u64(&mut out, u64::from(PROTOCOL_VERSION));
    out.push_str(",\"id\":");
    push_u64(&mut out, id);
    out.push_str(",\"dl\":");
    push_u64(&mut out, deadline_ms);
    if let Some(d) = durable {
        out.push_str(",\"d\":{\"c\":");
        push_json_string(&mut out, d.caller);
        out.push_str(",\"k\":");
        push_json_string(&mut out, d.key);
        out.push('}');
    }
    out.push_str(",\"p\":[");
    for (i, step) in plan.steps.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"m\":");
        push_json_string(&mut out, &step.method);
        out.push_str(",\"a\":");
        out.push_str(&step.args);
        if !step.refs.is_empty() {
            out.push_str(",\"r\":[");
            for (j, (arg, from)) in step.refs.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push('[');
                push_u64(&mut out, u64::from(*arg));
                out.push(',');
                push_u64(&mut out, u64::from(*from));
                out.push(']');
            }
            out.push(']');
        }
        out.push('}');
    }
    out.push_str("]}");
    out
}

fn push_u64(out: &mut String, n: u64) {
    use std::fmt::Write as _;
    let _ = write!(out, "{n}");
}

fn push_json_string(out: &mut String, s: &str) {
    // Method ids are identifiers, `::` and `#hex` (keys: digits and `-`); anything else
    // goes through serde_json.
    if s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':' || b == b'#' || b == b'-') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
    }
}

/// A decoded envelope, borrowing from its text.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// Protocol version.
    pub v: u32,
    /// Call id.
    pub id: u64,
    /// Deadline, milliseconds since the Unix epoch.
    #[serde(default)]
    pub dl: Option<u64>,
    /// The caller and key of a durable call.
    #[serde(default, borrow)]
    pub d: Option<DurableId<'a>>,
    /// The plan's steps.
    #[serde(borrow)]
    pub p: Vec<Step<'a>>,
}

/// Only the version, read first so that a future envelope shape is still answered with
/// `VersionMismatch` rather than a decode error.
#[derive(Deserialize)]
struct VersionOnly {
    v: serde_json::Value,
}

/// Decodes and validates an envelope against `limits`.
pub fn decode_envelope<'a>(text: &'a str, limits: &Limits) -> Result<Envelope<'a>, RemoteError> {
    limits.check_bytes("the envelope", text.len()).map_err(|m| RemoteError::new(RemoteErrorKind::Limit, m))?;
    let decoded = match decode_written(text) {
        Some(envelope) => Ok(envelope),
        None => serde_json::from_str(text),
    };
    let envelope: Envelope<'a> = match decoded {
        Ok(e) => e,
        Err(e) => {
            if let Ok(VersionOnly { v }) = serde_json::from_str::<VersionOnly>(text) {
                if v != PROTOCOL_VERSION {
                    return Err(version_mismatch(&v));
                }
            }
            return Err(RemoteError::new(RemoteErrorKind::Decode, format!("malformed envelope: {e}")));
        }
    };
    if envelope.v != PROTOCOL_VERSION {
        return Err(version_mismatch(&envelope.v.into()));
    }
    if envelope.p.is_empty() {
        return Err(RemoteError::new(RemoteErrorKind::Decode, "the envelope's plan has no steps"));
    }
    limits
        .check_steps(envelope.p.iter().map(|s| s.refs.as_slice()))
        .map_err(|m| RemoteError::new(RemoteErrorKind::Limit, m))?;
    envelope.p.iter().enumerate().try_for_each(|(i, step)| crate::plan::check_refs(i, step))?;
    Ok(envelope)
}

/// Decodes an envelope exactly as [`encode_envelope`] writes a call that is not durable:
/// `{"v":…,"id":…,"dl":…,"p":[{"m":"…","a":[…]},{"m":"…","a":[…],"r":[[a,s],…]},…]}`,
/// each step's arguments checked as JSON. `None` for anything else (other spacing or order, an
/// escape in a method id, a leading zero, …), which serde then decodes: the result is
/// the same as serde's, only without its generic field matching (a unit test compares
/// the two).
fn decode_written(text: &str) -> Option<Envelope<'_>> {
    let mut rest = text.strip_prefix("{\"v\":")?;
    let v = take_u64(&mut rest)?;
    rest = rest.strip_prefix(",\"id\":")?;
    let id = take_u64(&mut rest)?;
    rest = rest.strip_prefix(",\"dl\":")?;
    let dl = take_u64(&mut rest)?;
    rest = rest.strip_prefix(",\"p\":[")?;
    let mut p = Vec::with_capacity(1);
    loop {
        rest = rest.strip_prefix("{\"m\":\"")?;
        let end = rest.find('"')?;
        let method = &rest[..end];
        if method.bytes().any(|b| b == b'\\' || b < 0x20) {
            return None;
        }
        rest = rest[end..].strip_prefix("\",\"a\":")?;
        let len = json_array_len(rest)?;
        let args = &rest[..len];
        serde_json::from_str::<&serde_json::value::RawValue>(args).ok()?;
        rest = &rest[len..];
        let refs = match rest.strip_prefix(",\"r\":[") {
            Some(tail) => {
                rest = tail;
                take_refs(&mut rest)?
            }
            None => Vec::new(),
        };
        rest = rest.strip_prefix('}')?;
        p.push(Step { method: Cow::Borrowed(method), args: Cow::Borrowed(args), refs });
        match rest.strip_prefix(',') {
            Some(next) => rest = next,
            None => break,
        }
    }
    if rest != "]}" {
        return None;
    }
    Some(Envelope { v: u32::try_from(v).ok()?, id, dl: Some(dl), d: None, p })
}

/// Reads the pairs of a step's references after its `"r":[`, as `encode_envelope` writes
/// them (`[a,s],[a,s]]`, at least one), and the closing bracket.
fn take_refs(rest: &mut &str) -> Option<Vec<(u32, u32)>> {
    let mut refs = Vec::with_capacity(1);
    loop {
        *rest = rest.strip_prefix('[')?;
        let arg = u32::try_from(take_u64(rest)?).ok()?;
        *rest = rest.strip_prefix(',')?;
        let from = u32::try_from(take_u64(rest)?).ok()?;
        *rest = rest.strip_prefix(']')?;
        refs.push((arg, from));
        match rest.strip_prefix(',') {
            Some(next) => *rest = next,
            None => break,
        }
    }
    *rest = rest.strip_prefix(']')?;
    Some(refs)
}

/// Reads a JSON number as serde_json reads a `u64`: digits, no leading zero, no overflow.
fn take_u64(rest: &mut &str) -> Option<u64> {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (number, tail) = rest.split_at(digits);
    if digits == 0 || (digits > 1 && number.starts_with('0')) || tail.starts_with(['.', 'e', 'E']) {
        return None;
    }
    *rest = tail;
    number.parse().ok()
}

/// The length of the JSON array at the start of `text` (brackets matched outside
/// strings), or `None`. The caller checks that it is valid JSON.
fn json_array_len(text: &str) -> Option<usize> {
    if !text.starts_with('[') {
        return None;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

fn version_mismatch(v: &serde_json::Value) -> RemoteError {
    RemoteError::new(
        RemoteErrorKind::VersionMismatch,
        format!("protocol version {v} is not this build's version {PROTOCOL_VERSION}"),
    )
}

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

/// The first 200 characters of `text`, for messages.
pub(crate) fn preview(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            steps: vec![
                Step { method: "R::add#00ff".into(), args: "[1,2]".into(), refs: vec![] },
                Step { method: "R::add#00ff".into(), args: "[null,3]".into(), refs: vec![(0, 0)] },
            ],
        }
    }

    #[test]
    fn a_direct_step_error_is_lifted() {
        let indirect = [1];
        assert_eq!(lift_direct_step(reply_step_app(0, "\"x\""), &indirect), reply_app("\"x\""));
        assert_eq!(lift_direct_step(reply_step_app(1, "\"x\""), &indirect), reply_step_app(1, "\"x\""));
        assert_eq!(lift_direct_step(reply_ok("5"), &indirect), reply_ok("5"));
        assert_eq!(lift_direct_step("garbage".into(), &indirect), "garbage");
    }

    #[test]
    fn envelope_round_trips() {
        let text = encode_envelope(&plan(), 7, 1_000, None);
        assert_eq!(
            text,
            r#"{"v":1,"id":7,"dl":1000,"p":[{"m":"R::add#00ff","a":[1,2]},{"m":"R::add#00ff","a":[null,3],"r":[[0,0]]}]}"#
        );
        let env = decode_envelope(&text, &Limits::DEFAULT).unwrap();
        assert_eq!((env.v, env.id, env.dl), (1, 7, Some(1000)));
        assert_eq!(env.p[1].method, "R::add#00ff");
        assert_eq!(env.p[1].args, "[null,3]");
        assert_eq!(env.p[1].refs, [(0, 0)]);
        assert!(matches!(env.p[1].args, std::borrow::Cow::Borrowed(_)), "arguments are borrowed from the text");
    }

    #[test]
    fn written_envelopes_decode_as_serde_decodes_them() {
        let step = |m: &str, a: &str| Step { method: m.to_string().into(), args: a.to_string().into(), refs: vec![] };
        let plans = [
            Plan { steps: vec![step("R::echo#00ff", "[20]")] },
            Plan { steps: vec![step("R::echo#00ff", "[]"), step("R::a#1", r#"["x\"]y",{"k":[1,[2]]},null,-1.5e3]"#)] },
            Plan { steps: vec![step("R::s#2", r#"["\\","[","{}",true]"#)] },
            plan(),
            Plan {
                steps: vec![
                    step("R::e#1", "[1]"),
                    step("R::e#1", "[2]"),
                    Step { refs: vec![(0, 1), (2, 0)], ..step("R::f#3", r#"[null,"]",null]"#) },
                ],
            },
        ];
        for (i, plan) in plans.iter().enumerate() {
            for (id, dl) in [(0, 0), (7, 1_767_225_600_000), (u64::MAX, u64::MAX)] {
                let text = encode_envelope(plan, id, dl, None);
                let fast = decode_written(&text).unwrap_or_else(|| panic!("plan {i} not taken: {text}"));
                let slow: Envelope<'_> = serde_json::from_str(&text).unwrap();
                assert_eq!((fast.v, fast.id, fast.dl, fast.d, &fast.p), (slow.v, slow.id, slow.dl, slow.d, &slow.p));
            }
        }
        // Anything else goes to serde, whose answer stands.
        let durable = encode_envelope(&plans[0], 1, 2, Some(DurableId { caller: "c", key: "k-1" }));
        for text in [
            durable.as_str(),
            r#"{"v":1,"id":1,"dl":2,"p":[{"m":"R::e#1","a":[1]},{"m":"R::e#1","a":[null],"r":[]}]}"#,
            r#"{"v":1,"id":1,"dl":2,"p":[{"m":"R::e#1","a":[1]},{"m":"R::e#1","a":[null],"r":[[0]]}]}"#,
            r#"{"v":1,"id":1,"dl":2,"p":[{"m":"R::e#1","a":[1]},{"m":"R::e#1","a":[null],"r":[[0,4294967296]]}]}"#,
            r#"{"v":1,"id":1,"dl":2,"p":[{"m":"R::e#1","a":[1]},{"m":"R::e#1","a":[null],"r":[[0,0],]}]}"#,
            r#"{"v":1,"id":1,"dl":2,"p":[{"m":"R::e#1","a":[1]},{"m":"R::e#1","r":[[0,0]],"a":[null]}]}"#,
            r#"{"v":1,"id":01,"dl":2,"p":[{"m":"R::e#1","a":[1]}]}"#,
            r#"{"v":1,"id":1.0,"dl":2,"p":[{"m":"R::e#1","a":[1]}]}"#,
            r#"{"v":1,"id":18446744073709551616,"dl":2,"p":[{"m":"R::e#1","a":[1]}]}"#,
            r#"{"v":1,"id":1,"dl":2,"p":[{"m":"R::e\u0023","a":[1]}]}"#,
            r#"{"v":1,"id":1,"dl":2,"p":[{"m":"R::e#1","a":[1,]}]}"#,
            r#"{"v":1,"id":1,"dl":2,"p":[{"m":"R::e#1","a":[1]}]} "#,
            r#"{"v":1, "id":1,"dl":2,"p":[{"m":"R::e#1","a":[1]}]}"#,
            r#"{"v":1,"id":1,"dl":2,"p":[]}"#,
            r#"{"v":4294967296,"id":1,"dl":2,"p":[{"m":"R::e#1","a":[1]}]}"#,
        ] {
            assert!(decode_written(text).is_none(), "{text}");
        }
        assert_eq!(decode_envelope(&durable, &Limits::DEFAULT).unwrap().d, Some(DurableId { caller: "c", key: "k-1" }));
    }

    #[test]
    fn bad_envelopes_get_typed_errors() {
        let kind = |text: &str| decode_envelope(text, &Limits::DEFAULT).unwrap_err().kind;
        assert_eq!(kind("\u{1}\u{2}garbage"), RemoteErrorKind::Decode);
        assert_eq!(kind(r#"{"v":1,"id":1,"p":[{"m":"x","a":[1"#), RemoteErrorKind::Decode);
        assert_eq!(kind("{}"), RemoteErrorKind::Decode);
        assert_eq!(kind(r#"{"v":2,"id":1,"p":[]}"#), RemoteErrorKind::VersionMismatch);
        assert_eq!(kind(r#"{"v":"1.0","future":true}"#), RemoteErrorKind::VersionMismatch);
        assert_eq!(kind(r#"{"v":1,"id":1,"p":[]}"#), RemoteErrorKind::Decode);
        let tight = Limits { max_bytes: 10, ..Limits::DEFAULT };
        let err = decode_envelope(&encode_envelope(&plan(), 1, 1, None), &tight).unwrap_err();
        assert_eq!(err.kind, RemoteErrorKind::Limit);
        let forward = r#"{"v":1,"id":1,"p":[{"m":"R::a#1","a":[null],"r":[[0,0]]}]}"#;
        assert_eq!(kind(forward), RemoteErrorKind::Limit);
        // References: at most one per argument.
        let twice = r#"{"v":1,"id":1,"dl":2,"p":[{"m":"R::a#1","a":[1]},{"m":"R::a#1","a":[null],"r":[[0,0],[0,0]]}]}"#;
        assert_eq!(kind(twice), RemoteErrorKind::Limit);
        let beyond = r#"{"v":1,"id":1,"dl":2,"p":[{"m":"R::a#1","a":[1]},{"m":"R::a#1","a":[null],"r":[[1,0]]}]}"#;
        assert_eq!(kind(beyond), RemoteErrorKind::Decode, "no such argument");
        let flood = format!(
            r#"{{"v":1,"id":1,"dl":2,"p":[{{"m":"R::a#1","a":[1]}},{{"m":"R::a#1","a":[null],"r":[{}]}}]}}"#,
            vec!["[0,0]"; 100_000].join(",")
        );
        let err = decode_envelope(&flood, &Limits::DEFAULT).unwrap_err();
        assert_eq!(err.kind, RemoteErrorKind::Limit);
        assert!(err.message.contains("100000 references for 1"), "{}", err.message);
    }

    #[test]
    fn limits_bound_steps_and_depth() {
        let step = |refs| Step { method: "R::m#1".into(), args: "[null]".into(), refs };
        let mut chain = Plan { steps: vec![step(vec![])] };
        for i in 0..20 {
            chain.steps.push(step(vec![(0, i)]));
        }
        assert!(Limits::DEFAULT.check_plan(&chain).unwrap_err().contains("depth of 21"));
        let wide = Plan { steps: (0..65).map(|_| step(vec![])).collect() };
        assert!(Limits::DEFAULT.check_plan(&wide).unwrap_err().contains("65 steps"));
    }

    #[test]
    fn replies_decode_into_results() {
        type R = Result<i64, CallError<String>>;
        assert_eq!(decode_reply::<i64, String>(&reply_ok("3")), R::Ok(3));
        assert_eq!(decode_reply::<i64, String>(&reply_app("\"neg\"")), R::Err(CallError::App("neg".into())));
        let remote = RemoteError::new(RemoteErrorKind::Panic, "boom");
        assert_eq!(decode_reply::<i64, String>(&reply_remote(&remote)), R::Err(CallError::Remote(remote)));
        assert!(matches!(decode_reply::<i64, String>("{\"ok\":\"x\"}"), Err(CallError::Transport(_))));
    }

    #[test]
    fn the_js_entry_fault_reply_decodes() {
        // Written by the generated JavaScript entry (xtask/src/entry.rs, `callFault`).
        let js = r#"{"err":{"remote":{"kind":"exception","message":"TypeError: x"}}}"#;
        let err = decode_reply::<(), crate::Never>(js).unwrap_err();
        assert_eq!(err.remote_kind(), Some(RemoteErrorKind::Exception));
    }
}
