//! `call!(all(stub => Type::method(…), …))`: a fan-in, awaited or continued.
//!
//! ```text
//! // awaited: a future of the tuple of the members' results
//! all((member(&(a), <call 0>), member(&(b), <call 1>)))
//!
//! // with `then`: the calls are built first (their arguments evaluated in order), then the
//! // continuation's captures, then the stubs, as for one call
//! {
//!     let c0 = <call 0>;
//!     let c1 = <call 1>;
//!     let typed = results_of((&c0, &c1));      // the type of $result
//!     let bind = move |k1| move |result| { is(typed, &result); HANDLERS.on_both(result, k1) };
//!     let continuation = bind(tag);
//!     then_all(self, (member(&(a), c0), member(&(b), c1)), continuation)
//! }
//! ```

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;

use super::call::{borrowed_stub, call_at, continuation};
use crate::parse::CallInput;

/// The fan-in of `input`, whose members' calls are `calls`.
pub(crate) fn expand(input: &CallInput, all: Span, calls: Vec<TokenStream>) -> TokenStream {
    let krate = &input.krate;
    let members = |calls: &[TokenStream]| -> Vec<TokenStream> {
        input
            .calls
            .iter()
            .zip(calls)
            .map(|(member, call)| {
                let stub = borrowed_stub(&member.stub);
                call_at(quote!(#krate::__private::member), quote!(#stub, #call), member.stub.span())
            })
            .collect()
    };
    let Some(then) = &input.then else {
        let members = members(&calls);
        return call_at(quote!(#krate::__private::all), quote!((#(#members,)*)), all);
    };
    let vars: Vec<Ident> = (0..calls.len()).map(|i| Ident::new(&format!("__c{i}"), Span::mixed_site())).collect();
    let typed = quote!(#krate::__private::results_of((#(&#vars,)*)));
    let members = members(&vars.iter().map(|v| quote!(#v)).collect::<Vec<_>>());
    let receiver = &then.receiver;
    let send = |k: &Ident| call_at(quote!(#krate::__private::then_all), quote!(#receiver, (#(#members,)*), #k), all);
    let continuation = continuation(krate, then, typed, send);
    quote! {
        {
            #(let #vars = #calls;)*
            #continuation
        }
    }
}
