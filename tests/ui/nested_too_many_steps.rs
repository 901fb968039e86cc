use call_core::local::LocalStub;
use call_core::{call, continuation};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn inc(&self, n: u32) -> u32 {
        n + 1
    }

    #[callable]
    pub fn add(&self, a: u32, b: u32) -> u32 {
        a + b
    }
}

// 65 calls in one plan (depth 7): one more than `Limits::DEFAULT.max_steps`.
fn caller(stub: LocalStub<Remote>) {
    let _ = call!(stub, Remote::add(
            Remote::add(
                Remote::add(
                    Remote::add(
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                    ),
                    Remote::add(
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                    ),
                ),
                Remote::add(
                    Remote::add(
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                    ),
                    Remote::add(
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                        Remote::add(Remote::inc(1), Remote::add(1, Remote::inc(1))),
                    ),
                ),
            ),
            Remote::add(
                Remote::add(
                    Remote::add(
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                    ),
                    Remote::add(
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                    ),
                ),
                Remote::add(
                    Remote::add(
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                    ),
                    Remote::add(
                        Remote::add(Remote::inc(1), Remote::inc(1)),
                        Remote::add(Remote::inc(1), Remote::add(1, Remote::inc(1))),
                    ),
                ),
            ),
        ));
}

fn main() {}
