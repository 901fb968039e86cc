//! A starter Worker: `Greeter` calls `Calculator` with call-core's `call!` (awaited, with a
//! `then` continuation, nested, a fan-in and a durable call); every route answers JSON.
//! Build and run: `call-build --release` (wrangler's `[build]` runs it), `npx wrangler dev`.

use std::cell::RefCell;

use call_core::{call, continuation, CallError, CallStub};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::*;

/// The callee: its `#[callable]` methods are what other objects may `call!`.
#[durable_object]
pub struct Calculator {
    _state: State,
}

impl DurableObject for Calculator {
    fn new(state: State, _env: Env) -> Self {
        Self { _state: state }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::ok("Calculator: reach me with call!")
    }
}

/// The application error of [`Calculator::divide`]: it reaches the caller typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MathError {
    DivideByZero,
}

#[continuation]
impl Calculator {
    #[callable]
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    #[callable]
    pub async fn divide(&self, a: i64, b: i64) -> std::result::Result<i64, MathError> {
        if b == 0 {
            return Err(MathError::DivideByZero);
        }
        Ok(a / b)
    }

    #[callable]
    pub fn greet(&self, name: String) -> String {
        format!("hello, {name}")
    }
}

/// The caller: its routes make the calls; its `#[handler]`s continue them.
#[durable_object]
pub struct Greeter {
    state: State,
    env: Env,
    last: RefCell<Value>,
}

// With panic=unwind, wasm-bindgen requires its exported `&self` types to be RefUnwindSafe.
impl std::panic::RefUnwindSafe for Greeter {}

impl DurableObject for Greeter {
    fn new(state: State, env: Env) -> Self {
        Self { state, env, last: RefCell::new(Value::Null) }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        self.route(req).await.or_else(|e| Response::error(e.to_string(), 500))
    }
}

#[continuation(durable)]
impl Greeter {
    #[handler]
    pub fn on_sum(&self, sum: std::result::Result<i64, CallError>) {
        *self.last.borrow_mut() = json!(sum);
    }

    /// Durable: runs exactly once, in the turn that deletes the call's row, even after a restart.
    #[handler]
    pub fn on_quotient(&self, quotient: std::result::Result<i64, CallError<MathError>>) {
        let sql = self.state.storage().sql();
        let row = vec![json!(quotient).to_string().into()];
        if let Err(e) = sql.exec("INSERT INTO quotients (result) VALUES (?)", row) {
            console_error!("cannot record a quotient: {e}");
        }
    }
}

impl Greeter {
    async fn route(&self, req: Request) -> Result<Response> {
        let calc = CallStub::by_name(&self.env, "CALCULATOR", "calculator")?;
        let sql = self.state.storage().sql();
        sql.exec("CREATE TABLE IF NOT EXISTS quotients (id INTEGER PRIMARY KEY, result TEXT)", None)?;
        let answer = match req.path().as_str() {
            "/await" => json!({
                "sum": call!(calc, Calculator::add(1, 2)).await,
                "quotient": call!(calc, Calculator::divide(1, 0)).await,
            }),
            "/then" => json!({ "call": call!(calc, Calculator::add(20, 22), then self.on_sum($result)).call_id() }),
            "/then/last" => self.last.borrow().clone(),
            "/nested" => json!({ "sum": call!(calc, Calculator::add(Calculator::add(1, 2), 3)).await }),
            "/fanin" => {
                let (sum, greeting) = call!(all(calc => Calculator::add(2, 3), calc => Calculator::greet("you".into()))).await;
                json!({ "sum": sum, "greeting": greeting })
            }
            "/durable" => json!({ "call": call!(calc, Calculator::divide(84, 2), then self.on_quotient($result), durable).call_id() }),
            "/durable/results" => json!(sql.exec("SELECT result FROM quotients", None)?.to_array::<Value>()?),
            _ => return Response::error("routes: /await /then /then/last /nested /fanin /durable /durable/results", 404),
        };
        Response::from_json(&answer)
    }
}

/// Every request goes to the one `Greeter`.
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let greeter = env.durable_object("GREETER")?.get_by_name("greeter")?;
    greeter.fetch_with_request(req).await.or_else(|e| Response::error(e.to_string(), 500))
}
