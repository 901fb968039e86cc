//! `call!`: the awaited form and the fire-and-continue form.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
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
    let stub = &input.stub;
    let mut call = builder(krate, &input.target);
    if let Some(timeout) = &input.timeout {
        call = quote_spanned!(timeout.span()=> #krate::__private::Call::timeout(#call, #timeout));
    }
    let Some(then) = &input.then else {
        return quote! {
            #krate::__private::send(&(#stub), #call)
        };
    };

    // Capture the continuation's arguments now, in order, as data.
    let call_var = Ident::new("__call", Span::mixed_site());
    let this_var = Ident::new("__this", Span::mixed_site());
    let result_var = Ident::new("__result", Span::mixed_site());
    let mut captures = Vec::new();
    let mut passed = Vec::new();
    for (i, arg) in then.args.iter().enumerate() {
        match arg {
            Arg::Expr(expr) => {
                let var = format_ident!("__k{}", i, span = Span::mixed_site().located_at(expr.span()));
                captures.push(quote_spanned! {expr.span()=>
                    let #var = #expr;
                    #krate::__private::assert_data_of(&#var);
                });
                passed.push(quote!(#var));
            }
            Arg::Result(span) => {
                let var = Ident::new("__result", Span::mixed_site().located_at(*span));
                passed.push(quote!(#var));
            }
            Arg::NestedResult(_) => unreachable!("rejected by check::call"),
        }
    }
    let receiver = &then.receiver;
    let method = &then.method;
    let self_ty = quote_spanned!(receiver.span()=> Self);
    let then_ty = quote_spanned!(receiver.span()=> <#self_ty as #krate::__private::Callable>::Then);
    let invoke = quote_spanned!(method.span()=> <#then_ty>::#method(#this_var, #(#passed),*));
    quote! {
        {
            let #call_var = #call;
            #(#captures)*
            #krate::__private::then(#receiver, &(#stub), #call_var, move |#this_var, #result_var| #invoke)
        }
    }
}

/// `<<Type as Callable>::Calls>::method(args…)`, spanned so that an unmarked type is
/// reported at the type, an unknown method at the method, a bad argument at the argument.
fn builder(krate: &TokenStream, target: &Invocation) -> TokenStream {
    let ty = &target.ty;
    let method = &target.method;
    let args = target.args.iter().map(|arg| match arg {
        Arg::Expr(e) => quote!(#e),
        Arg::Result(_) | Arg::NestedResult(_) => unreachable!("rejected by check::call"),
    });
    let calls = quote_spanned!(ty.span()=> <#ty as #krate::__private::Callable>::Calls);
    let paren = target.paren_span;
    let args = quote_spanned!(paren=> (#(#args),*));
    quote_spanned!(method.span()=> <#calls>::#method #args)
}
