use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn push(&self, s: &mut String) -> usize {
        s.push('!');
        s.len()
    }
}

fn main() {}
