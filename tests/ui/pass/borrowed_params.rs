// Borrowed parameters: the callee decodes an owned value and lends it to the method; the
// caller passes what the method's signature takes.
use call_core::local::{self, LocalStub};
use call_core::{call, continuation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    x: i32,
    y: i32,
}

pub struct Shapes;

#[continuation]
impl Shapes {
    #[callable]
    fn describe(&self, name: &str, sides: &[u32], center: &Point, note: Option<&str>, pin: Option<&Point>) -> String {
        format!("{name}:{}:{}:{}:{}", sides.iter().sum::<u32>(), center.x + center.y, note.unwrap_or("-"), pin.is_some())
    }

    #[callable]
    async fn shout(&self, word: &str) -> String {
        word.to_uppercase()
    }
}

fn main() {
    let shapes = LocalStub::new(Shapes);
    let name = String::from("square");
    let sides = vec![1, 2, 3, 4];
    let center = Point { x: 1, y: 2 };
    let described = local::block_on(async {
        call!(shapes, Shapes::describe(&name, &sides, &center, Some("hi"), None)).await
    });
    assert_eq!(described, Ok("square:10:3:hi:false".to_string()));
    let pinned = local::block_on(async { call!(shapes, Shapes::describe("x", &[], &center, None, Some(&center))).await });
    assert_eq!(pinned, Ok("x:0:3:-:true".to_string()));
    assert_eq!(local::block_on(async { call!(shapes, Shapes::shout("hey")).await }), Ok("HEY".to_string()));
}
