//! A Durable Object written the usual workers-rs way, adopted as it is: `worker::Result`
//! returns, `&str` and `Option<&str>` parameters, private methods, a second plain `impl`
//! block and its own `RefUnwindSafe` impl. Adopting it took `#[continuation]` on the impl
//! and a `#[callable]` mark per method; no signature changed.

use call_core::continuation;
use worker::*;

/// Balances of accounts, in this object's storage.
#[durable_object]
pub struct Ledger {
    state: State,
}

// As projects built with panic=unwind write it (workers-rs's own `&self` exports need it).
impl std::panic::RefUnwindSafe for Ledger {}

impl DurableObject for Ledger {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::ok("Ledger")
    }
}

#[continuation]
impl Ledger {
    /// Adds `amount` to `account`; answers the new balance.
    #[callable]
    async fn deposit(&self, account: &str, amount: i64) -> Result<i64> {
        let balance = self.balance_of(account).await? + amount;
        self.state.storage().put(&key(account), balance).await?;
        Ok(balance)
    }

    /// Takes `amount` from `account`, or fails with "insufficient funds".
    #[callable]
    async fn withdraw(&self, account: &str, amount: i64, memo: Option<&str>) -> Result<i64> {
        let balance = self.balance_of(account).await?;
        if amount > balance {
            let memo = memo.map(|m| format!(" ({m})")).unwrap_or_default();
            return Err(Error::RustError(format!("insufficient funds in {account}: {balance} < {amount}{memo}")));
        }
        self.state.storage().put(&key(account), balance - amount).await?;
        Ok(balance - amount)
    }

    /// The balance of `account`.
    #[callable]
    async fn balance(&self, account: &str) -> Result<i64> {
        self.balance_of(account).await
    }
}

impl Ledger {
    async fn balance_of(&self, account: &str) -> Result<i64> {
        Ok(self.state.storage().get::<i64>(&key(account)).await?.unwrap_or(0))
    }
}

fn key(account: &str) -> String {
    format!("balance:{account}")
}
