use call_core::continuation;

pub struct Wrapper<T>(T);

#[continuation]
impl<T> Wrapper<T> {
    #[callable]
    pub fn get(&self) -> u32 {
        0
    }
}

fn main() {}
