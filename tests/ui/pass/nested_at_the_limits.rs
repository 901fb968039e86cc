// Nested calls at the limits of one plan: 16 deep and 64 steps (`Limits::DEFAULT`), run.
use call_core::local::{self, LocalStub};
use call_core::{call, continuation, Limits};

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

fn main() {
    assert_eq!((Limits::DEFAULT.max_depth, Limits::DEFAULT.max_steps), (16, 64));
    let stub = LocalStub::new(Remote);
    let deep = local::block_on(async { call!(stub, Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(0))))))))))))))))).await });
    assert_eq!(deep, Ok(16));
    let wide = local::block_on(async { call!(stub, Remote::add(
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
                        Remote::add(Remote::inc(1), Remote::inc(1)),
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
        )).await });
    assert!(wide.is_ok(), "{wide:?}");
}
