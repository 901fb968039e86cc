use call_core::continuation;

pub struct Remote;

pub struct Token(u32);

#[continuation]
impl Remote {
    #[callable]
    pub fn mint(&self) -> Token {
        Token(0)
    }
}

fn main() {}
