//! The call of `call!` as an expression of type `Call<T, E>`: the method's builder for a
//! plain call, a pipeline for a call with nested calls (`call_core::pipeline`).
//!
//! For `Remote::add(x, Remote::upper(s))` (abridged; every helper under
//! `call_core::__private::pipeline`, imported under a local name so that spans stay on the
//! user's tokens):
//!
//! ```text
//! match (x, <Remote as Continuation>::CALLS.upper(s)) {     // in writing order, once
//!     (a0, a1) => {
//!         let sig = <<Remote as Continuation>::Calls as Signatures>::SIGS.add();
//!         if false {
//!             let v0 = value_like(&a0);                     // typed by the value alone
//!             (sig.check)(v0, any());                       // the caller's values, as a plain call
//!             let o1 = output(&a1);                         // typed by the nested call alone
//!             (sig.params.1)(o1);                           // what the nested call feeds
//!         }
//!         let pipe = Pipe::new(sig).value(&a0);
//!         let pipe = { let join = (&&&probe(&pipe, &a1)).__call_core_join(); pipe.nested(a1, join) };
//!         pipe.finish()
//!     }
//! }
//! ```

use proc_macro2::{Delimiter, Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use super::spans::{at, covering, first_and_last, group};
use crate::model::call::{Node, Tree};

/// The expression of type `Call<T, E>` for `tree`.
pub(super) fn call(krate: &TokenStream, tree: &Tree<'_>) -> TokenStream {
    if tree.has_nested() {
        pipeline(krate, tree)
    } else {
        builder(krate, tree)
    }
}

/// `<Type as Continuation>::CALLS.method(args…)`, spanned so that an unmarked type is
/// reported at the type, an unknown method at the method, a bad argument at the argument.
fn builder(krate: &TokenStream, tree: &Tree<'_>) -> TokenStream {
    let ty = &tree.ty;
    let method = tree.method;
    let args = tree.args.iter().map(|arg| match arg {
        Node::Value(e) => e.to_token_stream(),
        Node::Nested(inner) => call(krate, inner),
    });
    let calls = quote_spanned!(ty.span()=> <#ty as #krate::__private::Continuation>::CALLS);
    let args = group(Delimiter::Parenthesis, quote!(#(#args),*), tree.paren_span);
    quote_spanned!(method.span()=> #calls.#method #args)
}

/// A local name of this expansion.
fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// For the nested call `inner`, bound to `var`, feeding the parameter whose `fn` is `param`
/// (argument `i`): the check that its value is the parameter's owned type, and the step
/// that joins it into the pipe.
fn nested_argument(param: TokenStream, i: usize, var: &Ident, inner: &Tree<'_>) -> (TokenStream, TokenStream) {
    let (pipe, join) = (local("__pipe"), local("__join"));
    let written: &dyn ToTokens = match inner.written {
        Some(expr) => expr,
        None => inner.method,
    };
    let (first, last) = first_and_last(written.to_token_stream());
    // The nested call's value, typed by the call alone (no expectation reaches it), then
    // passed where the outer parameter's owned type is expected: a mismatch is reported
    // over the nested call.
    let output = over("__output", var, written);
    let value = Ident::new(&format!("__o{i}"), Span::mixed_site());
    let fed = covering(&value, first, last);
    let feed = quote! {
        let #value = #output;
        #param(#fed);
    };
    // The error type of the joined call, picked by method resolution on the probe's
    // references; an unmet `ChainsFrom` is reported at the nested call's method, whose
    // error it names.
    let probe = Ident::new("__probe", at(first));
    let probe_args = group(Delimiter::Parenthesis, quote!(&#pipe, &#var), at(last));
    let receiver = group(Delimiter::Parenthesis, quote!(&&&#probe #probe_args), at(first));
    let join_method = Ident::new("__call_core_join", at(inner.method.span()));
    let step = quote! {
        let #pipe = {
            let #join = #receiver.#join_method();
            #pipe.nested(#var, #join)
        };
    };
    (feed, step)
}

/// `name(&var)`, spanned over `written` (the helper `name` is imported locally).
fn over(name: &str, var: &Ident, written: &dyn ToTokens) -> TokenStream {
    let (first, last) = first_and_last(written.to_token_stream());
    let function = Ident::new(name, at(first));
    let args = group(Delimiter::Parenthesis, quote!(&#var), at(last));
    quote!(#function #args)
}

fn pipeline(krate: &TokenStream, tree: &Tree<'_>) -> TokenStream {
    let private = quote!(#krate::__private::pipeline);
    let ty = &tree.ty;
    let method = tree.method;
    let (sig, pipe) = (local("__sig"), local("__pipe"));
    let vars: Vec<Ident> = tree
        .args
        .iter()
        .enumerate()
        .map(|(i, arg)| {
            let span = match arg {
                Node::Value(e) => first_and_last(e.to_token_stream()).0,
                Node::Nested(inner) => inner.method.span(),
            };
            Ident::new(&format!("__a{i}"), at(span))
        })
        .collect();
    let scrutinee = tree.args.iter().map(|arg| match arg {
        Node::Value(e) => e.to_token_stream(),
        Node::Nested(inner) => call(krate, inner),
    });
    let sigs = quote_spanned!(ty.span()=>
        <<#ty as #krate::__private::Continuation>::Calls as #private::Signatures>::SIGS);
    let get_sig = quote_spanned!(method.span()=> #sigs.#method());
    // The caller's values, each typed by itself (no expectation reaches it), then passed to
    // the parameters as declared: a mismatch is reported over the value, a wrong count at
    // the method, as for a plain call.
    let mut values = Vec::new();
    let check_args = tree.args.iter().zip(&vars).enumerate().map(|(i, (arg, var))| match arg {
        Node::Value(e) => {
            let value = Ident::new(&format!("__v{i}"), Span::mixed_site());
            let like = over("__value_like", var, e);
            values.push(quote!(let #value = #like;));
            let (first, last) = first_and_last(e.to_token_stream());
            covering(&value, first, last)
        }
        Node::Nested(_) => {
            let any = local("__any");
            quote!(#any())
        }
    });
    let check_args: Vec<TokenStream> = check_args.collect();
    // `__sig` located at the method, so that rustc's labels on the function it holds point
    // there, not at the whole macro call.
    let sig_at = Ident::new("__sig", at(method.span()));
    let check_fn = group(Delimiter::Parenthesis, quote!(#sig_at.check), at(method.span()));
    let check = group(Delimiter::Parenthesis, quote!(#(#check_args),*), tree.paren_span);
    let mut feeds = Vec::new();
    let mut steps = Vec::new();
    for (i, (arg, var)) in tree.args.iter().zip(&vars).enumerate() {
        match arg {
            Node::Value(_) => steps.push(quote!(let #pipe = #pipe.value(&#var);)),
            Node::Nested(inner) => {
                let index = Literal::usize_unsuffixed(i);
                let param = group(Delimiter::Parenthesis, quote!(#sig_at.params.#index), at(method.span()));
                let (feed, step) = nested_argument(param, i, var, inner);
                feeds.push(feed);
                steps.push(step);
            }
        }
    }
    let imports = ["any", "output", "probe", "value_like"].map(|name| {
        let local = local(&format!("__{name}"));
        let name = Ident::new(name, Span::call_site());
        quote!(#name as #local)
    });
    let pipe_type = local("__Pipe");
    quote! {
        {
            #[allow(unused_imports)]
            use #private::{#(#imports,)* Pipe as #pipe_type, ProbeFrom as _, ProbeInnerNever as _, ProbeOuterNever as _};
            match (#(#scrutinee,)*) {
                (#(#vars,)*) => {
                    let #sig = #get_sig;
                    if false {
                        #(#values)*
                        #check_fn #check;
                        #(#feeds)*
                    }
                    let #pipe = #pipe_type::new(#sig);
                    #(#steps)*
                    #pipe.finish()
                }
            }
        }
    }
}
