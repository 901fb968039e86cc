use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    fn hidden(&self) -> u32 {
        0
    }
}

fn main() {}
