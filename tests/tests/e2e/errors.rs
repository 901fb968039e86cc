//! Errors travel in-band and arrive typed.

use crate::harness::Ctx;

/// `divide(7, 0)` returns `Err(MathError::DivideByZero)`: the caller gets
/// `CallError::App(DivideByZero)`; `divide(7, 2)` still answers.
pub fn app_error(ctx: &Ctx) {
    let answer = ctx.json("/probe/app-error");
    assert_eq!(answer["divided"], serde_json::json!({ "Err": { "App": "DivideByZero" } }), "{answer}");
    assert_eq!(answer["fine"], serde_json::json!({ "Ok": 3 }), "{answer}");
}

/// `boom` panics: the caller gets `CallError::Remote` of kind `panic` with the message,
/// and the next call to the same Durable Object succeeds. Twice, to show it keeps serving.
pub fn panic(ctx: &Ctx) {
    for _ in 0..2 {
        let answer = ctx.json("/probe/panic");
        let remote = &answer["panicked"]["Err"]["Remote"];
        assert_eq!(remote["kind"], "panic", "{answer}");
        assert!(remote["message"].as_str().unwrap_or_default().contains("boom: probe"), "{answer}");
        assert_eq!(answer["after"], serde_json::json!({ "Ok": 11 }), "{answer}");
    }
}

/// `Ledger` was adopted without changing its methods: `&str`/`Option<&str>` parameters and
/// `worker::Result` answers work over RPC, with its storage; the `worker::Error` arrives as
/// `WorkerError { message }`.
pub fn adopted_durable_object(ctx: &Ctx) {
    let account = format!("acct-{}", std::process::id());
    let answer = ctx.json(&format!("/probe/ledger?account={account}"));
    assert_eq!(answer["deposited"], serde_json::json!({ "Ok": 100 }), "{answer}");
    let message = format!("insufficient funds in {account}: 100 < 1000000 (rent)");
    assert_eq!(answer["refused"], serde_json::json!({ "Err": { "App": { "message": message } } }), "{answer}");
    assert_eq!(answer["withdrawn"], serde_json::json!({ "Ok": 70 }), "{answer}");
    assert_eq!(answer["balance"], serde_json::json!({ "Ok": 70 }), "{answer}");
}
