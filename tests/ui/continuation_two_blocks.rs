use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

#[continuation]
impl Remote {
    #[callable]
    fn sub(&self, a: i64, b: i64) -> i64 {
        a - b
    }
}

fn main() {}
