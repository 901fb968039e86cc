//! TypeScript types for the declarations call-build writes (`shim.d.ts`), from the Rust
//! types as written: the JSON form serde gives the standard types. Any other named type
//! without generic arguments (the crate's own structs and enums, aliases) is written
//! `@Name`: call-build makes it `Name` when wasm-bindgen's `index.d.ts` declares a type of
//! that name (tsify's `#[derive(Tsify)]`, or a `typescript_custom_section`), else
//! `unknown`. Other types are `unknown`.

use syn::ext::IdentExt;
use syn::{GenericArgument, PathArguments, Type};

/// The TypeScript type of the JSON serde makes of `ty`.
pub(super) fn of(ty: &Type) -> String {
    match ty {
        Type::Reference(r) => of(&r.elem),
        Type::Paren(p) => of(&p.elem),
        Type::Group(g) => of(&g.elem),
        Type::Slice(s) => array(&s.elem),
        Type::Array(a) => array(&a.elem),
        Type::Tuple(t) if t.elems.is_empty() => "null".into(),
        Type::Tuple(t) => format!("[{}]", t.elems.iter().map(of).collect::<Vec<_>>().join(", ")),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else { return "unknown".into() };
            let args: Vec<&Type> = match &last.arguments {
                PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        GenericArgument::Type(t) => Some(t),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            match (last.ident.to_string().as_str(), args.as_slice()) {
                ("bool", []) => "boolean".into(),
                (
                    "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128" | "isize"
                    | "f32" | "f64",
                    [],
                ) => "number".into(),
                ("String" | "str" | "char", []) | ("Cow", [_]) if !is_cow_of_non_str(&args) => "string".into(),
                ("Vec" | "VecDeque" | "HashSet" | "BTreeSet", [t]) => array(t),
                ("Option", [t]) => format!("{} | null", of(t)),
                ("Box" | "Rc" | "Arc" | "Cow", [t]) => of(t),
                ("HashMap" | "BTreeMap", [_, v]) => format!("Record<string, {}>", of(v)),
                (_, []) => format!("@{}", last.ident.unraw()),
                _ => "unknown".into(),
            }
        }
        _ => "unknown".into(),
    }
}

/// The TypeScript type a JavaScript caller may pass for a parameter of type `ty`: as [`of`],
/// and bytes (`Vec<u8>`, `&[u8]`, `[u8; N]`) may also be a `Uint8Array` (the generated
/// entry sends its bytes).
pub(super) fn of_param(ty: &Type) -> String {
    let ts = of(ty);
    if ts == "Array<number>" && is_bytes(ty) {
        "Uint8Array | Array<number>".into()
    } else {
        ts
    }
}

fn is_bytes(ty: &Type) -> bool {
    let is_u8 = |t: &Type| matches!(t, Type::Path(p) if p.path.is_ident("u8"));
    match ty {
        Type::Reference(r) => is_bytes(&r.elem),
        Type::Slice(s) => is_u8(&s.elem),
        Type::Array(a) => is_u8(&a.elem),
        Type::Path(p) => match p.path.segments.last().map(|s| (&s.ident, &s.arguments)) {
            Some((name, PathArguments::AngleBracketed(a))) if name == "Vec" => {
                matches!(a.args.first(), Some(GenericArgument::Type(t)) if is_u8(t))
            }
            _ => false,
        },
        _ => false,
    }
}

/// `Cow<'_, [T]>` and the like are not strings.
fn is_cow_of_non_str(args: &[&Type]) -> bool {
    matches!(args, [t] if of(t) != "string")
}

fn array(elem: &Type) -> String {
    format!("Array<{}>", of(elem))
}

/// Whether the TypeScript type admits `null` (an `Option`), so that a trailing parameter of
/// that type may be left out by a JavaScript caller.
pub(super) fn is_nullable(ty: &Type) -> bool {
    of(ty).ends_with(" | null")
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn maps_the_serde_forms_of_standard_types() {
        let cases: Vec<(Type, &str)> = vec![
            (parse_quote!(u64), "number"),
            (parse_quote!(bool), "boolean"),
            (parse_quote!(&str), "string"),
            (parse_quote!(std::string::String), "string"),
            (parse_quote!(Cow<'static, str>), "string"),
            (parse_quote!(Vec<Option<u8>>), "Array<number | null>"),
            (parse_quote!(&[String]), "Array<string>"),
            (parse_quote!((u32, String)), "[number, string]"),
            (parse_quote!(()), "null"),
            (parse_quote!(HashMap<String, Vec<i64>>), "Record<string, Array<number>>"),
            (parse_quote!(Option<&str>), "string | null"),
            (parse_quote!(MyStruct), "@MyStruct"),
            (parse_quote!(crate::data::Stats), "@Stats"),
            (parse_quote!(Option<Stats>), "@Stats | null"),
            (parse_quote!(Generic<u8>), "unknown"),
            (parse_quote!(<T as Tr>::Out), "unknown"),
            (parse_quote!(Box<[u8; 4]>), "Array<number>"),
        ];
        for (ty, ts) in cases {
            assert_eq!(of(&ty), ts, "{}", quote::quote!(#ty));
        }
        let bytes: Type = parse_quote!(&[u8]);
        assert_eq!(of_param(&bytes), "Uint8Array | Array<number>");
        assert_eq!(of_param(&parse_quote!(Vec<u8>)), "Uint8Array | Array<number>");
        assert_eq!(of_param(&parse_quote!(Vec<u32>)), "Array<number>");
    }
}
