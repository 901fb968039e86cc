use call_core::callable;

pub struct Remote;

impl Remote {
    #[callable]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn main() {}
