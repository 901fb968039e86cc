use call_core::continuation;

pub struct Remote;

#[continuation(retries = 3)]
impl Remote {
    #[callable]
    pub fn ping(&self) {}
}

fn main() {}
