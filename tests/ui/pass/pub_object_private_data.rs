// A `pub` Durable Object whose methods take and return data types that are private to
// the crate: no warning (the generated builders mirror the private methods, as visible as
// the object; only code that can name the types can call them), and calls work.
#![deny(warnings)]

use call_core::local::{self, LocalStub};
use call_core::{call, continuation, CallError};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Token(u32);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Spent {
    left: u32,
}

pub struct Wallet;

#[continuation]
impl Wallet {
    #[callable]
    fn spend(&self, token: Token) -> Result<Spent, Token> {
        match token.0 {
            0 => Err(token),
            n => Ok(Spent { left: n - 1 }),
        }
    }
}

fn main() {
    let wallet = LocalStub::new(Wallet);
    local::block_on(async {
        assert_eq!(call!(wallet, Wallet::spend(Token(3))).await, Ok(Spent { left: 2 }));
        let refused: Result<Spent, CallError<Token>> = call!(wallet, Wallet::spend(Token(0))).await;
        assert_eq!(refused.unwrap_err().app(), Some(&Token(0)));
    });
}
