//! Validation on the IRs: `impl_block` for `#[continuation]` (with `data`: what can travel),
//! `js_name` for the JavaScript name of a callable method, `call` for `call!`. Every
//! recoverable error is collected, so that one compile shows them all; each is spanned at
//! the offending token.

use syn::Error;

pub(crate) mod call;
mod data;
pub(crate) mod impl_block;
mod js_name;
pub(crate) mod remote;

/// Collects errors.
#[derive(Default)]
pub(crate) struct Errors(Option<Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> Result<(), Error> {
        self.0.map_or(Ok(()), Err)
    }
}
