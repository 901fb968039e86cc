//! The types `#[continuation]` defines: the struct of the builders of calls to the
//! `#[callable]` methods, the struct of the invokers of the `#[handler]`s (both generic
//! over the object, see `Generator::of_object`), and per handler a marker type carrying its
//! id and name.

use proc_macro2::TokenStream;
use quote::quote;

use super::Generator;
use crate::model::impl_block::Role;

impl Generator<'_> {
    pub(super) fn structs(&self) -> TokenStream {
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
        let calls = self.object_struct(&calls, &calls_doc);
        let handlers = self.object_struct(&handlers, &handlers_doc);
        quote! {
            #calls
            #handlers
            #(#markers)*
        }
    }
}
