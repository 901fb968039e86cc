use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    pub fn bump(&mut self) -> u32 {
        0
    }
}

fn main() {}
