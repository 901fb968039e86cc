//! The IR of a `#[continuation]` impl: its marked methods, each with its role, how each
//! parameter travels and what it returns as the wire sees it.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, GenericArgument, Ident, ImplItem, ImplItemFn, ItemImpl, Pat, PathArguments, Type, TypeReference,
};

/// A `#[continuation]` impl block.
pub(crate) struct Impl<'a> {
    pub(crate) original: &'a ItemImpl,
    /// The last segment of the self type's path (`Remote` in `impl crate::Remote`).
    pub(crate) self_ident: Option<&'a Ident>,
    /// The marked methods, in order.
    pub(crate) methods: Vec<Method<'a>>,
}

/// What a mark makes of a method.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    /// `#[callable]`: other objects may call it with `call!`.
    Callable,
    /// `#[handler]`: only this object's runtime runs it, as the `then` of its own calls.
    Handler,
}

/// A marked method.
pub(crate) struct Method<'a> {
    pub(crate) original: &'a ImplItemFn,
    pub(crate) role: Role,
    /// The mark, for errors about it.
    pub(crate) mark: &'a Attribute,
    /// Further marks on the same method (an error).
    pub(crate) extra_marks: Vec<&'a Attribute>,
    pub(crate) params: Vec<Param<'a>>,
    pub(crate) output: Output<'a>,
    /// Its `#[cfg(…)]` attributes: an attribute macro sees the impl before they are
    /// evaluated, so every item generated for the method carries them too.
    pub(crate) cfgs: Vec<&'a Attribute>,
}

/// A parameter after the receiver.
pub(crate) struct Param<'a> {
    pub(crate) pat: &'a Pat,
    /// The type as written.
    pub(crate) ty: &'a Type,
    /// How it travels.
    pub(crate) form: Form<'a>,
}

/// How a parameter travels: the callee decodes an owned value and lends it to the method
/// when the method borrows.
pub(crate) enum Form<'a> {
    /// An owned type: decoded and passed as is.
    Owned,
    /// `&str`: decoded as `String`.
    Str,
    /// `&[T]`: decoded as `Vec<T>`.
    Slice(&'a Type),
    /// `&T`: decoded as `T`.
    Ref(&'a Type),
    /// `Option<&str>`: decoded as `Option<String>`.
    OptionStr,
    /// `Option<&T>`: decoded as `Option<T>`.
    OptionRef(&'a Type),
    /// A borrow that cannot be decoded into (`&mut T`, `&'a str` with a named lifetime…).
    Unsupported(&'a TypeReference),
}

/// What a method returns, as the wire sees it.
pub(crate) enum Output<'a> {
    /// No return type: `()`.
    Unit,
    /// `T`: the call's value; the method cannot fail.
    Value(&'a Type),
    /// `Result<T, E>`: `T` is the call's value, `E` its application error.
    Result { ok: &'a Type, err: &'a Type },
    /// `worker::Result<T>` (any one-argument `Result<T>` alias) or `Result<T, worker::Error>`:
    /// the error travels as `WorkerError { message }`, its `Display`.
    Message { ok: &'a Type },
}

/// The two marks, by the last segment of the attribute path (`#[callable]`,
/// `#[call_core::handler]`).
pub(crate) fn mark_of(attr: &Attribute) -> Option<Role> {
    let last = attr.path().segments.last()?;
    match last.ident.to_string().as_str() {
        "callable" => Some(Role::Callable),
        "handler" => Some(Role::Handler),
        _ => None,
    }
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
                ImplItem::Fn(f) => Method::from_syn(f),
                _ => None,
            })
            .collect();
        Impl { original, self_ident, methods }
    }
}

impl<'a> Method<'a> {
    fn from_syn(original: &'a ImplItemFn) -> Option<Self> {
        let mut marks = original.attrs.iter().filter_map(|a| mark_of(a).map(|role| (role, a)));
        let (role, mark) = marks.next()?;
        let extra_marks = marks.map(|(_, a)| a).collect();
        let params = params_of(&original.sig);
        let output = match &original.sig.output {
            syn::ReturnType::Default => Output::Unit,
            syn::ReturnType::Type(_, ty) => match result_parts(ty) {
                Some((ok, Some(err))) if is_worker_error(err) => Output::Message { ok },
                Some((ok, Some(err))) => Output::Result { ok, err },
                Some((ok, None)) => Output::Message { ok },
                None => Output::Value(ty),
            },
        };
        let cfgs = original.attrs.iter().filter(|a| a.path().is_ident("cfg")).collect();
        Some(Method { original, role, mark, extra_marks, params, output, cfgs })
    }

    pub(crate) fn name(&self) -> &'a Ident {
        &self.original.sig.ident
    }

    pub(crate) fn is_async(&self) -> bool {
        self.original.sig.asyncness.is_some()
    }

    /// The return type's span (the method name when it returns `()`).
    pub(crate) fn output_span(&self) -> Span {
        match &self.original.sig.output {
            syn::ReturnType::Default => self.name().span(),
            syn::ReturnType::Type(_, ty) => ty.span(),
        }
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

impl Param<'_> {
    /// The type that travels: what the callee decodes (and the caller's value must encode
    /// as).
    pub(crate) fn owned(&self) -> proc_macro2::TokenStream {
        match &self.form {
            Form::Owned | Form::Unsupported(_) => self.ty.to_token_stream(),
            Form::Str => quote::quote!(::std::string::String),
            Form::Slice(t) => quote::quote!(::std::vec::Vec<#t>),
            Form::Ref(t) => t.to_token_stream(),
            Form::OptionStr => quote::quote!(::core::option::Option<::std::string::String>),
            Form::OptionRef(t) => quote::quote!(::core::option::Option<#t>),
        }
    }

    /// The types to check as data: the owned form's element types.
    pub(crate) fn data_type(&self) -> Option<&Type> {
        match &self.form {
            Form::Owned => Some(self.ty),
            Form::Slice(t) | Form::Ref(t) | Form::OptionRef(t) => Some(t),
            Form::Str | Form::OptionStr | Form::Unsupported(_) => None,
        }
    }
}

/// The parameters of `sig` after the receiver, each with how it travels.
pub(crate) fn params_of(sig: &syn::Signature) -> Vec<Param<'_>> {
    sig.inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(t) => Some(Param { pat: &t.pat, ty: &t.ty, form: form_of(&t.ty) }),
            FnArg::Receiver(_) => None,
        })
        .collect()
}

/// How a parameter of type `ty` travels.
pub(crate) fn form_of(ty: &Type) -> Form<'_> {
    match ty {
        Type::Reference(r) => {
            if r.mutability.is_some() || r.lifetime.is_some() {
                return Form::Unsupported(r);
            }
            match &*r.elem {
                Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => Form::Str,
                elem if borrows(elem) => Form::Unsupported(r),
                Type::Slice(s) => Form::Slice(&s.elem),
                elem => Form::Ref(elem),
            }
        }
        Type::Paren(p) => form_of(&p.elem),
        Type::Group(g) => form_of(&g.elem),
        Type::Path(p) if p.qself.is_none() => {
            let Some(inner) = single_type_argument(p, "Option") else { return Form::Owned };
            match inner {
                Type::Reference(r) if r.mutability.is_none() && r.lifetime.is_none() => match &*r.elem {
                    Type::Path(e) if e.qself.is_none() && e.path.is_ident("str") => Form::OptionStr,
                    elem if borrows(elem) => Form::Unsupported(r),
                    elem => Form::OptionRef(elem),
                },
                Type::Reference(r) => Form::Unsupported(r),
                _ => Form::Owned,
            }
        }
        _ => Form::Owned,
    }
}

/// Whether `ty` contains a reference (the owned form would still borrow).
fn borrows(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) => true,
        Type::Slice(s) => borrows(&s.elem),
        Type::Array(a) => borrows(&a.elem),
        Type::Paren(p) => borrows(&p.elem),
        Type::Group(g) => borrows(&g.elem),
        Type::Tuple(t) => t.elems.iter().any(borrows),
        Type::Path(p) => p.path.segments.iter().any(|s| match &s.arguments {
            PathArguments::AngleBracketed(args) => args.args.iter().any(|a| match a {
                GenericArgument::Type(t) => borrows(t),
                GenericArgument::Lifetime(l) => l.ident != "static",
                _ => false,
            }),
            _ => false,
        }),
        _ => false,
    }
}

/// `Name<T>`'s `T`, for a path whose last segment is `name` with one type argument.
fn single_type_argument<'t>(p: &'t syn::TypePath, name: &str) -> Option<&'t Type> {
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    match (types.next(), types.next()) {
        (Some(t), None) => Some(t),
        _ => None,
    }
}

/// `Result<T, E>` → `(T, Some(E))`; a one-argument alias `Result<T>` → `(T, None)` (any path
/// ending in `Result`).
pub(crate) fn result_parts(ty: &Type) -> Option<(&Type, Option<&Type>)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" || p.qself.is_some() {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    match (types.next(), types.next(), types.next()) {
        (Some(ok), Some(err), None) => Some((ok, Some(err))),
        (Some(ok), None, None) => Some((ok, None)),
        _ => None,
    }
}

/// `worker::Error` (with or without a leading `::`).
fn is_worker_error(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    let names: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    names == ["worker", "Error"]
}

/// 64-bit FNV-1a: small, stable across builds and platforms.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
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
    fn collects_marked_methods_and_classifies_outputs() {
        let item: ItemImpl = parse_quote! {
            impl my::Remote {
                #[callable] pub async fn add(&self, a: i64, b: i64) -> Result<i64, MathError> { todo!() }
                #[callable] fn echo(&self, s: String) -> String { s }
                #[call_core::callable] pub fn ping(&self) {}
                #[callable] pub fn alias(&self) -> worker::Result<u8> { todo!() }
                #[callable] pub fn spelled(&self) -> Result<u8, worker::Error> { todo!() }
                #[handler] fn on_sum(&self, sum: Result<i64, CallError>) {}
                pub fn unmarked(&self) {}
            }
        };
        let model = Impl::from_syn(&item);
        assert_eq!(model.self_ident.unwrap(), "Remote");
        let names: Vec<String> = model.methods.iter().map(|m| m.name().to_string()).collect();
        assert_eq!(names, ["add", "echo", "ping", "alias", "spelled", "on_sum"]);
        assert_eq!(model.methods.iter().filter(|m| m.role == Role::Handler).count(), 1);
        assert!(model.methods[0].is_async());
        assert!(matches!(model.methods[0].output, Output::Result { .. }));
        assert!(matches!(model.methods[1].output, Output::Value(_)));
        assert!(matches!(model.methods[2].output, Output::Unit));
        assert!(matches!(model.methods[3].output, Output::Message { .. }), "worker::Result<T>");
        assert!(matches!(model.methods[4].output, Output::Message { .. }), "Result<T, worker::Error>");
        assert_eq!(model.methods[0].params.len(), 2);
    }

    #[test]
    fn borrowed_parameters_travel_owned() {
        let item: ItemImpl = parse_quote! {
            impl R {
                #[callable]
                fn m(&self, a: &str, b: &[u8], c: &Point, d: Option<&str>, e: Option<&Point>, f: u8,
                     g: &mut u8, h: &'a str, i: Option<&mut u8>) {}
            }
        };
        let model = Impl::from_syn(&item);
        let forms: Vec<&str> = model.methods[0]
            .params
            .iter()
            .map(|p| match p.form {
                Form::Owned => "owned",
                Form::Str => "str",
                Form::Slice(_) => "slice",
                Form::Ref(_) => "ref",
                Form::OptionStr => "option-str",
                Form::OptionRef(_) => "option-ref",
                Form::Unsupported(_) => "unsupported",
            })
            .collect();
        assert_eq!(
            forms,
            ["str", "slice", "ref", "option-str", "option-ref", "owned", "unsupported", "unsupported", "unsupported"]
        );
        let owned: Vec<String> = model.methods[0].params.iter().take(5).map(|p| p.owned().to_string()).collect();
        assert_eq!(owned[0], ":: std :: string :: String");
        assert_eq!(owned[1], ":: std :: vec :: Vec < u8 >");
        assert_eq!(owned[2], "Point");
    }

    #[test]
    fn ids_change_with_the_signature_only() {
        let a: ItemImpl = parse_quote! { impl R { #[callable] pub fn m(&self, x: u32) -> u32 { x } } };
        let b: ItemImpl = parse_quote! { impl R { #[callable] async fn m(&self, renamed: u32) -> u32 { 0 } } };
        let c: ItemImpl = parse_quote! { impl R { #[callable] pub fn m(&self, x: u64) -> u32 { 0 } } };
        let id = |i: &ItemImpl| {
            let m = Impl::from_syn(i);
            m.methods[0].id(m.self_ident.unwrap())
        };
        assert_eq!(id(&a), id(&b));
        assert_ne!(id(&a), id(&c));
        assert!(id(&a).starts_with("R::m#") && id(&a).len() == "R::m#".len() + 8);
    }
}
