use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn create(n: u32) -> u32 {
        n
    }
}

fn main() {}
