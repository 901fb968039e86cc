//! Native micro-benchmark of the per-call work that is call-core's own: building the typed
//! call (plan + encoded arguments), encoding the envelope, serving it on the callee side
//! (decode the envelope, dispatch, encode the reply) and decoding the reply; then the whole
//! in-process round trip through `call!` and `LocalStub`, awaited and with a continuation.
//! No network and no JavaScript: what is left of a call's cost in workerd is the RPC hop.
//!
//! `cargo bench -p call-core --bench per_call` prints a table; `-- --json` prints a JSON
//! array instead (what `cargo xtask bench` reads). No criterion: each figure is the median
//! (with min..max) of several timed samples of many operations, with `std::hint::black_box`.

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use call_core::dispatch::serve_now;
use call_core::local::{self, LocalStub};
use call_core::{call, continuation, wire, Call, CallError, Never};

/// Operations per timed sample.
const OPS: u32 = 10_000;
/// Timed samples per figure (after one untimed warm-up sample).
const SAMPLES: usize = 31;
/// Calls issued together (all sent, then awaited) in the round-trip figures.
const BATCH: u32 = 100;

/// The callee.
pub struct Echo;

#[continuation]
impl Echo {
    /// The remote's answer for call `i`, as in the example.
    #[callable]
    pub fn echo(&self, i: u32) -> u32 {
        expected(i)
    }
}

fn expected(i: u32) -> u32 {
    i.wrapping_mul(2).wrapping_add(1)
}

/// The caller of the continuation round trip; counts what arrived and what was right.
#[derive(Default)]
pub struct Caller {
    arrived: Cell<u32>,
    ok: Cell<u32>,
}

#[continuation]
impl Caller {
    /// Records one result.
    #[handler]
    pub fn on_echo(&self, result: Result<u32, CallError>, i: u32) {
        self.arrived.set(self.arrived.get() + 1);
        if result == Ok(expected(i)) {
            self.ok.set(self.ok.get() + 1);
        }
    }
}

impl Caller {
    /// Sends `n` fire-and-continue calls.
    fn fire(&self, remote: &LocalStub<Echo>, n: u32) {
        for i in 0..n {
            let _ = call!(remote, Echo::echo(i), then self.on_echo($result, i));
        }
    }
}

/// Ready once `done()` holds; yields to the spawned tasks until then.
struct Until<F>(F);

impl<F: Fn() -> bool + Unpin> Future for Until<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if (self.0)() {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// One figure: ns per operation over the samples.
struct Figure {
    name: &'static str,
    what: &'static str,
    ns: Vec<f64>,
}

/// Times `sample` (which does `OPS` operations) once untimed, then `SAMPLES` times.
fn measure(name: &'static str, what: &'static str, mut sample: impl FnMut()) -> Figure {
    sample();
    let ns = (0..SAMPLES)
        .map(|_| {
            let started = Instant::now();
            sample();
            started.elapsed().as_nanos() as f64 / f64::from(OPS)
        })
        .collect();
    Figure { name, what, ns }
}

fn stats(ns: &[f64]) -> (f64, f64, f64) {
    let mut sorted = ns.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    let median = if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 };
    (median, sorted[0], sorted[sorted.len() - 1])
}

fn served(reply: Option<String>) -> String {
    reply.expect("Echo::echo is synchronous: its reply is ready at once")
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let method =
        *call_core::dispatch::methods::<Echo>().iter().find(|m| m.starts_with("Echo::echo#")).expect("Echo::echo id");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis() as u64;
    let deadline = now + 30_000;
    let target = Echo;
    let call: Call<u32> = Call::new(method, &(7u32,));
    let plan = call.plan().expect("encodable").clone();
    let envelope = wire::encode_envelope(&plan, 1, deadline, None);
    let reply = served(serve_now(&target, &envelope, now));
    assert_eq!(wire::decode_reply::<u32, Never>(&reply), Ok(expected(7)), "the pieces fit together");

    let mut figures = vec![
        measure("build", "plan build: Call::new(id, &(i,)) (encodes the arguments)", || {
            for i in 0..OPS {
                let _ = black_box(Call::<u32>::new(black_box(method), &(black_box(i),)));
            }
        }),
        measure("encode", "wire::encode_envelope (plan → envelope text)", || {
            for i in 0..OPS {
                black_box(wire::encode_envelope(black_box(&plan), u64::from(i), deadline, None));
            }
        }),
        measure("serve", "dispatch::serve: decode envelope + dispatch + encode reply", || {
            for _ in 0..OPS {
                black_box(served(serve_now(black_box(&target), black_box(&envelope), now)));
            }
        }),
        measure("decode", "wire::decode_reply (reply text → Result<u32, CallError>)", || {
            for _ in 0..OPS {
                black_box(wire::decode_reply::<u32, Never>(black_box(&reply)).ok());
            }
        }),
        measure("pieces", "all four pieces in sequence, per call", || {
            for i in 0..OPS {
                let call = Call::<u32>::new(black_box(method), &(black_box(i),));
                let envelope = wire::encode_envelope(call.plan().expect("encodable"), u64::from(i), deadline, None);
                let reply = served(serve_now(black_box(&target), &envelope, now));
                let value = wire::decode_reply::<u32, Never>(&reply);
                assert!(value == Ok(expected(i)));
            }
        }),
    ];

    let remote = LocalStub::new(Echo);
    figures.push(measure("local_call", "round trip: call! awaited via LocalStub + block_on, batches of 100", || {
        let ok = local::block_on(async {
            let mut ok = 0u32;
            for _ in 0..OPS / BATCH {
                let pending: Vec<_> = (0..BATCH).map(|i| call!(remote, Echo::echo(black_box(i)))).collect();
                for (i, result) in (0..BATCH).zip(pending) {
                    ok += u32::from(result.await == Ok(expected(i)));
                }
            }
            ok
        });
        assert_eq!(ok, OPS, "every awaited result validated");
    }));

    let caller = LocalStub::new(Caller::default());
    let caller = caller.target();
    figures.push(measure(
        "local_then",
        "round trip: call! then continuation via LocalStub + block_on, batches of 100",
        || {
            caller.arrived.set(0);
            caller.ok.set(0);
            local::block_on(async {
                for round in 1..=OPS / BATCH {
                    caller.fire(&remote, BATCH);
                    Until(|| caller.arrived.get() == round * BATCH).await;
                }
            });
            assert_eq!(caller.ok.get(), OPS, "every continuation's result validated");
        },
    ));

    if json {
        let rows: Vec<serde_json::Value> = figures
            .iter()
            .map(|f| {
                let (median, min, max) = stats(&f.ns);
                let r = |ns: f64| (ns * 10.0).round() / 10.0;
                let raw: Vec<f64> = f.ns.iter().map(|&ns| r(ns)).collect();
                serde_json::json!({
                    "name": f.name, "what": f.what, "ns_per_op": r(median), "min": r(min), "max": r(max),
                    "samples": SAMPLES, "ops_per_sample": OPS, "raw": raw,
                })
            })
            .collect();
        println!("{}", serde_json::Value::from(rows));
    } else {
        println!("per-call work, native, ns/op: median (min..max) of {SAMPLES} samples of {OPS} ops\n");
        println!("| what | ns/op | min..max |\n|---|---:|---:|");
        for f in &figures {
            let (median, min, max) = stats(&f.ns);
            println!("| {} | {median:.0} | {min:.0}..{max:.0} |", f.what);
        }
    }
}
