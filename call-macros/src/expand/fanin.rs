//! `call!(all(stub => Type::method(…), …))`: a fan-in, awaited or continued.
//!
//! ```text
//! // awaited: the calls built and sent in order, then a future of their results
//! all((send(&(a), <call 0>), send(&(b), <call 1>)))
//!
//! // with `then`: the calls are built first (their arguments evaluated in order), then the
//! // continuation's captures, then the caller's object is found (before anything is sent),
//! // then the stubs are evaluated and the calls sent
//! {
//!     let c0 = <call 0>;
//!     let c1 = <call 1>;
//!     let typed = results_of((&c0, &c1));      // the type of $result
//!     let bind = move |k1| move |result| { is(typed, &result); HANDLERS.on_both(result, k1) };
//!     let continuation = bind(tag);
//!     let caller = caller(self);
//!     then_all(caller, (send(&(a), c0), send(&(b), c1)), continuation)
//! }
//! ```

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;

use super::spans::{borrowed_stub, call_at};
use super::then;
use crate::parse::CallInput;

/// The fan-in of `input`, whose members' calls are `calls`.
pub(super) fn expand(input: &CallInput, all: Span, calls: Vec<TokenStream>) -> TokenStream {
    let krate = &input.krate;
    let Some(then) = &input.then else {
        let sends = sends(input, &calls);
        return call_at(quote!(#krate::__private::all), quote!((#(#sends,)*)), all);
    };
    let vars: Vec<Ident> = (0..calls.len()).map(|i| Ident::new(&format!("__c{i}"), Span::mixed_site())).collect();
    let typed = quote!(#krate::__private::results_of((#(&#vars,)*)));
    let receiver = &then.receiver;
    let continuation = match input.durable {
        None => {
            let then::Continuation { statements, var } = then::in_memory(krate, then, typed);
            let sends = sends(input, &vars.iter().map(|v| quote!(#v)).collect::<Vec<_>>());
            let caller = Ident::new("__caller", Span::mixed_site());
            let find = call_at(quote!(#krate::__private::caller), quote!(#receiver), all);
            let then_all = call_at(quote!(#krate::__private::then_all), quote!(#caller, (#(#sends,)*), #var), all);
            quote! {
                #statements
                {
                    let #caller = #find;
                    #then_all
                }
            }
        }
        // Durable: each member is sent as a durable call of the fan-in (its row first), and
        // the fan-in's own row is written with the continuation (see call_core::durable).
        Some(durable) => {
            let (then::Continuation { statements, var }, stored) = then::durable(krate, then, typed);
            let (stored, result_at) = (stored.var, stored.result_at);
            let fan = Ident::new("__fan", Span::mixed_site());
            let size = Literal::u32_unsuffixed(calls.len() as u32);
            let find = call_at(
                quote!(#krate::__private::durable_fan),
                quote!(#receiver, &#var, &#stored, #result_at, #size),
                durable,
            );
            let sends = input.calls.iter().zip(&vars).enumerate().map(|(i, (member, var))| {
                let stub = borrowed_stub(&member.stub);
                let i = Literal::u32_unsuffixed(i as u32);
                quote!(#fan.send(#stub, #var, #i))
            });
            let members = Ident::new("__members", Span::mixed_site());
            let then_all =
                call_at(quote!(#krate::__private::then_all_durable), quote!(#fan, #members, #var, #stored), durable);
            quote! {
                #statements
                {
                    let #fan = #find;
                    let #members = (#(#sends,)*);
                    #then_all
                }
            }
        }
    };
    quote! {
        {
            #(let #vars = #calls;)*
            #continuation
        }
    }
}

/// Each member sent as a single call is: a stub that is not a `Transport` is reported at
/// the stub, once.
fn sends(input: &CallInput, calls: &[TokenStream]) -> Vec<TokenStream> {
    let krate = &input.krate;
    input
        .calls
        .iter()
        .zip(calls)
        .map(|(member, call)| {
            let stub = borrowed_stub(&member.stub);
            call_at(quote!(#krate::__private::send), quote!(#stub, #call), member.stub.span())
        })
        .collect()
}
