//! The batch modes of nested calls and fan-in:
//!
//! * `pipeline`: N concurrent chains of 3 dependent calls, each chain one nested `call!`
//!   (one plan, one RPC): `echo(echo(echo(i)))`;
//! * `pipeline-rpc`: the same chains as 3 sequential awaited raw RPC calls each (the way
//!   to chain without call-core, 3 round trips);
//! * `fanin`: N concurrent fan-ins of 2 calls to two remote objects, each continued by one
//!   handler (`call!(all(a => …, b => …), then self.on_pair(…))`);
//! * `fanin-join`: the same pairs as a `join` of two awaited `call!`s.
//!
//! (`pipeline-js`, the chains in JavaScript, is in js/reference.mjs.) One op is one chain or
//! one fan-in; every result is validated.

use call_core::{call, CallError, CallStub};
use futures_util::future::{join, join_all};
use wasm_bindgen_futures::JsFuture;
use worker::*;

use crate::controller::{Batch, BatchDone, CallDelayController};
use crate::expected;
use crate::remote::RemoteDo;
use crate::rpc::RemoteRpc;

/// The answer of a chain for `i`: `echo` three times.
pub(crate) fn chained(i: u32) -> u32 {
    expected(expected(expected(i)))
}

/// What a pair of calls yields.
pub(crate) type Pair = (std::result::Result<u32, CallError>, std::result::Result<u32, CallError>);

/// The second member of fan-in `i` asks for `i + 1`.
fn pair(i: u32) -> (u32, u32) {
    (expected(i), expected(i + 1))
}

impl CallDelayController {
    /// The second remote object of the fan-in modes.
    fn remote_b(&self) -> Result<CallStub> {
        CallStub::by_name(&self.env, "REMOTE", "remote-b")
    }

    /// `mode=pipeline`: N concurrent nested calls, each a chain of 3 in one plan.
    pub(crate) async fn batch_pipeline(&self, n: u32) -> Result<u32> {
        let remote = self.remote()?;
        let timeout = self.batch_timeout.get();
        let pending: Vec<_> = (0..n)
            .map(|i| call!(remote, RemoteDo::echo(RemoteDo::echo(RemoteDo::echo(i))), timeout = timeout))
            .collect();
        let results = join_all(pending).await;
        Ok(results.iter().zip(0..n).filter(|(r, i)| **r == Ok(chained(*i))).count() as u32)
    }

    /// `mode=pipeline-rpc`: N concurrent chains, each 3 sequential awaited raw RPC calls.
    pub(crate) async fn batch_pipeline_rpc(&self, n: u32) -> Result<u32> {
        let remote: RemoteRpc = self.env.durable_object("REMOTE")?.get_by_name("remote")?.into_rpc();
        let echo = |i: u32| {
            let call = JsFuture::from(remote.rpc_echo(i));
            async move { call.await.ok().and_then(|v| v.as_f64()).map(|v| v as u32) }
        };
        let chain = |i: u32| async move {
            let a = echo(i).await?;
            let b = echo(a).await?;
            echo(b).await
        };
        let results = join_all((0..n).map(chain)).await;
        Ok(results.iter().zip(0..n).filter(|(r, i)| **r == Some(chained(*i))).count() as u32)
    }

    /// `mode=fanin`: N concurrent fan-ins of two calls to two objects; `on_pair` records
    /// each pair, and the batch ends when all N have arrived.
    pub(crate) async fn batch_fanin(&self, n: u32) -> Result<u32> {
        let (a, b) = (self.remote()?, self.remote_b()?);
        let batch = self.start_batch(n);
        let timeout = self.batch_timeout.get();
        for i in 0..n {
            call!(
                all(a => RemoteDo::echo(i), b => RemoteDo::echo(i + 1)),
                then self.on_pair($result, i, batch),
                timeout = timeout
            );
        }
        Ok(BatchDone { controller: self, batch }.await)
    }

    /// `mode=fanin-join`: N concurrent joins of two awaited `call!`s.
    pub(crate) async fn batch_fanin_join(&self, n: u32) -> Result<u32> {
        let (a, b) = (self.remote()?, self.remote_b()?);
        let pending = (0..n).map(|i| join(call!(a, RemoteDo::echo(i)), call!(b, RemoteDo::echo(i + 1))));
        let results = join_all(pending).await;
        let valid = |(r, i): (&Pair, u32)| {
            let (x, y) = pair(i);
            r.0 == Ok(x) && r.1 == Ok(y)
        };
        Ok(results.iter().zip(0..n).filter(|&p| valid(p)).count() as u32)
    }

    /// Records one pair of a `mode=fanin` batch (the body of the `on_pair` handler).
    pub(crate) fn record_pair(&self, pair_result: Pair, i: u32, batch: u64) {
        let (x, y) = pair(i);
        let ok = pair_result.0 == Ok(x) && pair_result.1 == Ok(y);
        self.record(batch, ok);
    }

    fn start_batch(&self, n: u32) -> u64 {
        let id = self.next_id();
        self.batches.borrow_mut().insert(id, Batch::of(n));
        id
    }
}
