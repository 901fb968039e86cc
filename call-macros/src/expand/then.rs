//! The continuation of a call or fan-in (`then self.handler(…, $result, …)`): the
//! statements that bind the handler's captured arguments into a closure that takes the
//! result, in its two forms: in memory, and durable (the captured arguments also stored).
//! What sends the continuation is the caller's: `call` and `fanin` differ there.
//!
//! ```text
//! let typed = <the type of $result>;                  // pinned first
//! let bind = move |k0, k2| move |result| { is(typed, &result); HANDLERS.on_sum(k0, result, k2) };
//! let continuation = bind(<capture 0>, <capture 2>);  // the user's expressions, now, in order
//! ```

use proc_macro2::{Delimiter, Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Expr;

use super::spans::{at, covering, group};
use crate::parse::{Arg, Then};

/// A continuation, made: the statements that make it, and the variable that holds it
/// after them.
pub(super) struct Continuation {
    pub(super) statements: TokenStream,
    pub(super) var: Ident,
}

/// What a durable continuation stores: the variable holding every handler argument in
/// order as a JSON array (`null` where the result goes), and the result's place.
pub(super) struct Stored {
    pub(super) var: Ident,
    pub(super) result_at: Literal,
}

/// The continuation `then`, kept in memory until the result arrives.
///
/// `typed` is an expression of the type of `$result` (a `TypeOf`), evaluated first.
pub(super) fn in_memory(krate: &TokenStream, then: &Then, typed: TokenStream) -> Continuation {
    let Handler { captures, bind, bind_var } = Handler::of(krate, then);
    let (typed_var, var) = (typed_var(), continuation_var());
    let capture_args = group(Delimiter::Parenthesis, quote!(#(#captures),*), at(then.paren_span));
    let statements = quote! {
        let #typed_var = #typed;
        #bind
        let #var = #bind_var #capture_args;
    };
    Continuation { statements, var }
}

/// The continuation `then` of a durable call: its captured arguments are evaluated into a
/// tuple first (in order) and encoded, then moved into the continuation; each is read from
/// the tuple at its own expression's span, so that a wrong type is still reported where
/// the user wrote it.
pub(super) fn durable(krate: &TokenStream, then: &Then, typed: TokenStream) -> (Continuation, Stored) {
    let Handler { captures, bind, bind_var } = Handler::of(krate, then);
    let (typed_var, var) = (typed_var(), continuation_var());
    let values_var = Ident::new("__captures", Span::mixed_site());
    let stored_var = Ident::new("__stored", Span::mixed_site());
    let fields: Vec<TokenStream> = captures
        .iter()
        .enumerate()
        .map(|(i, expr)| {
            let index = Literal::usize_unsuffixed(i);
            quote_spanned!(expr.span()=> #values_var.#index)
        })
        .collect();
    let mut field = fields.iter();
    let mut result_at = 0u32;
    let stored: Vec<TokenStream> = then
        .args
        .iter()
        .enumerate()
        .map(|(i, arg)| match arg {
            Arg::Result(_) => {
                result_at = i as u32;
                quote!(())
            }
            _ => {
                let f = field.next().expect("one capture per argument that is not `$result`");
                quote!(&#f)
            }
        })
        .collect();
    let capture_args = group(Delimiter::Parenthesis, quote!(#(#fields),*), at(then.paren_span));
    let statements = quote! {
        let #typed_var = #typed;
        let #values_var = (#(#captures,)*);
        let #stored_var = #krate::__private::stored_args(&(#(#stored,)*));
        #bind
        let #var = #bind_var #capture_args;
    };
    let stored = Stored { var: stored_var, result_at: Literal::u32_unsuffixed(result_at) };
    (Continuation { statements, var }, stored)
}

fn typed_var() -> Ident {
    Ident::new("__typed", Span::mixed_site())
}

fn continuation_var() -> Ident {
    Ident::new("__continuation", Span::mixed_site())
}

/// The part both forms share: the user's captured expressions, and the closure that takes
/// them and returns the closure that takes the result.
///
/// It is built in two steps so that rustc checks each argument against its parameter where
/// the user wrote it: `bind`'s parameter types are inferred from the call of the handler's
/// invoker inside it, and it is called with the user's expressions; the closure it returns
/// takes the result and makes the resumption that `then` runs on `self` later. The
/// result's type is pinned to the call's first, so a mismatch is reported at `$result`.
struct Handler<'a> {
    captures: Vec<&'a Expr>,
    /// `let bind = move |captured…| move |result| { … };`
    bind: TokenStream,
    bind_var: Ident,
}

impl<'a> Handler<'a> {
    fn of(krate: &TokenStream, then: &'a Then) -> Self {
        let typed_var = typed_var();
        let bind_var = Ident::new("__bind", at(then.method.span()));
        let result_var = Ident::new("__result", Span::mixed_site());
        let method_span = then.method.span();
        let mut captured = Vec::new();
        let mut captures = Vec::new();
        let mut passed = Vec::new();
        for (i, arg) in then.args.iter().enumerate() {
            match arg {
                Arg::Expr(expr) => {
                    // rustc's "closure parameter defined here" note points at the handler.
                    let var = format_ident!("__k{}", i, span = at(method_span));
                    captured.push(var.clone());
                    captures.push(expr);
                    passed.push(quote!(#var));
                }
                Arg::Result(token) => passed.push(covering(&result_var, token.dollar, token.name)),
                Arg::NestedResult(_) => unreachable!("rejected by check::call::input"),
            }
        }
        let receiver = &then.receiver;
        let method = &then.method;
        let self_ty = quote_spanned!(receiver.span()=> Self);
        let handlers = quote_spanned!(receiver.span()=> (<#self_ty as #krate::__private::Continuation>::HANDLERS));
        let args = group(Delimiter::Parenthesis, quote!(#(#passed),*), then.paren_span);
        let invoke = quote_spanned!(method.span()=> #handlers.#method #args);
        let bind = quote! {
            let #bind_var = move |#(#captured),*| {
                move |#result_var| {
                    #krate::__private::is(#typed_var, &#result_var);
                    #invoke
                }
            };
        };
        Handler { captures, bind, bind_var }
    }
}
