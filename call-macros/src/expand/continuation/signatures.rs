//! For nested calls: per `#[callable]` method, its signature (`call_core::pipeline::Sig`):
//! the method id, what each parameter takes from a nested call, the parameters as
//! declared, the value and error types. `call!` reaches them through the builders' struct
//! (`<<T as Continuation>::Calls as Signatures>::SIGS`), so a type without
//! `#[continuation]` is reported once, as for a plain call.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use super::Generator;
use crate::model::impl_block::Role;

impl Generator<'_> {
    fn sigs_struct(&self) -> Ident {
        format_ident!("__{}_signatures_{}", self.type_ident(), self.block)
    }

    /// The signatures' struct, one method per marked method (a handler's or a broken
    /// method's refuses to be used, as its builder does), and their `Signatures` impl.
    pub(super) fn signatures(&self) -> TokenStream {
        let krate = self.krate;
        let sigs_struct = self.sigs_struct();
        let sigs = self.of_object(&sigs_struct);
        let sigs_value = self.object_value(&sigs_struct);
        let calls = self.of_object(&self.calls_struct());
        let sig = quote!(#krate::__private::pipeline::Sig);
        let fns = self.model.methods.iter().zip(self.broken).map(|(method, broken)| {
            let name = method.name();
            let cfgs = &method.cfgs;
            let owned: Vec<TokenStream> = method.params.iter().map(|p| p.owned()).collect();
            let types = method.params.iter().map(|p| p.ty);
            let shape = quote!((#(fn(#owned),)*), fn(#(#types),*));
            let refuse = |why: &str, shape: TokenStream| {
                let why = Ident::new(why, proc_macro2::Span::call_site());
                quote_spanned! {name.span()=>
                    #(#cfgs)*
                    #[doc(hidden)]
                    pub fn #name(self) -> #sig<#shape, #krate::__private::Never, #krate::__private::Never>
                    where
                        for<'__call_core> &'__call_core (): #krate::__private::#why,
                    {
                        ::core::unreachable!()
                    }
                }
            };
            if broken.is_some() {
                // Its parameter types may not even be types (`impl Trait`).
                return refuse("MethodHasErrors", quote!((), fn()));
            }
            if method.role == Role::Handler {
                return refuse("HandlerIsNotCallable", shape);
            }
            let id = method.id(self.type_ident());
            let (value, error) = self.value_and_error(method);
            let bounds = self.data_bounds(method.params.iter().filter_map(|p| p.data_type()));
            let ignore = owned.iter().map(|_| quote!(|_| {}));
            let check = owned.iter().map(|_| quote!(_));
            let doc = format!("The signature of [`{}::{name}`] for nested calls.", self.type_ident());
            quote_spanned! {name.span()=>
                #(#cfgs)*
                #[doc = #doc]
                pub fn #name(self) -> #sig<#shape, #value, #error> #bounds {
                    #sig::new(#id, (#(#ignore,)*), |#(#check),*| {})
                }
            }
        });
        let doc =
            format!("Signatures of the `#[callable]` methods of [`{}`] (used by nested `call!`s).", self.type_ident());
        let definition = self.object_struct(&sigs_struct, &doc);
        quote! {
            #definition

            #[allow(unused_qualifications, non_snake_case, dead_code, unreachable_code, clippy::needless_lifetimes)]
            #[allow(private_interfaces, private_bounds)]
            #[allow(clippy::too_many_arguments, clippy::wrong_self_convention, clippy::new_ret_no_self)]
            #[allow(clippy::should_implement_trait, clippy::extra_unused_lifetimes, clippy::type_complexity)]
            impl #sigs {
                #(#fns)*
            }

            #[allow(unused_qualifications)]
            #[automatically_derived]
            impl #krate::__private::pipeline::Signatures for #calls {
                type Sigs = #sigs;
                const SIGS: #sigs = #sigs_value;
            }
        }
    }
}
