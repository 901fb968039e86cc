//! Code generation: `continuation` for `#[continuation]`; `call` for `call!`, with
//! `fanin`, `nested` and `then` for its parts and `spans` for where its tokens are located.
//! Each macro's `expand` runs its whole pipeline (parse → model → check → expand) and falls
//! back to the user's tokens plus the errors (`crate::fallback`).

pub(crate) mod call;
pub(crate) mod continuation;
mod fanin;
mod nested;
pub(crate) mod remote;
mod spans;
mod then;

#[cfg(test)]
mod tests {
    use proc_macro2::{TokenStream, TokenTree};
    use quote::quote;

    /// Whether `tokens` name `ident` anywhere.
    fn names(tokens: TokenStream, ident: &str) -> bool {
        tokens.into_iter().any(|tt| match tt {
            TokenTree::Ident(i) => i == ident,
            TokenTree::Group(g) => names(g.stream(), ident),
            _ => false,
        })
    }

    #[test]
    fn a_renamed_crate_is_the_only_path_used() {
        let item = quote! {
            impl Remote {
                #[callable]
                pub async fn add(&self, a: i64) -> Result<i64, String> { Ok(a) }
                #[handler]
                pub fn on_sum(&self, sum: Result<i64, CallError<Never>>, op: u32) {}
            }
        };
        let expanded = super::continuation::expand(quote!(crate = ::renamed), item.clone());
        assert!(names(expanded.clone(), "renamed") && !names(expanded, "call_core"));
        assert!(names(super::continuation::expand(TokenStream::new(), item), "call_core"));

        let call = super::call::expand(quote!(::renamed; stub, Remote::add(1), then self.on_sum($result, 2)));
        assert!(names(call.clone(), "renamed") && !names(call, "call_core"));
        let awaited = super::call::expand(quote!(::renamed; stub, Remote::add(1), timeout = d));
        assert!(names(awaited.clone(), "renamed") && !names(awaited, "call_core"));
        let nested =
            super::call::expand(quote!(::renamed; stub, Remote::add(Remote::add(1)), then self.on_sum($result, 2)));
        assert!(names(nested.clone(), "renamed") && !names(nested, "call_core"));
        let fan_in = super::call::expand(
            quote!(::renamed; all(a => Remote::add(Remote::add(1)), b => R::m()), then self.k($result)),
        );
        assert!(names(fan_in.clone(), "renamed") && !names(fan_in, "call_core"));
        let fan_in = super::call::expand(quote!(::renamed; all(a => Remote::add(1)), timeout = d));
        assert!(names(fan_in.clone(), "renamed") && !names(fan_in, "call_core"));
    }
}
