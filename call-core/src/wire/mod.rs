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

use serde::Deserialize;

use crate::error::{RemoteError, RemoteErrorKind};
use crate::plan::{Plan, Step};

mod reply;
pub(crate) use reply::{decode_call_reply, decode_value, lift_direct_step, UNDECODABLE};
pub use reply::{decode_reply, reply_app, reply_ok, reply_remote, reply_step_app};

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

/// The first 200 characters of `text`, for messages.
pub(crate) fn preview(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
