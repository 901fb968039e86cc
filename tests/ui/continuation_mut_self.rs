use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn bump(&mut self) -> u32 {
        0
    }
}

fn main() {}
