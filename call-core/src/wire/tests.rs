//! The wire format's tests: envelopes and replies, written and read back.

use super::*;
use crate::error::CallError;

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
