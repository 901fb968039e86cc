//! Where the tokens of `call!`'s expansion are located, so that rustc reports each error at
//! the user's token it is about, not at the whole macro call: located spans with this
//! expansion's hygiene, groups spanned at a token, `$result` spanned over both its tokens,
//! and generic calls whose unmet bounds land on one token.

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};

/// `span`'s location with this expansion's hygiene: rustc shows the user's tokens, and
/// lints treat the code as generated.
pub(super) fn at(span: Span) -> Span {
    Span::mixed_site().located_at(span)
}

/// `stream` in `delimiter`s, the group spanned at `span`.
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

/// `&(stub)`, spanned over the stub's tokens, so that a stub that is not a `Transport` is
/// reported there.
pub(super) fn borrowed_stub(stub: &syn::Expr) -> TokenStream {
    let (first, last) = first_and_last(stub.to_token_stream());
    let mut amp = Punct::new('&', Spacing::Alone);
    amp.set_span(at(first));
    let inner = group(Delimiter::Parenthesis, quote!(#stub), at(last));
    quote!(#amp #inner)
}
