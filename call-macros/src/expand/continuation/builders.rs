//! The builders of calls to the `#[callable]` methods (what `call!` uses): one method per
//! marked method, with its parameters, returning a typed `Call`; a method with the other
//! role or with errors gets a refusal instead, so that its use is one clear error.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};

use super::Generator;
use crate::model::impl_block::{Method, Role};

impl Generator<'_> {
    /// A method with `method`'s name and parameters whose use is an error saying `why`
    /// (a trait bound that never holds, with its own message): what `call!` finds for a
    /// method that has the other role.
    ///
    /// `generics` are the refusal's own.
    pub(super) fn refusal(
        &self,
        method: &Method<'_>,
        why: &str,
        generics: TokenStream,
        output: TokenStream,
    ) -> TokenStream {
        let types = method.params.iter().map(|p| p.ty.to_token_stream()).collect();
        self.refusal_with(method, why, generics, types, output)
    }

    /// The refusal of a method that `#[continuation]` reported errors for. Its parameter
    /// types may not be usable outside the method (`&'a str` names the method's own
    /// lifetime), so each parameter takes any type: a call of it is one error, the
    /// refusal's, whatever its arguments.
    pub(super) fn broken_refusal(&self, method: &Method<'_>, output: TokenStream) -> TokenStream {
        let types: Vec<TokenStream> = (0..method.params.len())
            .map(|i| {
                let param = format_ident!("__A{}", i, span = Span::mixed_site());
                quote!(#param)
            })
            .collect();
        let generics = if types.is_empty() { TokenStream::new() } else { quote!(<#(#types),*>) };
        self.refusal_with(method, "MethodHasErrors", generics, types, output)
    }

    fn refusal_with(
        &self,
        method: &Method<'_>,
        why: &str,
        generics: TokenStream,
        types: Vec<TokenStream>,
        output: TokenStream,
    ) -> TokenStream {
        let krate = self.krate;
        let name = method.name();
        let names = Self::param_names(method);
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
    pub(super) fn builders(&self) -> TokenStream {
        let krate = self.krate;
        let calls = self.of_object(&self.calls_struct());
        let never = quote!(#krate::__private::Call<#krate::__private::Never, #krate::__private::Never>);
        // A handler's refusal returns a call of any value type, so that a nested call of it
        // reports nothing more than the refusal.
        let any = Ident::new("__T", Span::mixed_site());
        let any_call = quote!(#krate::__private::Call<#any, #krate::__private::Never>);
        let fns = self.model.methods.iter().zip(self.broken).map(|(method, broken)| {
            if broken.is_some() {
                return self.broken_refusal(method, never.clone());
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
            // take a handle `self` by value. `private_*`: the builders are as visible as the
            // object; a data type more private than a `pub` object is the user's choice, and
            // only code that can name it can call the method.
            #[allow(unused_qualifications, non_snake_case, dead_code, unreachable_code, clippy::needless_lifetimes)]
            #[allow(private_interfaces, private_bounds)]
            #[allow(clippy::too_many_arguments, clippy::wrong_self_convention, clippy::new_ret_no_self)]
            #[allow(clippy::should_implement_trait, clippy::extra_unused_lifetimes)]
            impl #calls {
                #(#fns)*
            }
        }
    }
}
