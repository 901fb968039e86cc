use call_core::continuation;

pub struct Remote;

#[continuation]
impl Default for Remote {
    fn default() -> Self {
        Remote
    }
}

fn main() {}
