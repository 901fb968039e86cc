//! The IR of a `#[continuation]` impl, borrowing the syn nodes so that errors can be
//! spanned at the user's tokens.

use quote::ToTokens;
use syn::{FnArg, GenericArgument, Ident, ImplItem, ImplItemFn, ItemImpl, Pat, PathArguments, Type, Visibility};

/// A `#[continuation]` impl block.
pub(crate) struct Impl<'a> {
    pub(crate) original: &'a ItemImpl,
    /// The last segment of the self type's path (`Remote` in `impl crate::Remote`).
    pub(crate) self_ident: Option<&'a Ident>,
    /// The block's `pub` methods: the callable ones.
    pub(crate) methods: Vec<Method<'a>>,
}

/// A callable method.
pub(crate) struct Method<'a> {
    pub(crate) original: &'a ImplItemFn,
    pub(crate) params: Vec<Param<'a>>,
    pub(crate) output: Output<'a>,
}

/// A parameter after the receiver.
pub(crate) struct Param<'a> {
    pub(crate) pat: &'a Pat,
    pub(crate) ty: &'a Type,
}

/// What a method returns, as the wire sees it.
pub(crate) enum Output<'a> {
    /// No return type: `()`.
    Unit,
    /// `T`: the call's value; the method cannot fail.
    Value(&'a Type),
    /// `Result<T, E>`: `T` is the call's value, `E` its application error.
    Result { ok: &'a Type, err: &'a Type },
}

impl<'a> Impl<'a> {
    pub(crate) fn from_syn(original: &'a ItemImpl) -> Self {
        let self_ident = match &*original.self_ty {
            Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| &s.ident),
            _ => None,
        };
        let methods = original
            .items
            .iter()
            .filter_map(|item| match item {
                ImplItem::Fn(f) if matches!(f.vis, Visibility::Public(_)) => Some(Method::from_syn(f)),
                _ => None,
            })
            .collect();
        Impl { original, self_ident, methods }
    }
}

impl<'a> Method<'a> {
    fn from_syn(original: &'a ImplItemFn) -> Self {
        let params = original
            .sig
            .inputs
            .iter()
            .filter_map(|arg| match arg {
                FnArg::Typed(t) => Some(Param { pat: &t.pat, ty: &t.ty }),
                FnArg::Receiver(_) => None,
            })
            .collect();
        let output = match &original.sig.output {
            syn::ReturnType::Default => Output::Unit,
            syn::ReturnType::Type(_, ty) => match result_parts(ty) {
                Some((ok, err)) => Output::Result { ok, err },
                None => Output::Value(ty),
            },
        };
        Method { original, params, output }
    }

    pub(crate) fn name(&self) -> &'a Ident {
        &self.original.sig.ident
    }

    pub(crate) fn is_async(&self) -> bool {
        self.original.sig.asyncness.is_some()
    }

    /// The method id: `Type::method#hash`, the hash over the parameter and return types,
    /// so that a caller built against another signature gets `VersionMismatch`.
    pub(crate) fn id(&self, type_name: &Ident) -> String {
        let mut signature = String::new();
        for p in &self.params {
            signature.push_str(&p.ty.to_token_stream().to_string());
            signature.push(',');
        }
        signature.push_str("->");
        signature.push_str(&self.original.sig.output.to_token_stream().to_string());
        format!("{type_name}::{}#{:08x}", self.name(), fnv1a(signature.as_bytes()) as u32)
    }
}

/// `Result<T, E>` (any path ending in `Result` with exactly two type arguments).
fn result_parts(ty: &Type) -> Option<(&Type, &Type)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    match (types.next(), types.next(), types.next()) {
        (Some(ok), Some(err), None) => Some((ok, err)),
        _ => None,
    }
}

/// 64-bit FNV-1a: small, stable across builds and platforms.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn collects_pub_methods_and_classifies_outputs() {
        let item: ItemImpl = parse_quote! {
            impl my::Remote {
                pub async fn add(&self, a: i64, b: i64) -> Result<i64, MathError> { todo!() }
                pub fn echo(&self, s: String) -> String { s }
                pub fn ping(&self) {}
                pub fn alias(&self) -> worker::Result<u8> { todo!() }
                fn private(&self) {}
            }
        };
        let model = Impl::from_syn(&item);
        assert_eq!(model.self_ident.unwrap(), "Remote");
        let names: Vec<String> = model.methods.iter().map(|m| m.name().to_string()).collect();
        assert_eq!(names, ["add", "echo", "ping", "alias"]);
        assert!(model.methods[0].is_async());
        assert!(matches!(model.methods[0].output, Output::Result { .. }));
        assert!(matches!(model.methods[1].output, Output::Value(_)));
        assert!(matches!(model.methods[2].output, Output::Unit));
        assert!(matches!(model.methods[3].output, Output::Value(_)), "one-argument Result aliases are values");
        assert_eq!(model.methods[0].params.len(), 2);
    }

    #[test]
    fn ids_change_with_the_signature_only() {
        let a: ItemImpl = parse_quote! { impl R { pub fn m(&self, x: u32) -> u32 { x } } };
        let b: ItemImpl = parse_quote! { impl R { pub async fn m(&self, renamed: u32) -> u32 { 0 } } };
        let c: ItemImpl = parse_quote! { impl R { pub fn m(&self, x: u64) -> u32 { 0 } } };
        let id = |i: &ItemImpl| {
            let m = Impl::from_syn(i);
            m.methods[0].id(m.self_ident.unwrap())
        };
        assert_eq!(id(&a), id(&b));
        assert_ne!(id(&a), id(&c));
        assert!(id(&a).starts_with("R::m#") && id(&a).len() == "R::m#".len() + 8);
    }
}
