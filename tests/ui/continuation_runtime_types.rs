use call_core::local::LocalStub;
use call_core::{call, continuation};
use worker::{Request, Response, Result};

pub struct Site;

#[continuation]
impl Site {
    #[callable]
    async fn page(&self, req: Request) -> Result<Response> {
        let _ = req;
        Response::ok("page")
    }

    #[callable]
    fn title(&self) -> String {
        "title".into()
    }
}

// The call sites say nothing more: calls of `title` work, and `page` is reported once, above.
async fn caller(stub: LocalStub<Site>) {
    let _ = call!(stub, Site::title()).await;
}

fn main() {}
