//! A Rust Durable Object called by name from JavaScript and TypeScript (js/typed.mjs):
//! each `#[callable]` method is also an RPC method of its class, with its declaration in
//! the generated `shim.d.ts`. Its methods cover the kinds of values that cross: numbers,
//! strings, arrays, objects, `null` (`Option`), tuples, maps, nothing, typed errors.
//!
//! And the other way: `#[remote] trait JsTyped` declares the JavaScript Durable Object's
//! methods (js/typed.mjs), which this object calls with `call!` (`/to-js/…`): awaited, with
//! `then`, in a fan-in beside a Rust callee.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use call_core::{call, continuation, remote, CallError, CallStub};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::*;

use crate::remote::RemoteDo;
use crate::MathError;

/// Answers calls from JavaScript; counts them. Calls JavaScript back (`/to-js/…`).
#[durable_object]
pub struct Typed {
    calls: AtomicU32,
    env: Env,
    /// What the continuations of `/to-js/continued` received, by tag.
    continued: RefCell<HashMap<String, Value>>,
}

// As projects built with panic=unwind write it (workers-rs's own `&self` exports need it).
impl std::panic::RefUnwindSafe for Typed {}

impl DurableObject for Typed {
    fn new(_state: State, env: Env) -> Self {
        Self { calls: AtomicU32::new(0), env, continued: RefCell::default() }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let js = CallStub::by_name(&self.env, "JS_TYPED", &crate::param(&url, "js").unwrap_or_else(|| "js".into()))?;
        match url.path() {
            "/to-js/kinds" => Response::from_json(&self.to_js_kinds(&js).await),
            "/to-js/continued" => {
                // Each continuation records what it received; the test reads /to-js/results.
                let rust = CallStub::by_name(&self.env, "REMOTE", "remote")?;
                call!(js, JsTyped::add(40, 2), then self.on_js($result, "then".to_string()));
                call!(js, JsTyped::fail("in a then"), then self.on_js($result, "then_thrown".to_string()));
                call!(all(js => JsTyped::greet("fan"), rust => RemoteDo::echo(4)), then self.on_both($result));
                Response::from_json(&json!({ "sent": 3 }))
            }
            "/to-js/results" => Response::from_json(&*self.continued.borrow()),
            _ => Response::ok("Typed"),
        }
    }
}

/// The JavaScript Durable Object of js/typed.mjs, as Rust calls it: its methods, their
/// parameters and the types their values decode as.
#[remote]
pub(crate) trait JsTyped {
    fn add(&self, a: i64, b: i64) -> i64;
    fn greet(&self, name: &str) -> String;
    fn stats(&self, values: &[u32]) -> Stats;
    fn lookup(&self, table: &HashMap<String, u32>, key: &str) -> Option<u32>;
    fn label(&self, n: u32, prefix: Option<&str>) -> (u32, String);
    fn bytes(&self, n: u32) -> Vec<u8>;
    fn nothing(&self);
    async fn later(&self, ms: u32) -> u32;
    fn fail(&self, message: &str) -> i64;
    /// Returns a `BigInt`, which JSON cannot carry.
    fn big(&self) -> u64;
    /// Returns a string.
    #[js_name = "wrongType"]
    fn wrong_type(&self) -> u32;
    #[js_name = "callsSoFar"]
    fn calls_so_far(&self) -> u32;
    /// Not a method of the JavaScript class.
    fn missing(&self) -> u32;
}

/// A call's outcome as the tests read it.
fn outcome<T: Serialize>(result: &std::result::Result<T, CallError>) -> Value {
    serde_json::to_value(result).unwrap_or(Value::Null)
}

impl Typed {
    /// Every kind of value from JavaScript, awaited.
    async fn to_js_kinds(&self, js: &CallStub) -> Value {
        let table = HashMap::from([("a".to_string(), 1), ("b".to_string(), 2)]);
        json!({
            "add": outcome(&call!(js, JsTyped::add(40, 2)).await),
            "add_negative": outcome(&call!(js, JsTyped::add(-5, 3)).await),
            "greet": outcome(&call!(js, JsTyped::greet("Grüße, 世界")).await),
            "stats": outcome(&call!(js, JsTyped::stats(&[3, 9, 4])).await),
            "stats_empty": outcome(&call!(js, JsTyped::stats(&[])).await),
            "lookup_found": outcome(&call!(js, JsTyped::lookup(&table, "b")).await),
            "lookup_missing": outcome(&call!(js, JsTyped::lookup(&table, "z")).await),
            "label": outcome(&call!(js, JsTyped::label(7, Some("n="))).await),
            "label_none": outcome(&call!(js, JsTyped::label(7, None)).await),
            "bytes": outcome(&call!(js, JsTyped::bytes(4)).await),
            "nothing": outcome(&call!(js, JsTyped::nothing()).await),
            "later": outcome(&call!(js, JsTyped::later(5)).await),
            "largest": outcome(&call!(js, JsTyped::add(i64::from(u32::MAX), 1)).await),
            "fail": outcome(&call!(js, JsTyped::fail("no such thing")).await),
            "big": outcome(&call!(js, JsTyped::big()).await),
            "wrong_type": outcome(&call!(js, JsTyped::wrong_type()).await),
            "missing": outcome(&call!(js, JsTyped::missing()).await),
            "timeout": outcome(&call!(js, JsTyped::later(3000), timeout = std::time::Duration::from_millis(50)).await),
            "calls_so_far": outcome(&call!(js, JsTyped::calls_so_far()).await),
        })
    }
}

/// An object result: a summary of numbers. `Tsify` declares it in TypeScript, so that the
/// generated shim.d.ts types `stats` with it (not `unknown`); `missing_as_null`: `None`
/// travels as JSON's `null`, not `undefined`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
pub struct Stats {
    /// How many.
    pub count: u32,
    /// Their sum.
    pub total: u64,
    /// The largest, if any.
    pub max: Option<u32>,
}

#[continuation]
impl Typed {
    #[handler]
    fn on_js(&self, result: std::result::Result<i64, CallError>, tag: String) {
        self.continued.borrow_mut().insert(tag, outcome(&result));
    }

    #[handler]
    fn on_both(&self, results: (std::result::Result<String, CallError>, std::result::Result<u32, CallError>)) {
        let both = json!({ "js": outcome(&results.0), "rust": outcome(&results.1) });
        self.continued.borrow_mut().insert("fan_in".into(), both);
    }

    /// Numbers.
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        self.tick();
        a + b
    }

    /// Strings (borrowed).
    #[callable]
    pub fn greet(&self, name: &str) -> String {
        self.tick();
        format!("hello, {name}")
    }

    /// Arrays of floats.
    #[callable]
    pub fn sum(&self, values: Vec<f64>) -> f64 {
        self.tick();
        values.iter().sum()
    }

    /// An object, from a borrowed slice.
    #[callable]
    pub fn stats(&self, values: &[u32]) -> Stats {
        self.tick();
        Stats {
            count: values.len() as u32,
            total: values.iter().map(|&v| u64::from(v)).sum(),
            max: values.iter().copied().max(),
        }
    }

    /// A map argument, an `Option` result (`null` when absent).
    #[callable]
    pub fn lookup(&self, table: HashMap<String, u32>, key: &str) -> Option<u32> {
        self.tick();
        table.get(key).copied()
    }

    /// A tuple result; the trailing `Option` parameter may be left out.
    #[callable]
    pub fn label(&self, n: u32, prefix: Option<String>) -> (u32, String) {
        self.tick();
        (n, format!("{}{n}", prefix.unwrap_or_default()))
    }

    /// A typed error: `Err` arrives in JavaScript as a thrown Error with `app` set.
    #[callable]
    pub async fn divide(&self, a: i64, b: i64) -> std::result::Result<i64, MathError> {
        self.tick();
        if b == 0 {
            return Err(MathError::DivideByZero);
        }
        Ok(a / b)
    }

    /// Nothing back.
    #[callable]
    pub fn touch(&self) {
        self.tick();
    }

    /// Bytes: a `Uint8Array` argument (not counted as a call, like `calls`).
    #[callable]
    pub fn checksum(&self, bytes: &[u8]) -> u32 {
        bytes.iter().map(|&b| u32::from(b)).sum()
    }

    /// Panics: a JavaScript caller gets an Error of kind "panic", and the object keeps
    /// serving.
    #[callable]
    pub fn explode(&self, why: String) -> u32 {
        panic!("explode: {why}")
    }

    /// How many calls this object answered.
    #[callable]
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::Relaxed)
    }
}

impl Typed {
    fn tick(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }
}
