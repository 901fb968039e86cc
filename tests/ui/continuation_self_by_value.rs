use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn consume(self) -> u32 {
        0
    }
}

fn main() {}
