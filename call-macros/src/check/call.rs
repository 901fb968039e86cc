//! The checks of a `call!`: where `$result` may appear and what `durable` needs, on the
//! parsed input, and the limits of each call's plan that are known at compile time, on
//! its tree.

use syn::{Error, Expr};

use super::Errors;
use crate::model::call::Tree;
use crate::parse::{Arg, CallInput};

/// The most steps of a plan: `call_core::Limits::DEFAULT.max_steps` (the ui cases
/// `nested_too_many_steps` and `pass/nested_at_the_limits` hold the two equal).
pub(crate) const MAX_STEPS: usize = 64;
/// The longest chain of nested calls: `call_core::Limits::DEFAULT.max_depth`.
pub(crate) const MAX_DEPTH: usize = 16;

/// Checks a `call!` input.
pub(crate) fn input(input: &CallInput) -> Result<(), Error> {
    let mut errors = Errors::default();
    for arg in input.calls.iter().flat_map(|c| &c.target.args) {
        match arg {
            Arg::Result(token) | Arg::NestedResult(token) => errors.push(
                token.error("`$result` may appear only in the `then` continuation: it is the result of this call"),
            ),
            Arg::Expr(_) => {}
        }
    }
    if let (Some(durable), None) = (input.durable, &input.then) {
        errors.push(Error::new(
            durable,
            "`durable` needs `then`: an awaited call lives in this request's memory, and after a restart nothing \
             is left to await it; a durable call is continued by a `#[handler]`",
        ));
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

/// Checks the limits of a plan that are known now: its steps and depth.
pub(crate) fn plan(tree: &Tree<'_>) -> Result<(), Error> {
    let mut errors = Errors::default();
    if let Some((level, deep)) = tree.levels().into_iter().find(|(level, _)| *level > MAX_DEPTH) {
        errors.push(at_call(
            deep,
            &format!(
                "this nested call is level {level} of its call: a plan is at most {MAX_DEPTH} calls deep \
                 (`call_core::Limits::DEFAULT.max_depth`); make the inner part a call of its own"
            ),
        ));
    }
    if let Some(step) = tree.steps().get(MAX_STEPS) {
        errors.push(at_call(
            step,
            &format!(
                "this call is step {} of its plan: a plan has at most {MAX_STEPS} steps \
                 (`call_core::Limits::DEFAULT.max_steps`); split it into several calls",
                MAX_STEPS + 1
            ),
        ));
    }
    errors.finish()
}

/// An error at a call as written (its method name for the outermost one).
fn at_call(tree: &Tree<'_>, message: &str) -> Error {
    match tree.written {
        Some(expr) => Error::new_spanned(expr, message),
        None => Error::new(tree.method.span(), message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn messages(result: Result<(), Error>) -> Vec<String> {
        result.err().map(|e| e.into_iter().map(|e| e.to_string()).collect()).unwrap_or_default()
    }

    #[test]
    fn result_placement_rules() {
        let check = |tokens| messages(input(&syn::parse2(tokens).unwrap()));
        assert!(check(quote!(c; s, R::m(1), then self.k($result))).is_empty());
        assert!(check(quote!(c; s, R::m($result)))[0].contains("only in the `then`"));
        assert!(check(quote!(c; s, R::m(1), then self.k(1)))[0].contains("needs `$result`"));
        assert!(check(quote!(c; s, R::m(1), then self.k($result, $result)))[0].contains("only once"));
        assert!(check(quote!(c; s, R::m(1), then other.k($result)))[0].contains("method of `self`"));
    }

    #[test]
    fn plan_limits() {
        let nested = |depth: usize| {
            let mut call = quote!(R::m(0));
            for _ in 1..depth {
                call = quote!(R::m(#call));
            }
            quote!(c; s, #call)
        };
        let check = |tokens| {
            let input: CallInput = syn::parse2(tokens).unwrap();
            messages(plan(&Tree::of(&input.calls[0].target)))
        };
        assert!(check(nested(MAX_DEPTH)).is_empty());
        let deep = check(nested(MAX_DEPTH + 1));
        assert!(deep.len() == 1 && deep[0].contains("level 17"), "{deep:?}");
        let wide = |n: usize| {
            let args = (0..n).map(|i| quote!(R::m(#i)));
            quote!(c; s, R::m(#(#args),*))
        };
        assert!(check(wide(MAX_STEPS - 1)).is_empty());
        let too_wide = check(wide(MAX_STEPS));
        assert!(too_wide.len() == 1 && too_wide[0].contains("step 65"), "{too_wide:?}");
    }
}
