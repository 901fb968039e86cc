//! The fuzzed callee, shared by the fuzz target and the corpus regression test
//! (tests/tests/fuzz_corpus.rs includes this file). Each input is served as an envelope
//! (`__call`) and as the arguments of every callable method by name (`__call_core_named`).

use call_core::local::block_on;
use call_core::{continuation, dispatch, wire, CallError, RemoteErrorKind};

pub struct Target;

#[continuation]
impl Target {
    #[callable]
    pub fn echo(&self, i: u32) -> u32 {
        i.wrapping_mul(2).wrapping_add(1)
    }

    #[callable]
    pub fn text(&self, s: String, values: Vec<i64>) -> usize {
        s.len() + values.len()
    }

    #[callable]
    pub async fn add(&self, a: i64, b: i64) -> Result<i64, String> {
        a.checked_add(b).ok_or_else(|| "overflow".to_string())
    }

    #[callable]
    pub fn nested(&self, value: serde_json::Value) -> serde_json::Value {
        value
    }

    #[callable]
    pub fn nothing(&self) {}
}

/// Serves `envelope` as the `__call` entry does: the reply, and the reply decoded.
pub fn reply(envelope: &str) -> (String, Result<serde_json::Value, CallError<serde_json::Value>>) {
    let reply = block_on(dispatch::serve(&Target, envelope, 1_000));
    let decoded = wire::decode_reply(&reply);
    (reply, decoded)
}

/// Serves `envelope` and checks that the reply is a reply of the protocol: a value, an
/// application error or a typed remote error other than a panic (none of the target's
/// methods panics, so a `Panic` reply is a panic of call-core's own code). Panics
/// otherwise.
pub fn check(envelope: &str) {
    check_named(envelope);
    let (reply, decoded) = reply(envelope);
    match decoded {
        Err(CallError::Remote(e)) if e.kind == RemoteErrorKind::Panic => {
            panic!("call-core panicked serving {envelope:?}: {e}")
        }
        Ok(_) | Err(CallError::App(_)) | Err(CallError::Remote(_)) => {}
        Err(other) => panic!("the reply {reply:?} to {envelope:?} is not a protocol reply: {other:?}"),
    }
}

/// The same text as the arguments of each callable method called by name (the entry a
/// JavaScript caller reaches, `__call_core_named`): the value's JSON, or `!` and a reply
/// of the protocol that is not a panic.
pub fn check_named(args: &str) {
    for method in dispatch::methods::<Target>() {
        let reply = match dispatch::serve_named_now(&Target, method, args) {
            Some(reply) => reply,
            None => block_on(dispatch::serve_named_async(&Target, method, args)),
        };
        match reply.strip_prefix('!') {
            None => {
                if let Err(e) = serde_json::from_str::<serde_json::Value>(&reply) {
                    panic!("{method} by name answered {reply:?} to {args:?}: not JSON ({e})");
                }
            }
            Some(error) => match wire::decode_reply::<serde_json::Value, serde_json::Value>(error) {
                Err(CallError::Remote(e)) if e.kind == RemoteErrorKind::Panic => {
                    panic!("call-core panicked serving {method} by name with {args:?}: {e}")
                }
                Err(CallError::App(_)) | Err(CallError::Remote(_)) => {}
                other => panic!("{method} by name answered {reply:?} to {args:?}: {other:?}"),
            },
        }
    }
}
