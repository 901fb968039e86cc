use call_core::local::{self, LocalStub};
use call_core::{call, continuation, CallError, Never};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub enum MathError {
    Overflow,
}

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn checked_add(&self, a: i64, b: i64) -> Result<i64, MathError> {
        a.checked_add(b).ok_or(MathError::Overflow)
    }

    #[callable]
    pub fn echo(&self, s: String) -> String {
        s
    }

    #[callable]
    pub fn alias(&self, n: u8) -> std::result::Result<u8, String> {
        Ok(n)
    }
}

fn main() {
    let stub = LocalStub::new(Remote);
    local::block_on(async {
        let ok: Result<i64, CallError<MathError>> = call!(stub, Remote::checked_add(1, 2)).await;
        assert_eq!(ok, Ok(3));
        let err = call!(stub, Remote::checked_add(i64::MAX, 1)).await;
        assert_eq!(err, Err(CallError::App(MathError::Overflow)));
        let echoed: Result<String, CallError<Never>> = call!(stub, Remote::echo("hi".into())).await;
        assert_eq!(echoed, Ok("hi".to_string()));
        let aliased: Result<u8, CallError<String>> = call!(stub, Remote::alias(9)).await;
        assert_eq!(aliased, Ok(9));
    });
}
