use call_core::{continuation, CallError};

pub struct Controller;

pub struct Token(u32);

// A durable handler's arguments are stored with the call: a parameter that is not data is
// reported once, at its type (also on wasm32, where the alarm and the binding restore
// stored handlers).
#[continuation(durable)]
impl Controller {
    #[handler]
    fn on_sum(&self, sum: Result<i64, CallError>, token: Token) {
        let _ = (sum, token.0);
    }
}

fn main() {}
