//! The two IRs the checks and the generators work on, each borrowing the syn nodes it was
//! read from so that an error can still be spanned at the user's token:
//! `impl_block` for a `#[continuation]` impl, `call` for one call of `call!`.

pub(crate) mod call;
pub(crate) mod impl_block;
pub(crate) mod remote;
