use call_core::continuation;

pub struct Remote;

pub struct Failure;

#[continuation]
impl Remote {
    #[callable]
    pub fn risky(&self) -> Result<u32, Failure> {
        Err(Failure)
    }
}

fn main() {}
