//! Validation on the IR. Every recoverable error is collected, so one compile shows them
//! all; each is spanned at the offending token.

use syn::{Error, Expr, FnArg, GenericParam, Type};

use crate::model::{Impl, Method};
use crate::parse::{Arg, CallInput};

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

/// Checks a `#[continuation]` impl.
pub(crate) fn continuation(model: &Impl<'_>) -> Result<(), Error> {
    let mut errors = Errors::default();
    let item = model.original;
    if let Some((_, path, _)) = &item.trait_ {
        errors.push(Error::new_spanned(
            path,
            "`#[continuation]` goes on an inherent `impl Type` block, not a trait impl",
        ));
    }
    if !item.generics.params.is_empty() {
        errors.push(Error::new_spanned(&item.generics, "`#[continuation]` does not support generic impls"));
    }
    if let Some(unsafety) = &item.unsafety {
        errors.push(Error::new_spanned(unsafety, "`#[continuation]` does not support `unsafe impl`"));
    }
    if model.self_ident.is_none() {
        errors.push(Error::new_spanned(&item.self_ty, "`#[continuation]` needs a named type: `impl MyDurableObject`"));
    }
    // A trait impl's methods have no `pub`: saying so again would only repeat the error.
    if model.methods.is_empty() && item.trait_.is_none() {
        errors.push(Error::new(
            item.impl_token.span,
            "`#[continuation]` impl has no `pub` methods: only `pub` methods become callable",
        ));
    }
    for method in &model.methods {
        check_method(method, &mut errors);
    }
    errors.finish()
}

fn check_method(method: &Method<'_>, errors: &mut Errors) {
    let sig = &method.original.sig;
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() && r.colon_token.is_none() => {}
        Some(FnArg::Receiver(r)) => {
            errors.push(Error::new_spanned(r, "callable methods take `&self`: a Durable Object is shared"))
        }
        _ => errors.push(Error::new_spanned(
            &sig.ident,
            "callable methods take `&self`; make this an associated function outside the `#[continuation]` impl",
        )),
    }
    if let Some(param) = sig.generics.params.first() {
        let what = match param {
            GenericParam::Lifetime(_) => "lifetime",
            GenericParam::Type(_) => "type",
            GenericParam::Const(_) => "const",
        };
        errors.push(Error::new_spanned(
            &sig.generics,
            format!("callable methods cannot have {what} parameters: a call is data with one fixed type"),
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(Error::new_spanned(unsafety, "callable methods cannot be `unsafe`"));
    }
    if let Some(abi) = &sig.abi {
        errors.push(Error::new_spanned(abi, "callable methods cannot have an `extern` ABI"));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(Error::new_spanned(variadic, "callable methods cannot be variadic"));
    }
    for param in &method.params {
        if contains_impl_trait_or_ref(param.ty) {
            errors.push(Error::new_spanned(
                param.ty,
                "parameters of callable methods are owned data: no references and no `impl Trait`",
            ));
        }
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

/// Checks a `call!` input.
pub(crate) fn call(input: &CallInput) -> Result<(), Error> {
    let mut errors = Errors::default();
    for arg in &input.target.args {
        match arg {
            Arg::Result(token) | Arg::NestedResult(token) => errors.push(
                token.error("`$result` may appear only in the `then` continuation: it is the result of this call"),
            ),
            Arg::Expr(_) => {}
        }
    }
    if let Some(then) = &input.then {
        if !matches!(&then.receiver, Expr::Path(p) if p.path.is_ident("self")) {
            errors.push(Error::new_spanned(
                &then.receiver,
                "the continuation must be a method of `self`: `then self.method(…, $result, …)`",
            ));
        }
        let mut seen = false;
        for arg in &then.args {
            match arg {
                Arg::Result(token) if seen => errors.push(token.error("`$result` may appear only once")),
                Arg::Result(_) => seen = true,
                Arg::NestedResult(token) => errors.push(token.error(
                    "`$result` must be a whole argument: the continuation parameter receives the result as it is",
                )),
                Arg::Expr(_) => {}
            }
        }
        if !seen && !then.args.iter().any(|a| matches!(a, Arg::NestedResult(_))) {
            errors.push(Error::new(
                then.method.span(),
                "the continuation needs `$result`: pass it where the call's result goes, e.g. `then self.done($result)`",
            ));
        }
    }
    errors.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Impl;
    use quote::quote;
    use syn::parse_quote;

    fn messages(result: Result<(), Error>) -> Vec<String> {
        result.err().map(|e| e.into_iter().map(|e| e.to_string()).collect()).unwrap_or_default()
    }

    #[test]
    fn collects_every_method_error() {
        let item: syn::ItemImpl = parse_quote! {
            impl<T> R {
                pub fn a(self) {}
                pub fn b<U>(&self) {}
                pub fn c(&self, x: &str) {}
                pub fn ok(&self, x: u32) -> u32 { x }
            }
        };
        let errors = messages(continuation(&Impl::from_syn(&item)));
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].contains("generic impls"));
        assert!(errors[1].contains("take `&self`"));
        assert!(errors[2].contains("type parameters"));
        assert!(errors[3].contains("owned data"));
    }

    #[test]
    fn result_placement_rules() {
        let check = |tokens| messages(call(&syn::parse2(tokens).unwrap()));
        assert!(check(quote!(c; s, R::m(1), then self.k($result))).is_empty());
        assert!(check(quote!(c; s, R::m($result)))[0].contains("only in the `then`"));
        assert!(check(quote!(c; s, R::m(1), then self.k(1)))[0].contains("needs `$result`"));
        assert!(check(quote!(c; s, R::m(1), then self.k($result, $result)))[0].contains("only once"));
        assert!(check(quote!(c; s, R::m(1), then other.k($result)))[0].contains("method of `self`"));
    }
}
