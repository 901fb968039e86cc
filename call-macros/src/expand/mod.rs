//! Code generation: one file per macro.

pub(crate) mod call;
pub(crate) mod continuation;
