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

// A chain of 17 calls: one more than `Limits::DEFAULT.max_depth`.
fn caller(stub: LocalStub<Remote>) {
    let _ = call!(
        stub,
        Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(
            Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(Remote::inc(
                Remote::inc(0)
            ))))))))
        ))))))))
    );
}

fn main() {}
