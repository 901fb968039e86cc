//! `#[continuation]`: the impl block (marks removed), the builders of calls to its
//! `#[callable]` methods and the invokers of its `#[handler]`s; their traits and dispatch
//! tables are in `traits`, the wasm-bindgen methods the generated JavaScript entry calls in
//! `entry`, the signatures nested calls check against in `signatures`.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{ImplItem, ItemImpl, Pat};

use crate::attr::Args;
use crate::check;
use crate::fallback;
use crate::model::{self, fnv1a, Impl, Method, Output, Role};

mod entry;
mod signatures;
mod traits;

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
    let findings = check::continuation(&model);
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
            f.attrs.retain(|a| model::mark_of(a).is_none());
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

    /// The marker type of handler `method`: its id and name, as a type.
    fn handler_marker(&self, method: &Method<'_>) -> Ident {
        format_ident!("__{}_handler_{}_{}", self.type_ident(), method.name(), self.block)
    }

    /// The methods that passed their checks, with a role.
    fn good(&self, role: Role) -> impl Iterator<Item = &Method<'_>> {
        self.model.methods.iter().zip(self.broken).filter(move |(m, e)| m.role == role && e.is_none()).map(|(m, _)| m)
    }

    fn structs(&self) -> TokenStream {
        let calls = self.calls_struct();
        let handlers = self.handlers_struct();
        let ty = self.type_ident().to_string();
        let krate = self.krate;
        let markers = self.good(Role::Handler).map(|method| {
            let marker = self.handler_marker(method);
            let id = method.id(self.type_ident());
            let name = method.name().to_string();
            let cfgs = &method.cfgs;
            quote! {
                #(#cfgs)*
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                pub struct #marker;

                #(#cfgs)*
                #[automatically_derived]
                impl #krate::__private::Handler for #marker {
                    const ID: &'static str = #id;
                    const NAME: &'static str = #name;
                }
            }
        });
        let calls_doc = format!("Builders of calls to the `#[callable]` methods of [`{ty}`] (used by `call!`).");
        let handlers_doc = format!("Invokers of the `#[handler]`s of [`{ty}`] (used by `call!(…, then …)`).");
        quote! {
            #[doc = #calls_doc]
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            pub struct #calls { _private: () }

            #[doc = #handlers_doc]
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            pub struct #handlers { _private: () }

            #(#markers)*
        }
    }

    /// `where for<'__call_core> T: Data, …` over `types`, each bound spanned at its type.
    ///
    /// The generated items that encode or decode these types carry these bounds, so that
    /// a type that is not data is reported once, by the `assert_data` check at the type,
    /// not again by each body that serializes it. The `for<'__call_core>` is what makes
    /// that work: rustc rejects a where-clause on concrete types that does not hold
    /// (rust-lang/rust#48214), but not one under a binder; inside the item the bound is
    /// assumed, and every caller still has to prove it.
    ///
    /// A type with a lifetime other than `'static` (`Cow<'_, str>`) gets no bound: a
    /// where-clause cannot use `'_`.
    fn data_bounds<'t>(&self, types: impl IntoIterator<Item = &'t syn::Type>) -> TokenStream {
        let krate = self.krate;
        let bounds = types
            .into_iter()
            .filter(|ty| !has_non_static_lifetime(ty.to_token_stream()))
            .map(|ty| quote_spanned!(ty.span()=> for<'__call_core> #ty: #krate::__private::Data));
        quote!(where #(#bounds,)*)
    }

    /// The types of `method` that travel: its parameters' owned forms, its value and error.
    fn data_types<'m>(method: &'m Method<'m>) -> Vec<&'m syn::Type> {
        let outputs: Vec<&syn::Type> = match method.output {
            Output::Unit => vec![],
            Output::Value(t) | Output::Message { ok: t } => vec![t],
            Output::Result { ok, err } => vec![ok, err],
        };
        method.params.iter().filter_map(|p| p.data_type()).chain(outputs).collect()
    }

    /// Parameter names for generated functions: the user's identifiers where they are
    /// plain, so that rustc's notes read like the method.
    fn param_names(method: &Method<'_>) -> Vec<Ident> {
        method
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| match p.pat {
                Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                    Ident::new(&pi.ident.to_string(), pi.ident.span())
                }
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

    /// A method with `method`'s name and parameters whose use is an error saying `why`
    /// (a trait bound that never holds, with its own message): what `call!` finds for a
    /// method that has the other role, or errors of its own.
    ///
    /// `generics` are the refusal's own.
    fn refusal(&self, method: &Method<'_>, why: &str, generics: TokenStream, output: TokenStream) -> TokenStream {
        let krate = self.krate;
        let name = method.name();
        let names = Self::param_names(method);
        let types = method.params.iter().map(|p| p.ty);
        let why = Ident::new(why, Span::call_site());
        let cfgs = &method.cfgs;
        quote_spanned! {name.span()=>
            #(#cfgs)*
            #[doc(hidden)]
            pub fn #name #generics(self, #(#names: #types),*) -> #output
            where
                for<'__call_core> &'__call_core (): #krate::__private::#why,
            {
                #(let _ = #names;)*
                ::core::unreachable!()
            }
        }
    }

    /// One method per callable method, with its parameters (taking `self`, so that rustc
    /// counts arguments as the user wrote them) and spanned at its name (so that rustc's
    /// "defined here" notes point at the user's method).
    fn builders(&self) -> TokenStream {
        let krate = self.krate;
        let calls = self.calls_struct();
        let never = quote!(#krate::__private::Call<#krate::__private::Never, #krate::__private::Never>);
        // A handler's refusal returns a call of any value type, so that a nested call of it
        // reports nothing more than the refusal.
        let any = Ident::new("__T", Span::mixed_site());
        let any_call = quote!(#krate::__private::Call<#any, #krate::__private::Never>);
        let fns = self.model.methods.iter().zip(self.broken).map(|(method, broken)| {
            if broken.is_some() {
                return self.refusal(method, "MethodHasErrors", TokenStream::new(), never.clone());
            }
            if method.role == Role::Handler {
                return self.refusal(method, "HandlerIsNotCallable", quote!(<#any>), any_call.clone());
            }
            let name = method.name();
            let id = method.id(self.type_ident());
            let names = Self::param_names(method);
            let types = method.params.iter().map(|p| p.ty);
            let (value, error) = self.value_and_error(method);
            let bounds = self.data_bounds(method.params.iter().filter_map(|p| p.data_type()));
            let args = if names.is_empty() { quote!(&[(); 0]) } else { quote!(&(#(#names,)*)) };
            let doc = format!("Builds a call of [`{}::{name}`] (method id `{id}`).", self.type_ident());
            let cfgs = &method.cfgs;
            quote_spanned! {name.span()=>
                #(#cfgs)*
                #[doc = #doc]
                pub fn #name(self, #(#names: #types),*) -> #krate::__private::Call<#value, #error> #bounds {
                    #krate::__private::Call::new(#id, #args)
                }
            }
        });
        quote! {
            // `dead_code`: a method that is never called leaves its builder unused, and rustc
            // would report it at the method's name. The clippy lints: these mirror the user's
            // methods, whose names and argument counts are theirs to choose (and lint), and
            // take a handle `self` by value.
            #[allow(unused_qualifications, non_snake_case, dead_code, unreachable_code, clippy::needless_lifetimes)]
            #[allow(clippy::too_many_arguments, clippy::wrong_self_convention, clippy::new_ret_no_self)]
            #[allow(clippy::should_implement_trait, clippy::extra_unused_lifetimes)]
            impl #calls {
                #(#fns)*
            }
        }
    }

    /// One method per handler: binds its arguments (all but the result, which `call!`
    /// passes later) into a resumption that runs it on the object.
    fn invokers(&self) -> TokenStream {
        let krate = self.krate;
        let handlers = self.handlers_struct();
        let self_ty = &self.model.original.self_ty;
        let never = quote!(#krate::__private::Resume<#self_ty, #krate::__private::NoHandler, fn(&#self_ty)>);
        let fns = self.model.methods.iter().zip(self.broken).map(|(method, broken)| {
            if broken.is_some() {
                return self.refusal(method, "MethodHasErrors", TokenStream::new(), never.clone());
            }
            if method.role == Role::Callable {
                return self.refusal(method, "CallableIsNotAHandler", TokenStream::new(), never.clone());
            }
            let name = method.name();
            let marker = self.handler_marker(method);
            let names = Self::param_names(method);
            let types: Vec<_> = method.params.iter().map(|p| p.ty).collect();
            let this = Ident::new("__this", Span::mixed_site());
            let output = match &method.original.sig.output {
                syn::ReturnType::Default => quote!(()),
                syn::ReturnType::Type(_, t) => quote!(#t),
            };
            // `report::<R>` at the return type: a handler returning a value is reported
            // there, once.
            let report = quote_spanned!(method.output_span()=> #krate::__private::report::<#output>);
            let cfgs = &method.cfgs;
            if method.is_async() {
                quote_spanned! {name.span()=>
                    #(#cfgs)*
                    #[doc(hidden)]
                    pub fn #name(self, #(#names: #types),*) -> #krate::__private::ResumeAsync<
                        #self_ty,
                        #marker,
                        impl for<'__a> ::core::ops::FnOnce(&'__a #self_ty) -> #krate::__private::LocalBoxFuture<'__a, ()> + 'static,
                    > {
                        #krate::__private::resume_async::<#self_ty, #marker, _>(move |#this: &#self_ty| -> #krate::__private::LocalBoxFuture<'_, ()> {
                            ::std::boxed::Box::pin(async move {
                                #report(#this.#name(#(#names),*).await)
                            })
                        })
                    }
                }
            } else {
                quote_spanned! {name.span()=>
                    #(#cfgs)*
                    #[doc(hidden)]
                    pub fn #name(self, #(#names: #types),*) -> #krate::__private::Resume<
                        #self_ty,
                        #marker,
                        impl ::core::ops::FnOnce(&#self_ty) + 'static,
                    > {
                        #krate::__private::resume::<#self_ty, #marker, _>(move |#this: &#self_ty| {
                            #report(#this.#name(#(#names),*))
                        })
                    }
                }
            }
        });
        quote! {
            #[allow(unused_qualifications, non_snake_case, dead_code, unreachable_code)]
            #[allow(clippy::too_many_arguments, clippy::wrong_self_convention, clippy::new_ret_no_self)]
            #[allow(clippy::should_implement_trait, clippy::unit_arg)]
            impl #handlers {
                #(#fns)*
            }
        }
    }
}

/// Whether `tokens` contain a lifetime other than `'static`.
fn has_non_static_lifetime(tokens: TokenStream) -> bool {
    let mut after_quote = false;
    for tt in tokens {
        match tt {
            TokenTree::Punct(p) => after_quote = p.as_char() == '\'',
            TokenTree::Ident(i) if after_quote => {
                if i != "static" {
                    return true;
                }
                after_quote = false;
            }
            TokenTree::Group(g) => {
                if has_non_static_lifetime(g.stream()) {
                    return true;
                }
                after_quote = false;
            }
            _ => after_quote = false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::has_non_static_lifetime;
    use quote::quote;

    #[test]
    fn finds_lifetimes_a_where_clause_cannot_name() {
        assert!(has_non_static_lifetime(quote!(Cow<'_, str>)));
        assert!(has_non_static_lifetime(quote!(Vec<(u8, Cow<'a, str>)>)));
        assert!(!has_non_static_lifetime(quote!(Cow<'static, str>)));
        assert!(!has_non_static_lifetime(quote!(Result<Vec<u8>, String>)));
    }
}
