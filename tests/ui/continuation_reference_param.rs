use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn len(&self, s: &str) -> usize {
        s.len()
    }
}

fn main() {}
