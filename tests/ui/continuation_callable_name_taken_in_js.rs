use call_core::continuation;

pub struct Remote;

#[continuation]
impl Remote {
    // JavaScript calls callable methods by name: `fetch` is a Durable Object's own.
    #[callable]
    fn fetch(&self, url: String) -> String {
        url
    }

    // The other methods still work.
    #[callable]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn main() {}
