//! `call!`: the awaited form and the fire-and-continue form (of one call; a fan-in's are in
//! `fanin`, a call's nested calls in `nested`).

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use crate::call_tree::Tree;
use crate::check;
use crate::fallback;
use crate::parse::{Arg, CallInput, Then};

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: CallInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return fallback::expr_with_errors(e),
    };
    if let Err(e) = check::call(&input) {
        return fallback::expr_with_errors(e);
    }
    let trees: Vec<Tree<'_>> = input.calls.iter().map(|c| Tree::of(&c.target)).collect();
    if let Some(e) = trees.iter().filter_map(|t| check::plan(t).err()).reduce(|mut all, e| {
        all.combine(e);
        all
    }) {
        return fallback::expr_with_errors(e);
    }
    let krate = &input.krate;
    let calls: Vec<TokenStream> = trees
        .iter()
        .map(|tree| {
            let call = super::nested::call(krate, tree);
            match &input.timeout {
                Some(timeout) => {
                    let value = &timeout.value;
                    call_at(quote!(#krate::__private::timeout), quote!(#call, #value), timeout.keyword)
                }
                None => call,
            }
        })
        .collect();
    if let Some(all) = input.all {
        return super::fanin::expand(&input, all, calls);
    }
    let stub = borrowed_stub(&input.calls[0].stub);
    let call = &calls[0];
    let stub_span = input.calls[0].stub.span();
    let Some(then) = &input.then else {
        return call_at(quote!(#krate::__private::send), quote!(#stub, #call), stub_span);
    };
    let call_var = Ident::new("__call", Span::mixed_site());
    let typed = quote!(#krate::__private::result_of(&#call_var));
    let receiver = &then.receiver;
    let continuation = match input.durable {
        // A durable call also stores its handler's captured arguments (`stored`), with the
        // result's place; its bound failures are reported at `durable`.
        Some(durable) => continuation(krate, then, typed, true, |k, stored| {
            let (stored, result_at) = stored.expect("a durable continuation stores its arguments");
            call_at(
                quote!(#krate::__private::then_durable),
                quote!(#receiver, #stub, #call_var, #k, #stored, #result_at),
                durable,
            )
        }),
        None => continuation(krate, then, typed, false, |k, _| {
            call_at(quote!(#krate::__private::then), quote!(#receiver, #stub, #call_var, #k), stub_span)
        }),
    };
    quote! {
        {
            let #call_var = #call;
            #continuation
        }
    }
}

/// The continuation of a call (or fan-in) and what sends it: statements that bind the
/// handler's captured arguments, then `send(continuation, stored)`.
///
/// `typed` is an expression of the type of `$result` (a `TypeOf`), evaluated first. With
/// `durable`, the captured arguments are also encoded, before they move into the
/// continuation: `stored` is then the variable holding them (every handler argument in
/// order as a JSON array, `null` where the result goes) and the result's place.
pub(super) fn continuation(
    krate: &TokenStream,
    then: &Then,
    typed: TokenStream,
    durable: bool,
    send: impl FnOnce(&Ident, Option<(&Ident, Literal)>) -> TokenStream,
) -> TokenStream {
    // The continuation is built in two steps, so that rustc checks each argument against
    // its parameter where the user wrote it: `bind` takes the captured arguments (its
    // parameter types are inferred from the call of the handler's invoker inside it), and
    // it is called with the user's expressions, now and in order; the closure it returns
    // takes the result and makes the resumption that `then` runs on `self` later. The
    // result's type is pinned to the call's first, so a mismatch is reported at `$result`.
    let typed_var = Ident::new("__typed", Span::mixed_site());
    let bind_var = Ident::new("__bind", at(then.method.span()));
    let continuation_var = Ident::new("__continuation", Span::mixed_site());
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
            Arg::NestedResult(_) => unreachable!("rejected by check::call"),
        }
    }
    let receiver = &then.receiver;
    let method = &then.method;
    let self_ty = quote_spanned!(receiver.span()=> Self);
    let handlers = quote_spanned!(receiver.span()=> (<#self_ty as #krate::__private::Continuation>::HANDLERS));
    let args = group(Delimiter::Parenthesis, quote!(#(#passed),*), then.paren_span);
    let invoke = quote_spanned!(method.span()=> #handlers.#method #args);
    // The handler's closure, its captures bound first: the same for both forms.
    let bind = quote! {
        let #bind_var = move |#(#captured),*| {
            move |#result_var| {
                #krate::__private::is(#typed_var, &#result_var);
                #invoke
            }
        };
    };
    if !durable {
        let capture_args = group(Delimiter::Parenthesis, quote!(#(#captures),*), at(then.paren_span));
        let send = send(&continuation_var, None);
        return quote! {
            let #typed_var = #typed;
            #bind
            let #continuation_var = #bind_var #capture_args;
            #send
        };
    }
    // Durable: the captures are evaluated into a tuple first (in order), encoded, then moved
    // into the continuation; each is read from the tuple at its own expression's span, so
    // that a wrong type is still reported where the user wrote it.
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
    let send = send(&continuation_var, Some((&stored_var, Literal::u32_unsuffixed(result_at))));
    quote! {
        let #typed_var = #typed;
        let #values_var = (#(#captures,)*);
        let #stored_var = #krate::__private::stored_args(&(#(#stored,)*));
        #bind
        let #continuation_var = #bind_var #capture_args;
        #send
    }
}

/// `&(stub)`, spanned over the stub's tokens, so that a stub that is not a `Transport` is
/// reported there.
pub(super) fn borrowed_stub(stub: &syn::Expr) -> TokenStream {
    let (first, last) = first_and_last(stub.to_token_stream());
    let mut amp = Punct::new('&', Spacing::Alone);
    amp.set_span(at(first));
    let inner = group(Delimiter::Parenthesis, quote!(#stub), at(last));
    quote!(#amp #inner)
}

/// `(var,).0`: the value of `var`, as an expression that rustc spans from `first` to
/// `last`.
///
/// A proc macro cannot join two spans on stable Rust, but rustc does, when it parses a
/// field access whose base starts at `first` and whose field ends at `last`. So a type
/// mismatch on `$result` underlines all of it, not only its `$`, and rustc's suggestions
/// quote `$result`.
pub(super) fn covering(var: &Ident, first: Span, last: Span) -> TokenStream {
    let base = group(Delimiter::Parenthesis, quote!(#var,), at(first));
    let mut dot = Punct::new('.', Spacing::Alone);
    dot.set_span(at(last));
    let mut index = Literal::usize_unsuffixed(0);
    index.set_span(at(last));
    quote!(#base #dot #index)
}

/// `function(args)`, the call spanned at `span`, the arguments as they are.
///
/// rustc reports an unmet bound of a generic function at the call; a call made of tokens
/// from several expansions (`$crate` comes from `call!`, the rest from this macro) is
/// shown at the whole `call!`. So the function is imported under a local name first, and
/// the call is made of tokens of this macro only, located at the user's token.
pub(super) fn call_at(function: TokenStream, args: TokenStream, span: Span) -> TokenStream {
    let name = Ident::new("__call_core_function", at(span));
    let args = group(Delimiter::Parenthesis, args, at(span));
    quote!({
        use #function as #name;
        #name #args
    })
}

/// `span`'s location with this expansion's hygiene: rustc shows the user's tokens, and
/// lints treat the code as generated.
pub(super) fn at(span: Span) -> Span {
    Span::mixed_site().located_at(span)
}

pub(super) fn group(delimiter: Delimiter, stream: TokenStream, span: Span) -> TokenStream {
    let mut group = Group::new(delimiter, stream);
    group.set_span(span);
    TokenTree::Group(group).into()
}

/// The spans of the first and the last token of `tokens` (of the closing delimiter if
/// the last token is a group).
pub(super) fn first_and_last(tokens: TokenStream) -> (Span, Span) {
    let mut iter = tokens.into_iter();
    let first = iter.next();
    let last = iter.last().or_else(|| first.clone());
    let first = match &first {
        Some(TokenTree::Group(g)) => g.span_open(),
        Some(tt) => tt.span(),
        None => Span::call_site(),
    };
    let last = match &last {
        Some(TokenTree::Group(g)) => g.span_close(),
        Some(tt) => tt.span(),
        None => Span::call_site(),
    };
    (first, last)
}
