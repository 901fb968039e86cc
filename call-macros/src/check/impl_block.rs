//! The checks of a `#[continuation]` impl: what makes the block unusable (fatal), and, per
//! marked method, what leaves the method out of the generated items while the others
//! still work.

use syn::{Error, FnArg, GenericParam, Type};

use super::data::{borrowed_result, cannot_travel, runtime_type};
use super::{js_name, Errors};
use crate::model::impl_block::{Form, Impl, Method, Output, Role};

/// What checking a `#[continuation]` impl found.
pub(crate) struct Findings {
    /// Errors that leave nothing to generate (not an inherent impl of a named type).
    pub(crate) fatal: Option<Error>,
    /// Errors of single methods: those methods are left out of the generated items (and
    /// reported once, here), the others still work.
    pub(crate) methods: Vec<Option<Error>>,
}

impl Findings {
    /// Every error, for `compile_error!`.
    pub(crate) fn all(&self) -> Option<Error> {
        let mut errors = Errors::default();
        for e in self.fatal.iter().chain(self.methods.iter().flatten()) {
            errors.push(e.clone());
        }
        errors.finish().err()
    }
}

/// Checks a `#[continuation]` impl.
pub(crate) fn check(model: &Impl<'_>) -> Findings {
    let mut fatal = Errors::default();
    let item = model.original;
    if let Some((_, path, _)) = &item.trait_ {
        fatal.push(Error::new_spanned(
            path,
            "`#[continuation]` goes on an inherent `impl Type` block, not a trait impl",
        ));
    }
    if !item.generics.params.is_empty() {
        fatal.push(Error::new_spanned(&item.generics, "`#[continuation]` does not support generic impls"));
    }
    if let Some(unsafety) = &item.unsafety {
        fatal.push(Error::new_spanned(unsafety, "`#[continuation]` does not support `unsafe impl`"));
    }
    if model.self_ident.is_none() {
        fatal.push(Error::new_spanned(&item.self_ty, "`#[continuation]` needs a named type: `impl MyDurableObject`"));
    }
    // A trait impl's methods are reported through the impl.
    if model.methods.is_empty() && item.trait_.is_none() {
        fatal.push(Error::new(
            item.impl_token.span,
            "`#[continuation]` impl has no marked methods: mark the methods other objects may call \
             `#[callable]`, and the continuation handlers of this object's calls `#[handler]`",
        ));
    }
    let methods = model
        .methods
        .iter()
        .map(|method| {
            let mut errors = Errors::default();
            check_method(method, &mut errors);
            errors.finish().err()
        })
        .collect();
    Findings { fatal: fatal.finish().err(), methods }
}

fn check_method(method: &Method<'_>, errors: &mut Errors) {
    let sig = &method.original.sig;
    for extra in &method.extra_marks {
        errors.push(Error::new_spanned(
            extra,
            "a method is either `#[callable]` (other objects call it) or a `#[handler]` (it continues this \
             object's own calls), and is marked once",
        ));
    }
    if let syn::Meta::List(list) = &method.mark.meta {
        errors.push(Error::new_spanned(list, "the mark takes no arguments"));
    }
    let what = match method.role {
        Role::Callable => "callable methods",
        Role::Handler => "continuation handlers",
    };
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() && r.colon_token.is_none() => {}
        Some(FnArg::Receiver(r)) => {
            errors.push(Error::new_spanned(r, format!("{what} take `&self`: a Durable Object is shared")))
        }
        _ => errors.push(Error::new_spanned(
            &sig.ident,
            format!("{what} take `&self`; make this an associated function without the mark"),
        )),
    }
    if let Some(param) = sig.generics.params.first() {
        let kind = match param {
            GenericParam::Lifetime(_) => "lifetime",
            GenericParam::Type(_) => "type",
            GenericParam::Const(_) => "const",
        };
        errors.push(Error::new_spanned(
            &sig.generics,
            format!("{what} cannot have {kind} parameters: a call is data with one fixed type"),
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(Error::new_spanned(unsafety, format!("{what} cannot be `unsafe`")));
    }
    if let Some(abi) = &sig.abi {
        errors.push(Error::new_spanned(abi, format!("{what} cannot have an `extern` ABI")));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(Error::new_spanned(variadic, format!("{what} cannot be variadic")));
    }
    for param in &method.params {
        if let Some(runtime) = runtime_type(param.ty) {
            errors.push(cannot_travel(param.ty, &runtime));
            continue;
        }
        match (&param.form, method.role) {
            (Form::Unsupported(r), _) => errors.push(Error::new_spanned(
                r,
                "this parameter borrows in a way a call cannot supply: the callee decodes each argument into \
                 an owned value and lends it, so take `&T`, `&str`, `&[T]`, `Option<&T>` or an owned type \
                 (no `&mut`, no named lifetimes)",
            )),
            (Form::Owned, _) if contains_impl_trait_or_ref(param.ty) => errors.push(Error::new_spanned(
                param.ty,
                format!("parameters of {what} are data: no `impl Trait`, function pointers or trait objects"),
            )),
            (Form::Owned, _) | (_, Role::Callable) => {}
            (_, Role::Handler) => errors.push(Error::new_spanned(
                param.ty,
                "parameters of continuation handlers are owned data: their arguments are captured when \
                 `call!` runs and handed over when the result arrives",
            )),
        }
    }
    if let syn::ReturnType::Type(_, ty) = &sig.output {
        if let Some(runtime) = runtime_type(ty) {
            errors.push(cannot_travel(ty, &runtime));
        }
    }
    if method.role == Role::Callable {
        if let Some(e) = js_name::check(method.name()) {
            errors.push(e);
        }
        let results = match method.output {
            Output::Unit => vec![],
            Output::Value(t) | Output::Message { ok: t } => vec![t],
            Output::Result { ok, err } => vec![ok, err],
        };
        results.into_iter().filter_map(borrowed_result).for_each(|e| errors.push(e));
    }
}

fn contains_impl_trait_or_ref(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) | Type::Reference(_) | Type::BareFn(_) | Type::TraitObject(_) => true,
        Type::Paren(p) => contains_impl_trait_or_ref(&p.elem),
        Type::Group(g) => contains_impl_trait_or_ref(&g.elem),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn messages(result: Result<(), Error>) -> Vec<String> {
        result.err().map(|e| e.into_iter().map(|e| e.to_string()).collect()).unwrap_or_default()
    }

    #[test]
    fn collects_every_method_error() {
        let item: syn::ItemImpl = parse_quote! {
            impl<T> R {
                #[callable] pub fn a(self) {}
                #[callable] pub fn b<U>(&self) {}
                #[callable] pub fn c(&self, x: &mut str) {}
                #[callable] pub fn ok(&self, x: &str, y: Option<&u8>) -> u32 { 0 }
                #[handler] fn k(&self, r: Result<u8, CallError>, s: &str) {}
                #[callable] #[handler] fn both(&self) {}
                #[callable] fn page(&self, req: worker::Request) -> Result<Response> { todo!() }
            }
        };
        let model = Impl::from_syn(&item);
        let findings = check(&model);
        assert!(messages(findings.fatal.clone().map_or(Ok(()), Err))[0].contains("generic impls"));
        let per_method: Vec<Vec<String>> =
            findings.methods.iter().map(|e| messages(e.clone().map_or(Ok(()), Err))).collect();
        assert!(per_method[0][0].contains("take `&self`"));
        assert!(per_method[1][0].contains("type parameters"));
        assert!(per_method[2][0].contains("borrows in a way"));
        assert!(per_method[3].is_empty(), "{:?}", per_method[3]);
        assert!(per_method[4][0].contains("handlers are owned data"));
        assert!(per_method[5][0].contains("marked once"));
        assert_eq!(per_method[6].len(), 2, "{:?}", per_method[6]);
        assert!(per_method[6][0].contains("`Request` cannot travel") && per_method[6][1].contains("`Response`"));
    }
}
