use call_core::{continuation, CallError};

pub struct Controller;

#[continuation]
impl Controller {
    #[handler]
    fn on_sum(&self, sum: Result<i64, CallError>, label: &str) {
        let _ = (sum, label);
    }
}

fn main() {}
