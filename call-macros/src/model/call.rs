//! The IR of one call of `call!`: a tree of calls to one object, whose nested calls run on
//! the callee as earlier steps of the same plan.
//!
//! The rule that tells a nested call from an ordinary expression: in argument position, a
//! call written `Type::method(args…)` with exactly the path the outer call names its type
//! with (`Remote::add(Remote::add(1, 2), 3)`) is a nested call; anything else, including
//! the same call inside a block (`{ Remote::helper(x) }`), is an expression the caller
//! evaluates.

use proc_macro2::Span;
use syn::{Expr, Ident, Path, PathArguments};

use crate::parse::{Arg, Invocation};

/// A call and its arguments.
pub(crate) struct Tree<'a> {
    /// The callee's type as written here.
    pub(crate) ty: Path,
    pub(crate) method: &'a Ident,
    /// The span of the parenthesized argument list.
    pub(crate) paren_span: Span,
    pub(crate) args: Vec<Node<'a>>,
    /// The whole call as written, for a nested call (for spans).
    pub(crate) written: Option<&'a Expr>,
}

/// One argument.
pub(crate) enum Node<'a> {
    /// Evaluated by the caller and encoded now.
    Value(&'a Expr),
    /// Run by the callee, its result fed in.
    Nested(Tree<'a>),
}

impl<'a> Tree<'a> {
    /// The tree of `invocation`, whose arguments are all expressions (`check::call::input` has
    /// refused `$result` among them).
    pub(crate) fn of(invocation: &'a Invocation) -> Tree<'a> {
        let args = invocation
            .args
            .iter()
            .filter_map(|arg| match arg {
                Arg::Expr(e) => Some(classify(e, &invocation.ty)),
                Arg::Result(_) | Arg::NestedResult(_) => None,
            })
            .collect();
        Tree {
            ty: invocation.ty.clone(),
            method: &invocation.method,
            paren_span: invocation.paren_span,
            args,
            written: None,
        }
    }

    /// Whether an argument is a nested call.
    pub(crate) fn has_nested(&self) -> bool {
        self.args.iter().any(|a| matches!(a, Node::Nested(_)))
    }

    /// The calls of the tree in the order the callee runs them: each call's nested calls
    /// (left to right, each the same way), then the call.
    pub(crate) fn steps(&self) -> Vec<&Tree<'a>> {
        let mut steps = Vec::new();
        self.push_steps(&mut steps);
        steps
    }

    fn push_steps<'t>(&'t self, steps: &mut Vec<&'t Tree<'a>>) {
        for arg in &self.args {
            if let Node::Nested(tree) = arg {
                tree.push_steps(steps);
            }
        }
        steps.push(self);
    }

    /// Every call with its level (1 for this one), outer calls first.
    pub(crate) fn levels(&self) -> Vec<(usize, &Tree<'a>)> {
        let mut levels = vec![(1, self)];
        let mut i = 0;
        while let Some(&(level, tree)) = levels.get(i) {
            for arg in &tree.args {
                if let Node::Nested(inner) = arg {
                    levels.push((level + 1, inner));
                }
            }
            i += 1;
        }
        levels
    }
}

/// A nested call if `expr` is `Type::method(args…)` with `ty` as its type path.
fn classify<'a>(expr: &'a Expr, ty: &Path) -> Node<'a> {
    let Expr::Call(call) = expr else { return Node::Value(expr) };
    let Expr::Path(func) = &*call.func else { return Node::Value(expr) };
    let path = &func.path;
    let plain = path.segments.iter().all(|s| matches!(s.arguments, PathArguments::None));
    if !call.attrs.is_empty() || !func.attrs.is_empty() || func.qself.is_some() || !plain || !same_type(path, ty) {
        return Node::Value(expr);
    }
    let Some(last) = path.segments.last() else { return Node::Value(expr) };
    let mut own = path.clone();
    own.segments.pop();
    if let Some(pair) = own.segments.pop() {
        own.segments.push(pair.into_value());
    }
    Node::Nested(Tree {
        ty: own,
        method: &last.ident,
        paren_span: call.paren_token.span.join(),
        args: call.args.iter().map(|arg| classify(arg, ty)).collect(),
        written: Some(expr),
    })
}

/// Whether `path` is `ty::method` (neither has generic arguments).
fn same_type(path: &Path, ty: &Path) -> bool {
    path.leading_colon.is_some() == ty.leading_colon.is_some()
        && path.segments.len() == ty.segments.len() + 1
        && path.segments.iter().zip(&ty.segments).all(|(a, b)| a.ident == b.ident)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::CallInput;
    use quote::quote;

    fn shape(tree: &Tree<'_>) -> String {
        let args: Vec<String> = tree
            .args
            .iter()
            .map(|a| match a {
                Node::Value(e) => quote!(#e).to_string(),
                Node::Nested(t) => shape(t),
            })
            .collect();
        format!("{}({})", tree.method, args.join(", "))
    }

    fn tree_of(tokens: proc_macro2::TokenStream, f: impl FnOnce(&Tree<'_>)) {
        let input: CallInput = syn::parse2(tokens).unwrap();
        f(&Tree::of(&input.calls[0].target));
    }

    #[test]
    fn the_same_type_path_nests_anything_else_is_a_value() {
        tree_of(
            quote!(c; s, R::add(R::add(1, x), { R::helper(2) }, S::add(3), r::R::add(4), String::from("a"))),
            |t| {
                assert_eq!(
                    shape(t),
                    r#"add(add(1, x), { R :: helper (2) }, S :: add (3), r :: R :: add (4), String :: from ("a"))"#
                );
                assert!(t.has_nested());
            },
        );
        tree_of(quote!(c; s, my::R::len(my::R::upper(my::R::echo(s)))), |t| {
            assert_eq!(shape(t), "len(upper(echo(s)))");
            let steps: Vec<String> = t.steps().iter().map(|s| s.method.to_string()).collect();
            assert_eq!(steps, ["echo", "upper", "len"]);
            let levels: Vec<usize> = t.levels().iter().map(|l| l.0).collect();
            assert_eq!(levels, [1, 2, 3]);
        });
        tree_of(quote!(c; s, R::add(1, 2)), |t| assert!(!t.has_nested()));
    }
}
