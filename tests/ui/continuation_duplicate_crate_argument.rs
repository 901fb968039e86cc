use call_core::continuation;

pub struct Remote;

#[continuation(crate = ::call_core, crate = ::call_core)]
impl Remote {
    #[callable]
    pub fn ping(&self) {}
}

fn main() {}
