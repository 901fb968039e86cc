use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    fn first<'a>(&self, words: &'a str) -> usize {
        words.len()
    }
}

fn main() {}
