use call_core::{continuation, CallError};

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    #[handler]
    fn both(&self, sum: Result<i64, CallError>) {
        let _ = sum;
    }
}

fn main() {}
