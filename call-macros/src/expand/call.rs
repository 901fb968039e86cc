//! `call!`: the awaited form and the fire-and-continue form.

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use crate::check;
use crate::fallback;
use crate::parse::{Arg, CallInput, Invocation};

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: CallInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return fallback::expr_with_errors(e),
    };
    if let Err(e) = check::call(&input) {
        return fallback::expr_with_errors(e);
    }
    let krate = &input.krate;
    let stub = borrowed_stub(&input.stub);
    let mut call = builder(krate, &input.target);
    if let Some(timeout) = &input.timeout {
        let value = &timeout.value;
        call = call_at(quote!(#krate::__private::timeout), quote!(#call, #value), timeout.keyword);
    }
    let stub_span = input.stub.span();
    let Some(then) = &input.then else {
        return call_at(quote!(#krate::__private::send), quote!(#stub, #call), stub_span);
    };

    // The continuation is built in two steps, so that rustc checks each argument against
    // its parameter where the user wrote it: `bind` takes the captured arguments (its
    // parameter types are inferred from the call of the handler's invoker inside it), and
    // it is called with the user's expressions, now and in order; the closure it returns
    // takes the result and makes the resumption that `then` runs on `self` later. The
    // result's type is pinned to the call's first, so a mismatch is reported at `$result`.
    let call_var = Ident::new("__call", Span::mixed_site());
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
    if let Some(durable) = input.durable {
        return durable_then(DurableThen {
            krate,
            stub: &stub,
            stub_span,
            call: &call,
            receiver,
            invoke: &invoke,
            args: &then.args,
            captures: &captures,
            captured: &captured,
            paren_span: then.paren_span,
            durable,
        });
    }
    let capture_args = group(Delimiter::Parenthesis, quote!(#(#captures),*), at(then.paren_span));
    let then_call =
        call_at(quote!(#krate::__private::then), quote!(#receiver, #stub, #call_var, #continuation_var), stub_span);
    quote! {
        {
            let #call_var = #call;
            let #typed_var = #krate::__private::result_of(&#call_var);
            let #bind_var = move |#(#captured),*| {
                move |#result_var| {
                    #krate::__private::is(#typed_var, &#result_var);
                    #invoke
                }
            };
            let #continuation_var = #bind_var #capture_args;
            #then_call
        }
    }
}

/// The parts of a durable `call!(…, then …, durable)`.
struct DurableThen<'a> {
    krate: &'a TokenStream,
    stub: &'a TokenStream,
    stub_span: Span,
    call: &'a TokenStream,
    receiver: &'a syn::Expr,
    invoke: &'a TokenStream,
    args: &'a [Arg],
    captures: &'a [&'a syn::Expr],
    captured: &'a [Ident],
    paren_span: Span,
    durable: Span,
}

/// The durable form: as `then`, but the captured arguments are also encoded now (every
/// handler argument in order, `null` where the result goes), to be stored with the call.
fn durable_then(d: DurableThen<'_>) -> TokenStream {
    let DurableThen { krate, stub, stub_span, call, receiver, invoke, args, captures, captured, paren_span, durable } =
        d;
    let call_var = Ident::new("__call", Span::mixed_site());
    let typed_var = Ident::new("__typed", Span::mixed_site());
    let bind_var = Ident::new("__bind", Span::mixed_site());
    let continuation_var = Ident::new("__continuation", Span::mixed_site());
    let result_var = Ident::new("__result", Span::mixed_site());
    let values_var = Ident::new("__captures", Span::mixed_site());
    // Each capture is read from the tuple at its own expression's span, so that a wrong type
    // is still reported where the user wrote it.
    let fields: Vec<TokenStream> = captures
        .iter()
        .enumerate()
        .map(|(i, expr)| {
            let index = Literal::usize_unsuffixed(i);
            quote_spanned!(expr.span()=> #values_var.#index)
        })
        .collect();
    let mut field = fields.iter();
    let mut result_at = 0usize;
    let stored: Vec<TokenStream> = args
        .iter()
        .enumerate()
        .map(|(i, arg)| match arg {
            Arg::Result(_) => {
                result_at = i;
                quote!(())
            }
            _ => {
                let f = field.next().expect("one capture per non-result argument");
                quote!(&#f)
            }
        })
        .collect();
    let result_at = Literal::u32_unsuffixed(result_at as u32);
    let capture_args = group(Delimiter::Parenthesis, quote!(#(#fields),*), at(paren_span));
    let stored_var = Ident::new("__stored", Span::mixed_site());
    let then_call = call_at(
        quote!(#krate::__private::then_durable),
        quote!(#receiver, #stub, #call_var, #continuation_var, #stored_var, #result_at),
        durable,
    );
    let _ = stub_span;
    quote! {
        {
            let #call_var = #call;
            let #typed_var = #krate::__private::result_of(&#call_var);
            let #values_var = (#(#captures,)*);
            // Encoded before the captures move into the continuation.
            let #stored_var = #krate::__private::stored_args(&(#(#stored,)*));
            let #bind_var = move |#(#captured),*| {
                move |#result_var| {
                    #krate::__private::is(#typed_var, &#result_var);
                    #invoke
                }
            };
            let #continuation_var = #bind_var #capture_args;
            #then_call
        }
    }
}

/// `<Type as Continuation>::CALLS.method(args…)`, spanned so that an unmarked type is
/// reported at the type, an unknown method at the method, a bad argument at the argument.
fn builder(krate: &TokenStream, target: &Invocation) -> TokenStream {
    let ty = &target.ty;
    let method = &target.method;
    let args = target.args.iter().map(|arg| match arg {
        Arg::Expr(e) => quote!(#e),
        Arg::Result(_) | Arg::NestedResult(_) => unreachable!("rejected by check::call"),
    });
    let calls = quote_spanned!(ty.span()=> <#ty as #krate::__private::Continuation>::CALLS);
    let args = group(Delimiter::Parenthesis, quote!(#(#args),*), target.paren_span);
    quote_spanned!(method.span()=> #calls.#method #args)
}

/// `&(stub)`, spanned over the stub's tokens, so that a stub that is not a `Transport` is
/// reported there.
fn borrowed_stub(stub: &syn::Expr) -> TokenStream {
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
fn covering(var: &Ident, first: Span, last: Span) -> TokenStream {
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
fn call_at(function: TokenStream, args: TokenStream, span: Span) -> TokenStream {
    let name = Ident::new("__call_core_function", at(span));
    let args = group(Delimiter::Parenthesis, args, at(span));
    quote!({
        use #function as #name;
        #name #args
    })
}

/// `span`'s location with this expansion's hygiene: rustc shows the user's tokens, and
/// lints treat the code as generated.
fn at(span: Span) -> Span {
    Span::mixed_site().located_at(span)
}

fn group(delimiter: Delimiter, stream: TokenStream, span: Span) -> TokenStream {
    let mut group = Group::new(delimiter, stream);
    group.set_span(span);
    TokenTree::Group(group).into()
}

/// The spans of the first and the last token of `tokens` (of the closing delimiter if
/// the last token is a group).
fn first_and_last(tokens: TokenStream) -> (Span, Span) {
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
