//! The checks of a `#[remote]` trait: a declaration of a JavaScript Durable Object's methods,
//! each taking `&self` and data, without a body, returning the value's type (its errors are
//! JavaScript exceptions), under a JavaScript name that a stub does not already give a
//! meaning. Each error is spanned at the offending token; a method with one is left out.

use std::collections::HashMap;

use syn::{Error, FnArg};

use super::js_name::is_taken;
use super::Errors;
use crate::model::impl_block::{result_parts, Form};
use crate::model::remote::{Remote, RemoteMethod};

/// What the checks found: all errors, and per method whether it has one.
pub(crate) struct Findings {
    pub(crate) errors: Option<Error>,
    pub(crate) broken: Vec<bool>,
}

pub(crate) fn check(model: &Remote<'_>) -> Findings {
    let mut errors = Errors::default();
    let original = model.original;
    if let Some(token) = original.unsafety {
        errors.push(Error::new(
            token.span,
            "a `#[remote]` trait declares a JavaScript Durable Object: it is not `unsafe`",
        ));
    }
    if let Some(token) = original.auto_token {
        errors.push(Error::new(token.span, "a `#[remote]` trait cannot be an `auto` trait"));
    }
    if !original.generics.params.is_empty() || original.generics.where_clause.is_some() {
        errors.push(Error::new_spanned(
            &original.generics,
            "a `#[remote]` trait has no generics: it declares one JavaScript class's methods",
        ));
    }
    if !original.supertraits.is_empty() {
        errors.push(Error::new_spanned(&original.supertraits, "a `#[remote]` trait has no supertraits"));
    }
    for item in &model.others {
        errors.push(Error::new_spanned(
            item,
            "a `#[remote]` trait declares methods only: those of the JavaScript Durable Object that `call!` calls",
        ));
    }
    let mut names: HashMap<String, &syn::Ident> = HashMap::new();
    let broken = model
        .methods
        .iter()
        .map(|method| {
            let mut mine = Errors::default();
            check_method(method, &mut mine);
            let (js_name, span) = method.js_name();
            if let Some(first) = names.insert(js_name.clone(), method.name()) {
                mine.push(Error::new(
                    span,
                    format!("`{first}` is called `{js_name}` in JavaScript already: each method needs its own name"),
                ));
            }
            match mine.finish() {
                Ok(()) => false,
                Err(e) => {
                    errors.push(e);
                    true
                }
            }
        })
        .collect();
    Findings { errors: errors.finish().err(), broken }
}

fn check_method(method: &RemoteMethod<'_>, errors: &mut Errors) {
    let sig = &method.original.sig;
    if let Some(body) = &method.original.default {
        errors.push(Error::new_spanned(
            body,
            "a `#[remote]` method has no body: it runs in the JavaScript Durable Object; end the declaration with `;`",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(Error::new_spanned(
            &sig.generics,
            "a `#[remote]` method has no generics: its types are what travels",
        ));
    }
    if let Some(token) = &sig.unsafety {
        errors.push(Error::new(token.span, "a `#[remote]` method is not `unsafe`"));
    }
    if let Some(token) = &sig.constness {
        errors.push(Error::new(token.span, "a `#[remote]` method is not `const`: it is called over RPC"));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(Error::new_spanned(variadic, "a `#[remote]` method is not variadic"));
    }
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) if r.reference.as_ref().is_some_and(|(_, l)| l.is_none()) && r.mutability.is_none() => {}
        Some(FnArg::Receiver(r)) => errors.push(Error::new_spanned(
            r,
            "a `#[remote]` method takes `&self`: a call of a JavaScript object's method, which changes its state itself",
        )),
        _ => errors.push(Error::new(
            sig.ident.span(),
            "a `#[remote]` method takes `&self` first: it is a method of the JavaScript object (`fn name(&self, …)`)",
        )),
    }
    for param in &method.params {
        if let Form::Unsupported(r) = param.form {
            errors.push(Error::new_spanned(
                r,
                "a `#[remote]` method's parameter is data, or borrows it plainly (`&str`, `&[T]`, `&T`): \
                 not `&mut` nor with a named lifetime",
            ));
        }
    }
    if let Some(value) = method.value {
        if result_parts(value).is_some() {
            errors.push(Error::new_spanned(
                value,
                "a JavaScript method's errors are exceptions, which arrive as `CallError::Remote` (kind `Exception`): \
                 declare the type of its value only",
            ));
        }
    }
    match &method.js_name {
        Some(Err(e)) => errors.push(e.clone()),
        Some(Ok(lit)) if lit.value().is_empty() => errors.push(Error::new(lit.span(), "`js_name` cannot be empty")),
        _ => {}
    }
    let (js_name, span) = method.js_name();
    if is_taken(&js_name) {
        errors.push(Error::new(
            span,
            format!(
                "`{js_name}` cannot be called as a method by name: a Durable Object stub gives it its own meaning \
                 (or it is call-core's entry); declare another method"
            ),
        ));
    }
}
