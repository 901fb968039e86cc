//! `#[remote]`: a JavaScript Durable Object's methods, declared as a trait, become a type
//! that `call!` calls like a `#[continuation]` type, each call a plain RPC of the method by
//! its JavaScript name (`call_core::Call::by_name`).
//!
//! ```text
//! #[remote] pub trait JsCounter { fn add(&self, n: u64) -> u64; }
//! // becomes
//! pub enum JsCounter {}                                     // the trait's docs and name
//! pub struct __JsCounter_remote_methods { … }              // the builders: what call! uses
//! impl __JsCounter_remote_methods {
//!     pub fn add(self, n: u64) -> Call<u64, Never> { Call::by_name("add", "JsCounter::add", &(n,)) }
//! }
//! pub struct __JsCounter_remote_signatures { … }           // a nested call of one: refused
//! impl Continuation for JsCounter { type Calls = __JsCounter_remote_methods; type Callee = JsObject; … }
//! ```

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{ParseStream, Parser};
use syn::{ItemTrait, Path, Token};

use crate::check;
use crate::fallback;
use crate::model::remote::{is_js_name, Remote, RemoteMethod};

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: ItemTrait = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(e) => {
            let e = syn::Error::new(
                e.span(),
                "`#[remote]` goes on a trait declaring a JavaScript Durable Object's methods: \
                 `#[remote] trait JsCounter { fn add(&self, n: u64) -> u64; }`",
            );
            return fallback::item_with_errors(input, e);
        }
    };
    let krate = match krate(args) {
        Ok(krate) => krate,
        Err(e) => return fallback::item_with_errors(input, e),
    };
    let model = Remote::from_syn(&item);
    let findings = check::remote::check(&model);
    let generated = generate(&model, &findings.broken, &krate);
    let errors = findings.errors.map(|e| e.to_compile_error());
    quote!(#generated #errors)
}

/// `crate = path`, or `::call_core`.
fn krate(args: TokenStream) -> syn::Result<TokenStream> {
    if args.is_empty() {
        return Ok(quote!(::call_core));
    }
    let parser = |input: ParseStream<'_>| {
        input.parse::<Token![crate]>()?;
        input.parse::<Token![=]>()?;
        input.parse::<Path>()
    };
    parser
        .parse2(args)
        .map(|path| quote!(#path))
        .map_err(|e| syn::Error::new(e.span(), "`#[remote]` takes one argument, `crate = path`"))
}

fn generate(model: &Remote<'_>, broken: &[bool], krate: &TokenStream) -> TokenStream {
    let original = model.original;
    let (vis, ident) = (&original.vis, model.ident());
    let docs = original.attrs.iter().filter(|a| !is_js_name(a));
    let calls = format_ident!("__{}_remote_methods", ident);
    let sigs = format_ident!("__{}_remote_signatures", ident);
    let (builders, refusals): (Vec<TokenStream>, Vec<TokenStream>) = model
        .methods
        .iter()
        .zip(broken)
        .map(|(method, broken)| (builder(method, *broken, ident, krate), signature(method, *broken, krate)))
        .unzip();
    let private = Ident::new("__private", Span::mixed_site());
    quote! {
        #(#docs)*
        #vis enum #ident {}

        #[doc(hidden)]
        #[allow(non_camel_case_types, unreachable_pub)]
        #vis struct #calls { #private: () }

        #[allow(non_snake_case, dead_code, unreachable_code, unreachable_pub, clippy::too_many_arguments)]
        #[allow(clippy::wrong_self_convention, clippy::new_ret_no_self, clippy::should_implement_trait)]
        impl #calls {
            #(#builders)*
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types, unreachable_pub)]
        #vis struct #sigs { #private: () }

        #[allow(non_snake_case, dead_code, unreachable_code, unreachable_pub, clippy::type_complexity)]
        #[allow(clippy::wrong_self_convention, clippy::new_ret_no_self, clippy::should_implement_trait)]
        impl #sigs {
            #(#refusals)*
        }

        #[automatically_derived]
        impl #krate::__private::pipeline::Signatures for #calls {
            type Sigs = #sigs;
            const SIGS: #sigs = #sigs { #private: () };
        }

        #[automatically_derived]
        impl #krate::__private::Continuation for #ident {
            type Calls = #calls;
            type Handlers = ();
            const CALLS: #calls = #calls { #private: () };
            const HANDLERS: () = ();
            const HANDLER_IDS: &'static [&'static str] = &[];
            type Callee = #krate::__private::JsObject;
        }
    }
}

/// The parameters' names in the builder: `__a0`, `__a1`, … at the user's patterns.
fn param_names(method: &RemoteMethod<'_>) -> Vec<Ident> {
    use syn::spanned::Spanned;
    method.params.iter().enumerate().map(|(i, p)| Ident::new(&format!("__a{i}"), p.pat.span())).collect()
}

/// The builder of `method`: a call of it by its JavaScript name, or, for a method with an
/// error, a refusal taking any arguments (the error is reported at the declaration).
fn builder(method: &RemoteMethod<'_>, broken: bool, ident: &Ident, krate: &TokenStream) -> TokenStream {
    let name = method.name();
    let names = param_names(method);
    let attrs = method.kept_attrs();
    if broken {
        let generics: Vec<Ident> =
            (0..names.len()).map(|i| format_ident!("__A{}", i, span = Span::mixed_site())).collect();
        let generics_list = if generics.is_empty() { quote!() } else { quote!(<#(#generics),*>) };
        return quote_spanned! {name.span()=>
            #(#attrs)*
            #[doc(hidden)]
            pub fn #name #generics_list(self, #(#names: #generics),*)
                -> #krate::__private::Call<#krate::__private::Never, #krate::__private::Never>
            where
                for<'__call_core> &'__call_core (): #krate::__private::MethodHasErrors,
            {
                #(let _ = #names;)*
                ::core::unreachable!()
            }
        };
    }
    let types = method.params.iter().map(|p| p.ty);
    let value = match method.value {
        Some(ty) => quote!(#ty),
        None => quote!(()),
    };
    let (js_name, _) = method.js_name();
    let id = format!("{ident}::{name}");
    let args = if names.is_empty() { quote!(&[(); 0]) } else { quote!(&(#(#names,)*)) };
    let doc = format!("Builds a call of the JavaScript method `{js_name}` (declared as [`{ident}::{name}`]).");
    quote_spanned! {name.span()=>
        #(#attrs)*
        #[doc = #doc]
        pub fn #name(self, #(#names: #types),*) -> #krate::__private::Call<#value, #krate::__private::Never>
        where
            #value: #krate::__private::Data,
        {
            #krate::__private::Call::by_name(#js_name, #id, #args)
        }
    }
}

/// The signature of `method` for nested calls: a refusal, whose bound names why.
fn signature(method: &RemoteMethod<'_>, broken: bool, krate: &TokenStream) -> TokenStream {
    let name = method.name();
    let shape = if broken {
        quote!((), fn())
    } else {
        let owned = method.params.iter().map(|p| p.owned());
        let types = method.params.iter().map(|p| p.ty);
        quote!((#(fn(#owned),)*), fn(#(#types),*))
    };
    let why = if broken { quote!(MethodHasErrors) } else { quote!(RemoteRunsNoPlans) };
    let cfgs = method.original.attrs.iter().filter(|a| a.path().is_ident("cfg"));
    quote_spanned! {name.span()=>
        #(#cfgs)*
        #[doc(hidden)]
        pub fn #name(self) -> #krate::__private::pipeline::Sig<#shape, #krate::__private::Never, #krate::__private::Never>
        where
            for<'__call_core> &'__call_core (): #krate::__private::#why,
        {
            ::core::unreachable!()
        }
    }
}
