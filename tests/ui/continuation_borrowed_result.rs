use call_core::continuation;

pub struct Page<'a> {
    pub title: &'a str,
}

pub struct Site {
    title: String,
}

#[continuation]
impl Site {
    #[callable]
    fn page(&self) -> Page<'_> {
        Page { title: &self.title }
    }

    #[callable]
    fn title(&self) -> &str {
        &self.title
    }

    #[callable]
    async fn bytes(&self) -> Result<&[u8], String> {
        Ok(self.title.as_bytes())
    }
}

fn main() {}
