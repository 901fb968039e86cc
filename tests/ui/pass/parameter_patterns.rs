// Parameters as methods write them: `mut`, tuple and `_` patterns, raw identifiers (which
// once made `#[continuation]` panic: `"r#in"` is not a valid identifier), and `Self::` in bodies.
#![deny(warnings)]
use call_core::local::{self, LocalStub};
use call_core::{call, continuation};

pub struct Remote;

#[continuation]
impl Remote {
    /// Documented.
    #[callable]
    pub fn adjust(&self, mut by: u32, (a, b): (u32, u32), _: u8) -> u32 {
        by += a + b;
        by
    }

    #[callable]
    fn r#type(&self, r#in: String) -> String {
        r#in
    }

    #[callable]
    fn self_path(&self, n: u32) -> Result<u32, String> {
        Self::helper(n)
    }
}

impl Remote {
    fn helper(n: u32) -> Result<u32, String> {
        Ok(n)
    }
}

fn main() {
    let stub = LocalStub::new(Remote);
    local::block_on(async {
        assert_eq!(call!(stub, Remote::adjust(1, (2, 3), 0)).await, Ok(6));
        assert_eq!(call!(stub, Remote::r#type("x".into())).await, Ok("x".to_string()));
        assert_eq!(call!(stub, Remote::self_path(4)).await, Ok(4));
    });
}
