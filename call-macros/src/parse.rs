//! `impl Parse` for the input of `call!`:
//!
//! ```text
//! $crate; STUB, Type::method(ARGS) [, then self.method(ARGS)] [, timeout = EXPR] [, durable]
//! $crate; all(STUB => Type::method(ARGS), …) [, then self.method(ARGS)] [, timeout = EXPR] [, durable]
//! ```
//!
//! `$result` is not an expression, so argument lists are split at top-level commas and
//! each argument is either exactly `$result` or parsed as an expression.

use proc_macro2::{Delimiter, Punct, Spacing, Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Path, PathSegment, Token};

mod kw {
    syn::custom_keyword!(all);
    syn::custom_keyword!(then);
    syn::custom_keyword!(timeout);
    syn::custom_keyword!(durable);
}

/// The most calls in one `all(…)`: the tuples call-core's fan-in is implemented for.
pub(crate) const MAX_MEMBERS: usize = 12;

/// The parsed input of `call!`.
pub(crate) struct CallInput {
    /// The path of call-core (`$crate`).
    pub(crate) krate: TokenStream,
    /// The calls: one, or the members of a fan-in.
    pub(crate) calls: Vec<Member>,
    /// The `all` of a fan-in, `all(stub => Type::method(…), …)`.
    pub(crate) all: Option<Span>,
    pub(crate) then: Option<Then>,
    pub(crate) timeout: Option<Timeout>,
    /// `durable`: where the keyword is.
    pub(crate) durable: Option<Span>,
}

/// `STUB, Type::method(args…)`, or `STUB => Type::method(args…)` in a fan-in.
pub(crate) struct Member {
    pub(crate) stub: Expr,
    pub(crate) target: Invocation,
}

/// `timeout = EXPR`.
pub(crate) struct Timeout {
    pub(crate) keyword: Span,
    pub(crate) value: Expr,
}

/// `Type::method(args…)`.
pub(crate) struct Invocation {
    /// `Type` (every segment but the last).
    pub(crate) ty: Path,
    pub(crate) method: Ident,
    pub(crate) paren_span: Span,
    pub(crate) args: Vec<Arg>,
}

/// `then self.method(args…)`.
pub(crate) struct Then {
    /// The receiver's tokens: must be `self`.
    pub(crate) receiver: Expr,
    pub(crate) method: Ident,
    /// The span of the parenthesized argument list.
    pub(crate) paren_span: Span,
    pub(crate) args: Vec<Arg>,
}

/// One argument.
pub(crate) enum Arg {
    Expr(Expr),
    /// `$result`.
    Result(ResultToken),
    /// `$result` inside a larger expression.
    NestedResult(ResultToken),
}

/// Where a `$result` is: its `$` and its `result`.
#[derive(Clone, Copy)]
pub(crate) struct ResultToken {
    pub(crate) dollar: Span,
    pub(crate) name: Span,
}

impl ResultToken {
    /// An error covering the whole `$result`.
    pub(crate) fn error(&self, message: &str) -> syn::Error {
        let mut dollar = Punct::new('$', Spacing::Alone);
        dollar.set_span(self.dollar);
        let name = Ident::new("result", self.name);
        let tokens: TokenStream = [TokenTree::Punct(dollar), TokenTree::Ident(name)].into_iter().collect();
        syn::Error::new_spanned(tokens, message)
    }
}

impl Parse for CallInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut krate = TokenStream::new();
        while !input.peek(Token![;]) {
            let tt: TokenTree = input.parse()?;
            krate.extend([tt]);
        }
        input.parse::<Token![;]>()?;
        if input.is_empty() {
            return Err(input.error("expected `call!(stub, Type::method(args…))`"));
        }
        let (calls, all) = if is_fan_in(input) {
            let all: kw::all = input.parse()?;
            (parse_members(all.span, input)?, Some(all.span))
        } else {
            let stub: Expr = input.parse()?;
            if input.is_empty() {
                return Err(syn::Error::new_spanned(&stub, "expected `, Type::method(args…)` after the stub"));
            }
            input.parse::<Token![,]>()?;
            (vec![Member { stub, target: parse_invocation(input)? }], None)
        };
        let mut then = None;
        let mut timeout = None;
        let mut durable = None;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::then) {
                let kw: kw::then = input.parse()?;
                if then.is_some() {
                    return Err(syn::Error::new(kw.span, "duplicate `then`: a call has one continuation"));
                }
                then = Some(parse_then(input)?);
            } else if lookahead.peek(kw::durable) {
                let kw: kw::durable = input.parse()?;
                if durable.is_some() {
                    return Err(syn::Error::new(kw.span, "duplicate `durable`"));
                }
                durable = Some(kw.span);
            } else if lookahead.peek(kw::timeout) {
                let kw: kw::timeout = input.parse()?;
                input.parse::<Token![=]>()?;
                let value: Expr = input.parse()?;
                if timeout.is_some() {
                    return Err(syn::Error::new(kw.span, "duplicate `timeout`"));
                }
                timeout = Some(Timeout { keyword: kw.span, value });
            } else {
                return Err(lookahead.error());
            }
        }
        Ok(CallInput { krate, calls, all, then, timeout, durable })
    }
}

/// `all(…)` with a top-level `=>` inside, or nothing: a fan-in (else `all(x)` is a stub
/// expression).
fn is_fan_in(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    if fork.parse::<kw::all>().is_err() {
        return false;
    }
    let Ok(TokenTree::Group(group)) = fork.parse::<TokenTree>() else { return false };
    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
    group.delimiter() == Delimiter::Parenthesis
        && (tokens.is_empty()
            || tokens.windows(2).any(|w| {
                matches!(w, [TokenTree::Punct(a), TokenTree::Punct(b)]
                if a.as_char() == '=' && a.spacing() == Spacing::Joint && b.as_char() == '>')
            }))
}

/// The members of `all(STUB => Type::method(args…), …)`.
fn parse_members(all: Span, input: ParseStream<'_>) -> syn::Result<Vec<Member>> {
    let content;
    syn::parenthesized!(content in input);
    let mut members = Vec::new();
    while !content.is_empty() {
        let mut stub = TokenStream::new();
        while !content.is_empty() && !content.peek(Token![=>]) && !content.peek(Token![,]) {
            stub.extend([content.parse::<TokenTree>()?]);
        }
        if stub.is_empty() || !content.peek(Token![=>]) {
            let at = stub.clone().into_iter().next().map_or(content.span(), |t| t.span());
            return Err(syn::Error::new(at, "expected `stub => Type::method(args…)` in `all(…)`"));
        }
        let stub: Expr = syn::parse2(stub)?;
        content.parse::<Token![=>]>()?;
        let target = parse_invocation(&content)?;
        if members.len() == MAX_MEMBERS {
            return Err(syn::Error::new_spanned(
                &stub,
                format!("a fan-in takes at most {MAX_MEMBERS} calls: split it, or fan in the results of fan-ins"),
            ));
        }
        members.push(Member { stub, target });
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    if members.is_empty() {
        return Err(syn::Error::new(all, "a fan-in needs at least one call: `all(stub => Type::method(args…), …)`"));
    }
    Ok(members)
}

fn parse_invocation(input: ParseStream<'_>) -> syn::Result<Invocation> {
    let path = Path::parse_mod_style(input).map_err(|e| syn::Error::new(e.span(), "expected `Type::method(args…)`"))?;
    if path.segments.len() < 2 {
        return Err(syn::Error::new_spanned(&path, "expected `Type::method(args…)`: name the callee's type"));
    }
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new_spanned(
            &path,
            "expected the argument list after the method: `Type::method(args…)`, `()` when there are none",
        ));
    }
    let (paren_span, args) = parse_args(input)?;
    let mut segments: Punctuated<PathSegment, Token![::]> = path.segments;
    let method = segments.pop().map(|p| p.into_value().ident).expect("two segments");
    let ty = Path { leading_colon: path.leading_colon, segments: strip_trailing(segments) };
    Ok(Invocation { ty, method, paren_span, args })
}

fn strip_trailing(mut segments: Punctuated<PathSegment, Token![::]>) -> Punctuated<PathSegment, Token![::]> {
    if let Some(last) = segments.pop() {
        segments.push(last.into_value());
    }
    segments
}

fn parse_then(input: ParseStream<'_>) -> syn::Result<Then> {
    // `RECEIVER . method (args)`: everything up to the next top-level comma, split before
    // its last `.method(…)`, so that `self.inner.k(…)` is reported as a receiver error.
    let mut tokens = Vec::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        tokens.push(input.parse::<TokenTree>()?);
    }
    let expected = |span| syn::Error::new(span, "expected `self.method(args…)` after `then`");
    let n = tokens.len();
    let (dot, method, group) = match tokens.get(n.saturating_sub(3)..) {
        Some([TokenTree::Punct(dot), TokenTree::Ident(method), TokenTree::Group(group)])
            if n > 3 && dot.as_char() == '.' && group.delimiter() == Delimiter::Parenthesis =>
        {
            (dot.span(), method.clone(), group.clone())
        }
        _ => return Err(expected(tokens.first().map_or(input.span(), TokenTree::span))),
    };
    let receiver: TokenStream = tokens[..n - 3].iter().cloned().collect();
    let receiver: Expr = syn::parse2(receiver).map_err(|_| expected(dot))?;
    let args = syn::parse::Parser::parse2(parse_args_inner, group.stream())?;
    Ok(Then { receiver, method, paren_span: group.span(), args })
}

/// A parenthesized, comma-separated argument list.
fn parse_args(input: ParseStream<'_>) -> syn::Result<(Span, Vec<Arg>)> {
    let content;
    let paren = syn::parenthesized!(content in input);
    Ok((paren.span.join(), parse_args_inner(&content)?))
}

fn parse_args_inner(content: ParseStream<'_>) -> syn::Result<Vec<Arg>> {
    let tokens: TokenStream = content.parse()?;
    let mut args = Vec::new();
    let mut current = Vec::new();
    for tt in tokens {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                if current.is_empty() {
                    return Err(syn::Error::new(p.span(), "expected an argument before this comma"));
                }
                args.push(parse_arg(std::mem::take(&mut current))?);
            }
            _ => current.push(tt),
        }
    }
    if !current.is_empty() {
        args.push(parse_arg(current)?);
    }
    Ok(args)
}

fn parse_arg(tokens: Vec<TokenTree>) -> syn::Result<Arg> {
    if let [TokenTree::Punct(dollar), TokenTree::Ident(name)] = tokens.as_slice() {
        if dollar.as_char() == '$' && name == "result" {
            return Ok(Arg::Result(ResultToken { dollar: dollar.span(), name: name.span() }));
        }
    }
    if let Some(token) = find_result(&tokens) {
        return Ok(Arg::NestedResult(token));
    }
    syn::parse2::<Expr>(tokens.into_iter().collect()).map(Arg::Expr)
}

/// A `$result` anywhere inside `tokens`.
fn find_result(tokens: &[TokenTree]) -> Option<ResultToken> {
    for (i, tt) in tokens.iter().enumerate() {
        match tt {
            TokenTree::Punct(p) if p.as_char() == '$' => {
                if let Some(TokenTree::Ident(id)) = tokens.get(i + 1) {
                    if id == "result" {
                        return Some(ResultToken { dollar: p.span(), name: id.span() });
                    }
                }
            }
            TokenTree::Group(g) if g.delimiter() != Delimiter::None || !g.stream().is_empty() => {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                if let Some(token) = find_result(&inner) {
                    return Some(token);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: TokenStream) -> syn::Result<CallInput> {
        syn::parse2(tokens)
    }

    #[test]
    fn parses_the_awaited_form() {
        let input = parse(quote!($crate; self.stub, my::Remote::add(1, a + b))).unwrap();
        let ty = &input.calls[0].target.ty;
        assert_eq!(quote!(#ty).to_string(), "my :: Remote");
        assert_eq!(input.calls[0].target.method, "add");
        assert_eq!(input.calls[0].target.args.len(), 2);
        assert!(input.then.is_none() && input.timeout.is_none() && input.all.is_none());
    }

    #[test]
    fn parses_then_and_timeout() {
        let input = parse(quote!(c; stub, R::m(), then self.k(7, $result), timeout = d)).unwrap();
        let then = input.then.unwrap();
        assert_eq!(then.method, "k");
        assert!(matches!(then.args[0], Arg::Expr(_)));
        assert!(matches!(then.args[1], Arg::Result(_)));
        assert!(input.timeout.is_some());
        assert!(input.calls[0].target.args.is_empty());
    }

    #[test]
    fn finds_nested_result_and_rejects_malformed_input() {
        let input = parse(quote!(c; s, R::m(Some($result)))).unwrap();
        assert!(matches!(input.calls[0].target.args[0], Arg::NestedResult(_)));
        assert!(parse(quote!(c; s, m(1))).is_err(), "a bare function is not Type::method");
        assert!(parse(quote!(c; s)).is_err());
        assert!(parse(quote!(c; s, R::m(1), then self.k($result), then self.k($result))).is_err());
        assert!(parse(quote!(c; s, R::m(1), otherwise)).is_err());
        let nested = parse(quote!(c; s, R::m(1), then self.inner.k($result))).unwrap().then.unwrap();
        assert_eq!(quote::ToTokens::to_token_stream(&nested.receiver).to_string(), "self . inner");
    }

    #[test]
    fn parses_fan_ins() {
        let input = parse(quote!(c; all(self.a => R::m(1), b.clone() => my::S::k()), then self.k($result))).unwrap();
        assert!(input.all.is_some() && input.then.is_some());
        assert_eq!(input.calls.len(), 2);
        assert_eq!(quote::ToTokens::to_token_stream(&input.calls[1].stub).to_string(), "b . clone ()");
        assert_eq!(input.calls[1].target.method, "k");
        // `all(x)` without `=>` is a stub expression.
        let stub = parse(quote!(c; all(x), R::m())).unwrap();
        assert!(stub.all.is_none() && stub.calls.len() == 1);
        assert!(parse(quote!(c; all())).is_err());
        assert!(parse(quote!(c; all(a => R::m(), b))).is_err());
        let thirteen: Vec<TokenStream> = (0..13).map(|_| quote!(s => R::m())).collect();
        assert!(parse(quote!(c; all(#(#thirteen),*))).is_err());
    }
}
