//! Nested calls: how `call!` joins calls to one object into one plan, and which error type
//! the caller gets.
//!
//! `call!(r, Remote::add(Remote::add(1, 2), 3))` builds the inner call as usual (a one-step
//! [`Call`]), then the outer one with a [`Pipe`]: the inner call's steps come first, and
//! the outer step takes argument 0 from the inner call's last step. One envelope, one RPC;
//! the callee runs the steps in order, feeding each result forward, and answers with the
//! last one's, or stops at the first step that fails.
//!
//! # Which argument is a nested call
//! In argument position, a call written `Type::method(args…)` with exactly the path of the
//! outer call's type runs on the callee as a step of the same plan; every other expression
//! is evaluated by the caller, as in any call. A block forces the caller's side:
//! `Remote::add({ Remote::helper(x) }, 3)` calls `helper` here.
//!
//! # Types
//! rustc checks a nested call like a plain one, plus the type it feeds: the inner call's
//! value must be the outer parameter's type, in its owned form (a call returning `String`
//! feeds a `&str` parameter, `Vec<T>` a `&[T]`, `T` a `&T`, `Option<String>` an
//! `Option<&str>`, `Option<T>` an `Option<&T>`). A mismatch is reported at the inner call.
//!
//! # Errors
//! The first method that can fail, in writing order (the outer method, then its nested
//! calls from left to right, each read the same way), gives the error type `E` of the whole
//! call: `Remote::add(Remote::add(1, 2), 3)` fails with `CallError<MathError>`,
//! `Remote::len(Remote::divide(6, 3))` (an infallible `len`) with `CallError<MathError>`
//! too, `Remote::len(Remote::upper(s))` with `CallError<Never>`. Every other nested call
//! that can fail must fail with an error that converts into the error type of the call it
//! feeds (`From`, as `?` requires), else rustc reports [`ChainsFrom`] at that nested call.
//!
//! At run time the callee stops at the first failing step and names it
//! (`{"err":{"step":{"at":0,"app":…}}}`, see [`wire`](crate::wire)); the caller decodes the
//! error with that step's own type and converts it along the nesting. A callee's panic,
//! a decode error or a limit in any step is a [`CallError::Remote`](crate::CallError::Remote)
//! as for a single call.
//!
//! The selection of the error type is resolved by rustc at the call site (with the types
//! concrete there) by method resolution through references ("autoref specialization"):
//! [`probe`] and the three `Probe…` traits pick one of [`TakeInner`], [`KeepOuter`] and
//! [`Convert`], whose [`Join`] impl gives the joined error type.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Never;
use crate::plan::{Call, Plan, Step, StepErrors};

/// A callable method as a nested call sees it: its method id, per parameter the type a
/// nested call must produce for it (`P`, a tuple of `fn(Owned)`: the owned form of a
/// borrowed parameter), its parameters as declared (`C`, a `fn` of them, to check the
/// caller's values exactly as a plain call does), its value `T` and error `E`.
///
/// `#[continuation]` generates one per `#[callable]` method; `call!` calls `check` and
/// `params` only in code that never runs, where rustc reports mismatches at the user's
/// tokens.
pub struct Sig<P, C, T, E> {
    id: &'static str,
    /// Per parameter, a `fn` taking what a nested call must produce for it.
    pub params: P,
    /// A `fn` taking the parameters as declared.
    pub check: C,
    _types: PhantomData<fn() -> (T, E)>,
}

impl<P, C, T, E> Sig<P, C, T, E> {
    /// The signature of the method `id`.
    pub fn new(id: &'static str, params: P, check: C) -> Self {
        Sig { id, params, check, _types: PhantomData }
    }
}

/// The signatures of a type's callable methods (one method each, named like it, returning
/// its [`Sig`]), implemented by `#[continuation]` on the type's builders.
pub trait Signatures {
    /// The signatures.
    type Sigs;
    /// The signatures.
    const SIGS: Self::Sigs;
}

/// The value of `call`, as a type. Only in code that never runs (`if false`), for checks.
pub fn output<T, E>(call: &Call<T, E>) -> T {
    let _ = call;
    unreachable!("call-core: `pipeline::output` is for type checks only")
}

/// A value of the type of `value`. Only in code that never runs, for checks.
pub fn value_like<T>(value: &T) -> T {
    let _ = value;
    unreachable!("call-core: `pipeline::value_like` is for type checks only")
}

/// A value of any type. Only in code that never runs, for checks.
pub fn any<T>() -> T {
    unreachable!("call-core: `pipeline::any` is for type checks only")
}

/// Builds the outer step of a nested call: its arguments in order, each a value the caller
/// encodes now or a nested [`Call`] whose steps run first on the callee.
#[must_use = "finish the pipe to get its call"]
pub struct Pipe<T, E> {
    method: &'static str,
    /// The JSON array of arguments so far (without its closing bracket).
    args: String,
    count: u32,
    refs: Vec<(u32, u32)>,
    steps: Vec<Step<'static>>,
    errors: StepErrors<E>,
    /// The steps whose error converts into `E` (see [`Call`]'s `indirect`).
    indirect: Vec<u32>,
    failed: Option<String>,
    _value: PhantomData<fn() -> T>,
}

impl<T, E: DeserializeOwned + 'static> Pipe<T, E> {
    /// Starts a call of the method that `sig` describes.
    pub fn new<P, C>(sig: Sig<P, C, T, E>) -> Self {
        Pipe {
            method: sig.id,
            args: String::from("["),
            count: 0,
            refs: Vec::new(),
            steps: Vec::new(),
            errors: Box::new(|_, raw| decode::<E>(raw)),
            indirect: Vec::new(),
            failed: None,
            _value: PhantomData,
        }
    }
}

impl<T, E: 'static> Pipe<T, E> {
    fn next_argument(&mut self) -> u32 {
        if self.count > 0 {
            self.args.push(',');
        }
        self.count += 1;
        self.count - 1
    }

    /// The next argument: `value`, encoded now.
    pub fn value<A: Serialize + ?Sized>(mut self, value: &A) -> Self {
        let index = self.next_argument();
        match serde_json::to_string(value) {
            Ok(json) => self.args.push_str(&json),
            Err(e) => {
                let m = format!("cannot encode argument {index} of {}: {e}", self.method);
                self.failed.get_or_insert(m);
            }
        }
        self
    }

    /// The next argument: the result of `call`, whose steps run first. `join` (picked by
    /// [`probe`]) says which error type the joined call has.
    pub fn nested<U, F, J>(mut self, call: Call<U, F>, join: J) -> Pipe<T, J::Out>
    where
        F: DeserializeOwned + 'static,
        J: Join<E, F>,
        J::Out: 'static,
    {
        let index = self.next_argument();
        self.args.push_str("null");
        let offset = self.steps.len();
        match call.plan {
            Ok(plan) => {
                for mut step in plan.steps {
                    for reference in &mut step.refs {
                        reference.1 += offset as u32;
                    }
                    self.steps.push(step);
                }
                self.refs.push((index, (self.steps.len() - 1) as u32));
            }
            Err(m) => {
                self.failed.get_or_insert(m);
            }
        }
        let inner: StepErrors<F> = call.errors.unwrap_or_else(|| Box::new(|_, raw| decode::<F>(raw)));
        let own = self.errors;
        let end = self.steps.len();
        let mut indirect = self.indirect;
        if join.direct() {
            // A plan made by hand (not joined) types only its last step's error.
            let inner_indirect =
                call.indirect.unwrap_or_else(|| (0..(end - offset).saturating_sub(1) as u32).collect());
            indirect.extend(inner_indirect.into_iter().map(|step| step + offset as u32));
        } else {
            indirect.extend(offset as u32..end as u32);
        }
        let errors: StepErrors<J::Out> = Box::new(move |step, raw| match step {
            Some(step) if (offset..end).contains(&step) => {
                let last = step + 1 == end;
                inner(if last { None } else { Some(step - offset) }, raw).map(|e| join.inner(e))
            }
            step => own(step, raw).map(|e| join.outer(e)),
        });
        Pipe {
            method: self.method,
            args: self.args,
            count: self.count,
            refs: self.refs,
            steps: self.steps,
            errors,
            indirect,
            failed: self.failed,
            _value: PhantomData,
        }
    }

    /// The joined call: the nested calls' steps, then this one.
    pub fn finish(mut self) -> Call<T, E> {
        self.args.push(']');
        let plan = match self.failed {
            Some(m) => Err(m),
            None => {
                let step = Step { method: Cow::Borrowed(self.method), args: Cow::Owned(self.args), refs: self.refs };
                self.steps.push(step);
                Ok(Plan { steps: self.steps })
            }
        };
        Call::joined(plan, self.errors, self.indirect)
    }
}

fn decode<E: DeserializeOwned>(raw: &str) -> Result<E, String> {
    serde_json::from_str(raw).map_err(|e| format!("cannot decode a step's error: {e}"))
}

/// How the error types of an outer call (`O`) and of a nested call it takes (`I`) join:
/// the joined type and the conversions into it.
pub trait Join<O, I>: Copy + Send + Sync + 'static {
    /// The error type of the joined call.
    type Out;
    /// An error of the outer call.
    fn outer(self, error: O) -> Self::Out;
    /// An error of the nested call.
    fn inner(self, error: I) -> Self::Out;
    /// Whether a nested call's error is the joined type itself, unconverted (its JSON
    /// decodes as the joined type): a durable call recovered after a restart, which has
    /// no conversions, still types it.
    fn direct(self) -> bool {
        false
    }
}

/// The outer method cannot fail: the nested call's error type is the joined one.
#[derive(Debug, Clone, Copy)]
pub struct TakeInner;

/// The nested call cannot fail: the outer error type is the joined one.
#[derive(Debug, Clone, Copy)]
pub struct KeepOuter;

/// Both can fail: the nested call's error converts into the outer one, with the
/// conversion that [`ChainsFrom`] provided when [`probe`] picked it (so that a missing
/// conversion is reported once, at the nested call).
pub struct Convert<O, I>(fn(I) -> O);

impl<O, I> Clone for Convert<O, I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<O, I> Copy for Convert<O, I> {}

impl<I: 'static> Join<Never, I> for TakeInner {
    type Out = I;
    fn outer(self, error: Never) -> I {
        match error {}
    }
    fn inner(self, error: I) -> I {
        error
    }
    fn direct(self) -> bool {
        true
    }
}

impl<O: 'static> Join<O, Never> for KeepOuter {
    type Out = O;
    fn outer(self, error: O) -> O {
        error
    }
    fn inner(self, error: Never) -> O {
        match error {}
    }
    fn direct(self) -> bool {
        true
    }
}

impl<O: 'static, I: 'static> Join<O, I> for Convert<O, I> {
    type Out = O;
    fn outer(self, error: O) -> O {
        error
    }
    fn inner(self, error: I) -> O {
        (self.0)(error)
    }
    fn direct(self) -> bool {
        // `From<T> for T` is the identity, and no other impl can exist for one type.
        std::any::TypeId::of::<O>() == std::any::TypeId::of::<I>()
    }
}

/// The error types of a pipe (`O`) and of a nested call (`I`), for the `Probe…` traits.
pub struct JoinProbe<O, I>(PhantomData<fn() -> (O, I)>);

/// The probe of joining `call` into `pipe`: `(&&&probe(&pipe, &call)).__call_core_join()` is
/// [`TakeInner`] when `O` is [`Never`], else [`KeepOuter`] when `I` is, else [`Convert`]
/// (which requires [`ChainsFrom`]).
pub fn probe<T, O, U, I>(pipe: &Pipe<T, O>, call: &Call<U, I>) -> JoinProbe<O, I> {
    let _ = (pipe, call);
    JoinProbe(PhantomData)
}

/// The first choice of [`probe`]: the outer method cannot fail.
pub trait ProbeOuterNever {
    /// [`TakeInner`].
    fn __call_core_join(&self) -> TakeInner {
        TakeInner
    }
}

impl<I> ProbeOuterNever for &&JoinProbe<Never, I> {}

/// The second choice of [`probe`]: the nested call cannot fail.
pub trait ProbeInnerNever {
    /// [`KeepOuter`].
    fn __call_core_join(&self) -> KeepOuter {
        KeepOuter
    }
}

impl<O> ProbeInnerNever for &JoinProbe<O, Never> {}

/// The last choice of [`probe`]: both can fail.
pub trait ProbeFrom<O, I> {
    /// [`Convert`], if the nested call's error converts into the outer one.
    fn __call_core_join(&self) -> Convert<O, I>
    where
        O: ChainsFrom<I>,
    {
        Convert(O::chain)
    }
}

impl<O, I> ProbeFrom<O, I> for JoinProbe<O, I> {}

/// A nested call's error type `I` converts into the error type of the call it feeds.
#[diagnostic::on_unimplemented(
    message = "this nested call fails with `{I}`, which the call it feeds cannot carry: `{Self}` has no `From<{I}>`",
    label = "fails with `{I}`",
    note = "a nested call's errors arrive as the error type of the first method that can fail, in writing order; \
            every other one must convert into the error type of the call it feeds, as with `?`",
    note = "implement `From<{I}>` for `{Self}`, or make the inner call on its own first"
)]
pub trait ChainsFrom<I> {
    /// Converts the nested call's error.
    fn chain(error: I) -> Self;
}

#[diagnostic::do_not_recommend]
impl<O: From<I>, I> ChainsFrom<I> for O {
    fn chain(error: I) -> O {
        O::from(error)
    }
}

#[cfg(test)]
mod tests;
