//! `call!`: parse → check → model → check the plans → expand. A single call, awaited or
//! continued, is expanded here; a fan-in's members in `fanin`, each call's own expression
//! (a builder, or a pipeline of nested calls) in `nested`, the continuation in `then`.
//!
//! ```text
//! send(&(stub), <call>)                                   // awaited: a future of the result
//! { let call = <call>; <continuation>; then(self, &(stub), call, continuation) }
//! { let call = <call>; <durable continuation>; then_durable(self, &(stub), call, continuation, stored, at) }
//! ```

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;

use super::spans::{borrowed_stub, call_at};
use super::{fanin, nested, then};
use crate::check;
use crate::fallback;
use crate::model::call::Tree;
use crate::parse::CallInput;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: CallInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return fallback::expr_with_errors(e),
    };
    if let Err(e) = check::call::input(&input) {
        return fallback::expr_with_errors(e);
    }
    let trees: Vec<Tree<'_>> = input.calls.iter().map(|c| Tree::of(&c.target)).collect();
    if let Some(e) = trees.iter().filter_map(|t| check::call::plan(t).err()).reduce(|mut all, e| {
        all.combine(e);
        all
    }) {
        return fallback::expr_with_errors(e);
    }
    let krate = &input.krate;
    let calls: Vec<TokenStream> = trees
        .iter()
        .map(|tree| {
            let call = nested::call(krate, tree);
            // A durable call's callee records the calls it ran: a `#[continuation]` type,
            // reported at the type otherwise.
            let call = match input.durable {
                Some(_) => {
                    let ty = &tree.ty;
                    let check = quote::quote_spanned!(ty.span()=> #krate::__private::durable_callee::<#ty>());
                    quote!({ #check; #call })
                }
                None => call,
            };
            match &input.timeout {
                Some(timeout) => {
                    let value = &timeout.value;
                    call_at(quote!(#krate::__private::timeout), quote!(#call, #value), timeout.keyword)
                }
                None => call,
            }
        })
        .collect();
    match input.all {
        Some(all) => fanin::expand(&input, all, calls),
        None => single(&input, &calls[0]),
    }
}

/// One call (`call` is its expression), awaited or continued.
fn single(input: &CallInput, call: &TokenStream) -> TokenStream {
    let krate = &input.krate;
    let stub = borrowed_stub(&input.calls[0].stub);
    let stub_span = input.calls[0].stub.span();
    let Some(then) = &input.then else {
        return call_at(quote!(#krate::__private::send), quote!(#stub, #call), stub_span);
    };
    let call_var = Ident::new("__call", Span::mixed_site());
    let typed = quote!(#krate::__private::result_of(&#call_var));
    let receiver = &then.receiver;
    let continuation = match input.durable {
        None => {
            let then::Continuation { statements, var } = then::in_memory(krate, then, typed);
            let send = call_at(quote!(#krate::__private::then), quote!(#receiver, #stub, #call_var, #var), stub_span);
            quote!(#statements #send)
        }
        // A durable call also stores its handler's captured arguments, with the result's
        // place; its bound failures are reported at `durable`.
        Some(durable) => {
            let (then::Continuation { statements, var }, stored) = then::durable(krate, then, typed);
            let (stored, result_at) = (stored.var, stored.result_at);
            let send = call_at(
                quote!(#krate::__private::then_durable),
                quote!(#receiver, #stub, #call_var, #var, #stored, #result_at),
                durable,
            );
            quote!(#statements #send)
        }
    };
    quote! {
        {
            let #call_var = #call;
            #continuation
        }
    }
}
