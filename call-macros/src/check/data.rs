//! Whether a type a marked method names can travel in a call: a workers-rs runtime handle
//! never can, and a result is sent back by the callee, so it must own its data. (Whether a
//! type is `Serialize + DeserializeOwned` is rustc's to say: `assert_data` at the type.)

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Error, GenericArgument, Lifetime, PathArguments, Type};

/// A workers-rs runtime type named anywhere in `ty` (by its last path segment): a handle to
/// something of the runtime, which cannot be encoded into a call.
pub(super) fn runtime_type(ty: &Type) -> Option<String> {
    const RUNTIME: [&str; 14] = [
        "Request",
        "Response",
        "WebSocket",
        "WebSocketPair",
        "Url",
        "Headers",
        "State",
        "Storage",
        "Env",
        "Stub",
        "ObjectNamespace",
        "Fetcher",
        "Context",
        "DurableObjectState",
    ];
    let mut found = None;
    let mut visit = |p: &syn::TypePath| {
        // `crate::State`: the user's own type, named from their crate.
        let own =
            p.path.segments.len() > 1 && ["crate", "self", "super"].iter().any(|root| p.path.segments[0].ident == root);
        if let (false, Some(last)) = (own, p.path.segments.last()) {
            let name = last.ident.to_string();
            if found.is_none() && RUNTIME.contains(&name.as_str()) {
                found = Some(name);
            }
        }
    };
    walk_paths(ty, &mut visit);
    found
}

fn walk_paths(ty: &Type, visit: &mut impl FnMut(&syn::TypePath)) {
    match ty {
        Type::Path(p) => {
            visit(p);
            for seg in &p.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &seg.arguments {
                    for arg in &args.args {
                        if let syn::GenericArgument::Type(t) = arg {
                            walk_paths(t, visit);
                        }
                    }
                }
            }
        }
        Type::Reference(r) => walk_paths(&r.elem, visit),
        Type::Slice(s) => walk_paths(&s.elem, visit),
        Type::Array(a) => walk_paths(&a.elem, visit),
        Type::Paren(p) => walk_paths(&p.elem, visit),
        Type::Group(g) => walk_paths(&g.elem, visit),
        Type::Tuple(t) => t.elems.iter().for_each(|t| walk_paths(t, visit)),
        _ => {}
    }
}

pub(super) fn cannot_travel(ty: &Type, name: &str) -> Error {
    Error::new_spanned(
        ty,
        format!(
            "`{name}` cannot travel in a call: it is a handle to the Workers runtime, not data. Keep this \
             method unmarked and add a `#[callable]` adapter that takes and returns data and calls it \
             (README: \"Adopting an existing Durable Object\"); a data type of your own named `{name}`: \
             write it `crate::{name}`"
        ),
    )
}

/// An error at a result type that borrows (a reference, or a lifetime other than
/// `'static`): the callee sends its result back as data, which cannot point into the
/// callee's object, and rustc would otherwise report `E0106 missing lifetime specifier`
/// at the user's valid signature.
pub(super) fn borrowed_result(ty: &Type) -> Option<Error> {
    if !borrows(ty) {
        return None;
    }
    let owned = compact(owned(ty).into_token_stream());
    Some(Error::new_spanned(
        ty,
        format!(
            "a result is data that the callee sends back, so it must be owned: return `{owned}` \
             (no references, no lifetimes but `'static`)"
        ),
    ))
}

/// Whether `ty` holds a reference or a lifetime other than `'static`.
fn borrows(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) => true,
        Type::Path(p) => p.path.segments.iter().any(|s| match &s.arguments {
            PathArguments::AngleBracketed(args) => args.args.iter().any(|a| match a {
                GenericArgument::Lifetime(l) => l.ident != "static",
                GenericArgument::Type(t) => borrows(t),
                _ => false,
            }),
            _ => false,
        }),
        Type::Slice(s) => borrows(&s.elem),
        Type::Array(a) => borrows(&a.elem),
        Type::Paren(p) => borrows(&p.elem),
        Type::Group(g) => borrows(&g.elem),
        Type::Tuple(t) => t.elems.iter().any(borrows),
        _ => false,
    }
}

/// The owned form of `ty`: `String` for `&str`, `Vec<T>` for `&[T]`, `T` for `&T`, and
/// `'static` for every other lifetime.
fn owned(ty: &Type) -> Type {
    match ty {
        Type::Reference(r) => match &*r.elem {
            Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => syn::parse_quote!(String),
            Type::Slice(s) => {
                let elem = owned(&s.elem);
                syn::parse_quote!(Vec<#elem>)
            }
            elem => owned(elem),
        },
        Type::Path(p) => {
            let mut p = p.clone();
            for segment in &mut p.path.segments {
                if let PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        match arg {
                            GenericArgument::Lifetime(l) => *l = Lifetime::new("'static", Span::call_site()),
                            GenericArgument::Type(t) => *t = owned(t),
                            _ => {}
                        }
                    }
                }
            }
            Type::Path(p)
        }
        Type::Slice(s) => {
            let mut s = s.clone();
            *s.elem = owned(&s.elem);
            Type::Slice(s)
        }
        Type::Array(a) => {
            let mut a = a.clone();
            *a.elem = owned(&a.elem);
            Type::Array(a)
        }
        Type::Paren(p) => owned(&p.elem),
        Type::Group(g) => owned(&g.elem),
        Type::Tuple(t) => {
            let mut t = t.clone();
            for elem in &mut t.elems {
                *elem = owned(elem);
            }
            Type::Tuple(t)
        }
        other => other.clone(),
    }
}

/// `tokens` as Rust is written (`Vec<u8>`, not `Vec < u8 >`), for messages.
fn compact(tokens: TokenStream) -> String {
    let mut out = tokens.to_string();
    for (from, to) in [
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        (" ::", "::"),
        (":: ", "::"),
        ("& ", "&"),
        (" ;", ";"),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
    ] {
        out = out.replace(from, to);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn runtime_types_by_name_unless_the_users_own() {
        let name = |ty: Type| runtime_type(&ty);
        assert_eq!(name(parse_quote!(worker::Request)).as_deref(), Some("Request"));
        assert_eq!(name(parse_quote!(Option<State>)).as_deref(), Some("State"));
        assert_eq!(name(parse_quote!(Result<(u8, Vec<Env>), String>)).as_deref(), Some("Env"));
        assert_eq!(name(parse_quote!(crate::State)), None);
        assert_eq!(name(parse_quote!(Vec<self::model::Context>)), None);
        assert_eq!(name(parse_quote!(super::Url)), None);
        assert_eq!(name(parse_quote!(Counter)), None);
    }

    fn message(ty: Type) -> Option<String> {
        borrowed_result(&ty).map(|e| e.to_string())
    }

    #[test]
    fn borrowed_results_are_refused_with_their_owned_form() {
        let owned_form = |ty: Type| {
            let m = message(ty).expect("refused");
            m.split('`').nth(1).unwrap().to_owned()
        };
        assert_eq!(owned_form(parse_quote!(&str)), "String");
        assert_eq!(owned_form(parse_quote!(&'a [u8])), "Vec<u8>");
        assert_eq!(owned_form(parse_quote!(&Point)), "Point");
        assert_eq!(owned_form(parse_quote!(Foo<'_>)), "Foo<'static>");
        assert_eq!(owned_form(parse_quote!(Cow<'a, str>)), "Cow<'static, str>");
        assert_eq!(owned_form(parse_quote!(Option<Vec<&str>>)), "Option<Vec<String>>");
        assert_eq!(owned_form(parse_quote!((u8, &'static str))), "(u8, String)");
        assert_eq!(owned_form(parse_quote!(my::Page<'_, &[u8]>)), "my::Page<'static, Vec<u8>>");
    }

    #[test]
    fn owned_results_pass() {
        for ty in [
            parse_quote!(String),
            parse_quote!(Cow<'static, str>),
            parse_quote!(Vec<(u8, [u16; 4])>),
            parse_quote!(()),
            parse_quote!(worker::Result<u8>),
        ] {
            assert_eq!(message(ty), None);
        }
    }
}
