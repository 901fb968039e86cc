use call_core::call;

pub struct Plain;

impl Plain {
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn caller<S: call_core::Transport>(stub: S) {
    let _ = call!(stub, Plain::add(1, 2));
}

fn main() {}
