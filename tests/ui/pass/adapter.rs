// The README's adapter for an HTTP-style method: `page` (Request in, Response out) stays as it
// is, for `fetch`; other objects call `render`, which takes and returns data.
use call_core::continuation;
use worker::*;

pub struct Site;

#[continuation]
impl Site {
    async fn page(&self, req: Request) -> Result<Response> {
        let path = req.path();
        Response::ok(format!("page {path}"))
    }

    #[callable]
    async fn render(&self, path: &str) -> Result<String> {
        let req = Request::new(&format!("https://site{path}"), Method::Get)?;
        self.page(req).await?.text().await
    }
}

fn main() {}
