use call_core::continuation;

pub struct Remote;

pub struct Token(u32);

#[continuation]
impl Remote {
    #[callable]
    pub fn spend(&self, token: Token) -> u32 {
        token.0
    }
}

fn main() {}
