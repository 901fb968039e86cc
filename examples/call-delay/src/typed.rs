//! A Rust Durable Object called by name from JavaScript and TypeScript (js/typed.mjs):
//! each `#[callable]` method is also an RPC method of its class, with its declaration in
//! the generated `shim.d.ts`. Its methods cover the kinds of values that cross: numbers,
//! strings, arrays, objects, `null` (`Option`), tuples, maps, nothing, typed errors.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use call_core::continuation;
use serde::{Deserialize, Serialize};
use worker::*;

use crate::MathError;

/// Answers calls from JavaScript; counts them.
#[durable_object]
pub struct Typed {
    calls: AtomicU32,
}

impl DurableObject for Typed {
    fn new(_state: State, _env: Env) -> Self {
        Self { calls: AtomicU32::new(0) }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::ok("Typed")
    }
}

/// An object result: a summary of numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
