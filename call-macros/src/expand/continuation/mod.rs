//! `#[continuation]`: parse → model → check → expand, and the `Generator` that emits, next
//! to the impl block (marks removed), one item per function: the structs of the builders
//! and invokers (`structs`), the builders of calls to the `#[callable]` methods
//! (`builders`), the invokers of the `#[handler]`s (`invokers`), the traits and dispatch
//! tables (`traits`), the signatures nested calls check against (`signatures`), and the
//! wasm-bindgen methods the generated JavaScript entry calls (`entry`), with the list of
//! callable methods for JavaScript and TypeScript callers (`js`, `ts`); `data` holds the
//! bounds that keep a type that is not data reported once.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::{ImplItem, ItemImpl, Pat};

use crate::attr::Args;
use crate::check;
use crate::fallback;
use crate::model::impl_block::{self, fnv1a, Impl, Method, Output, Role};

mod builders;
mod data;
mod entry;
mod invokers;
mod js;
mod signatures;
mod structs;
mod traits;
mod ts;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: ItemImpl = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(e) => {
            let e = syn::Error::new(e.span(), "`#[continuation]` goes on an `impl` block of a Durable Object");
            return fallback::item_with_errors(input, e);
        }
    };
    let unmarked = without_marks(&item);
    let args: Args = match syn::parse2(args) {
        Ok(args) => args,
        Err(e) => return fallback::item_with_errors(unmarked.into_token_stream(), e),
    };
    let model = Impl::from_syn(&item);
    let findings = check::impl_block::check(&model);
    if findings.fatal.is_some() {
        let all = findings.all().expect("a fatal error is an error");
        return fallback::item_with_errors(unmarked.into_token_stream(), all);
    }
    let block = fnv1a(item.to_token_stream().to_string().as_bytes()) & 0xff_ffff;
    let generated = Generator {
        model: &model,
        broken: &findings.methods,
        krate: &args.krate,
        durable: args.durable,
        block: format!("{block:06x}"),
    }
    .generate();
    let errors = findings.all().map(|e| e.to_compile_error());
    quote! {
        #unmarked
        #generated
        #errors
    }
}

/// The impl as the user wrote it, without the `#[callable]` and `#[handler]` marks (they
/// are read here, not attributes of their own).
fn without_marks(item: &ItemImpl) -> ItemImpl {
    let mut item = item.clone();
    for member in &mut item.items {
        if let ImplItem::Fn(f) = member {
            f.attrs.retain(|a| impl_block::mark_of(a).is_none());
        }
    }
    item
}

/// Emits one item per function.
struct Generator<'a> {
    model: &'a Impl<'a>,
    /// Per method: the errors that leave it out of the generated items.
    broken: &'a [Option<syn::Error>],
    krate: &'a TokenStream,
    /// `#[continuation(durable)]`: the type makes durable calls.
    durable: bool,
    /// A hash of the block, so that a second `#[continuation]` block of the type conflicts
    /// only in the one impl that says so.
    block: String,
}

impl Generator<'_> {
    fn generate(&self) -> TokenStream {
        let structs = self.structs();
        let builders = self.builders();
        let invokers = self.invokers();
        let traits = self.traits();
        let entry = self.wasm_entry();
        let signatures = self.signatures();
        quote! {
            #structs
            #builders
            #invokers
            #traits
            #entry
            #signatures
        }
    }

    fn type_ident(&self) -> &Ident {
        self.model.self_ident.expect("checked: the self type is a path")
    }

    fn calls_struct(&self) -> Ident {
        format_ident!("__{}_callable_methods_{}", self.type_ident(), self.block)
    }

    fn handlers_struct(&self) -> Ident {
        format_ident!("__{}_handlers_{}", self.type_ident(), self.block)
    }

    /// `name`, a struct of this expansion (the builders', the invokers', the signatures'),
    /// as the type of this object's. These structs are generic over the object so that
    /// their visibility, and that of every impl on them, is the object's own: a private
    /// Durable Object leaks into no public interface (E0446), a `pub` one is usable from
    /// other crates.
    fn of_object(&self, name: &Ident) -> TokenStream {
        let self_ty = &self.model.original.self_ty;
        quote!(#name<#self_ty>)
    }

    /// The value of `self.of_object(name)`.
    fn object_value(&self, name: &Ident) -> TokenStream {
        let self_ty = &self.model.original.self_ty;
        quote!(#name::<#self_ty> { _object: ::core::marker::PhantomData })
    }

    /// The definition of `name`, a struct of this expansion (see `of_object`). Its type
    /// parameter is named after the object, so that rustc's messages about it read
    /// `__Remote_callable_methods_…<Remote>`.
    fn object_struct(&self, name: &Ident, doc: &str) -> TokenStream {
        let mut object = self.type_ident().clone();
        object.set_span(Span::mixed_site());
        quote! {
            #[doc = #doc]
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            pub struct #name<#object> { _object: ::core::marker::PhantomData<fn() -> #object> }
        }
    }

    /// The marker type of handler `method`: its id and name, as a type.
    fn handler_marker(&self, method: &Method<'_>) -> Ident {
        format_ident!("__{}_handler_{}_{}", self.type_ident(), method.name(), self.block)
    }

    /// The methods that passed their checks, with a role.
    fn good(&self, role: Role) -> impl Iterator<Item = &Method<'_>> {
        self.model.methods.iter().zip(self.broken).filter(move |(m, e)| m.role == role && e.is_none()).map(|(m, _)| m)
    }

    /// Parameter names for generated functions: the user's identifiers where they are
    /// plain, so that rustc's notes read like the method.
    fn param_names(method: &Method<'_>) -> Vec<Ident> {
        method
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| match p.pat {
                // The ident itself, not rebuilt from its text: `r#in` stays raw.
                Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => pi.ident.clone(),
                _ => format_ident!("__arg{}", i, span = Span::mixed_site()),
            })
            .collect()
    }

    fn value_and_error(&self, method: &Method<'_>) -> (TokenStream, TokenStream) {
        let krate = self.krate;
        match method.output {
            Output::Unit => (quote!(()), quote!(#krate::__private::Never)),
            Output::Value(t) => (quote!(#t), quote!(#krate::__private::Never)),
            Output::Result { ok, err } => (quote!(#ok), quote!(#err)),
            Output::Message { ok } => (quote!(#ok), quote!(#krate::__private::WorkerError)),
        }
    }
}
