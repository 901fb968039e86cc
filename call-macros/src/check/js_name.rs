//! The JavaScript name of a callable method: every `#[callable]` method is also an RPC
//! method of the object's generated JavaScript class, under its Rust name, so that name must
//! not be one that the class, its base class or a Durable Object stub already gives a
//! meaning (`fetch`, `alarm`, `then`, call-core's `__call…` entries…).

use syn::ext::IdentExt;
use syn::{Error, Ident};

/// Names that already mean something on a Durable Object class or its stub.
const RESERVED: [&str; 17] = [
    "fetch",
    "connect",
    "alarm",
    "webSocketMessage",
    "webSocketClose",
    "webSocketError",
    "constructor",
    "then",
    "free",
    "dup",
    "ctx",
    "env",
    "toString",
    "toJSON",
    "valueOf",
    "hasOwnProperty",
    "__proto__",
];

/// Whether `name` already means something on a Durable Object class or its stub.
pub(crate) fn is_taken(name: &str) -> bool {
    RESERVED.contains(&name) || name.starts_with("__call")
}

/// The error for a callable method whose name is taken on the JavaScript side.
pub(crate) fn check(name: &Ident) -> Option<Error> {
    let text = name.unraw().to_string();
    is_taken(&text).then(|| {
        Error::new(
            name.span(),
            format!(
                "a callable method cannot be named `{text}`: JavaScript calls every callable method by its name, \
                 as an RPC method of the object's class, where `{text}` already has a meaning (a Durable Object's \
                 or its stub's own method, or call-core's entry); rename the method"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    #[test]
    fn refuses_taken_names_only() {
        for taken in ["fetch", "alarm", "then", "__call", "__call_core_x", "constructor"] {
            assert!(check(&Ident::new(taken, Span::call_site())).is_some(), "{taken}");
        }
        assert!(check(&Ident::new_raw("fetch", Span::call_site())).is_some());
        for free in ["add", "count", "fetch_all", "bump_after", "call"] {
            assert!(check(&Ident::new(free, Span::call_site())).is_none(), "{free}");
        }
    }
}
