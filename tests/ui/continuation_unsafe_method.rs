use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub unsafe fn raw(&self) -> u32 {
        0
    }
}

fn main() {}
