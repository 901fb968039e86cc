use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    #[callable]
    pub fn first<'a>(&'a self, s: String) -> String {
        s
    }
}

fn main() {}
