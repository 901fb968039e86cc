// A JavaScript Durable Object declared with `#[remote]`: `call!` calls its methods awaited,
// with `then` and in fan-ins (over Durable Object RPC in workerd: tests/tests/e2e). The
// in-process transport reaches only `#[continuation]` objects, which it says.
use call_core::local::{self, LocalStub};
use call_core::{call, continuation, remote, CallError, CallStub, Never};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    count: u32,
}

/// The JavaScript `Counter` class.
#[remote]
pub trait JsCounter {
    /// Adds `n`; the new total.
    fn add(&self, n: u64) -> u64;
    #[js_name = "bumpAfter"]
    async fn bump_after(&self, ms: u32);
    fn stats(&self, label: &str, values: &[u32], extra: Option<&Stats>) -> Stats;
    fn zero(&self) -> Vec<u8>;
}

// A private one, and one whose trait has a raw name.
#[remote]
trait r#Private {
    fn r#type(&self) -> String;
}

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

pub struct Controller;

#[continuation]
impl Controller {
    #[handler]
    fn on_total(&self, total: Result<u64, CallError>, tag: u8) {
        let _ = (total, tag);
    }

    #[handler]
    fn on_both(&self, both: (Result<u64, CallError>, Result<i64, CallError>)) {
        let _ = both;
    }
}

impl Controller {
    #[allow(dead_code)]
    async fn start(&self, js: &CallStub, rust: &CallStub) {
        let total: Result<u64, CallError<Never>> = call!(js, JsCounter::add(5)).await;
        let _ = total;
        let _: Result<(), CallError> = call!(js, JsCounter::bump_after(10), timeout = std::time::Duration::from_secs(1)).await;
        let _: Result<Stats, CallError> = call!(js, JsCounter::stats("s", &[1, 2], Some(&Stats { count: 1 }))).await;
        let _: Result<String, CallError> = call!(js, Private::r#type()).await;
        call!(js, JsCounter::add(1), then self.on_total($result, 7));
        call!(all(js => JsCounter::add(2), rust => Remote::add(1, 2)), then self.on_both($result));
    }
}

fn main() {
    let call = JsCounter::add_call_plan();
    assert_eq!(call, ("JsCounter::add".to_string(), "[5]".to_string()));
    let stub = LocalStub::new(Remote);
    let over_local: Result<u64, CallError> = local::block_on(async { call!(stub, JsCounter::add(5)).await });
    match over_local {
        Err(CallError::Transport(m)) => assert!(m.contains("JavaScript Durable Object"), "{m}"),
        other => panic!("{other:?}"),
    }
}

trait PlanOf {
    fn add_call_plan() -> (String, String);
}

impl PlanOf for JsCounter {
    fn add_call_plan() -> (String, String) {
        use call_core::__private::Continuation;
        let call = <JsCounter as Continuation>::CALLS.add(5);
        let step = &call.plan().unwrap().steps[0];
        (step.method.to_string(), step.args.to_string())
    }
}
