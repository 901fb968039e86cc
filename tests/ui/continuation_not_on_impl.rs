use call_core::continuation;

#[continuation]
pub fn ping() {}

fn main() {}
