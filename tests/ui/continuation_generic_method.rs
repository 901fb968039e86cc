use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn echo<T>(&self, value: T) -> T {
        value
    }
}

fn main() {}
