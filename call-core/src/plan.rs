//! The plan IR: what a `call!` compiles to.
//!
//! A plan is a list of steps; each step names a callee method by its compile-time id and
//! carries its arguments already encoded as a JSON array. An argument may instead refer
//! to the result of an earlier step (its slot in the array holds `null` and the step lists
//! `(argument index, step index)` in `refs`), which is how nested calls and pipelined
//! chains run in one round trip without a new wire format.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Never, RemoteError, RemoteErrorKind};

/// How an application error of a step decodes into a joined call's error type: the step's
/// index in the plan, `None` for the last step (see [`pipeline`](crate::pipeline), which
/// joins nested calls into one plan). `Send + Sync`, as the rest of a [`Call`]: a call is
/// data until it is sent.
pub(crate) type StepErrors<E> = Box<dyn Fn(Option<usize>, &str) -> Result<E, String> + Send + Sync>;

/// One method invocation inside a plan: the same type from `call!` (which builds it with
/// `'static` ids and owned arguments) through the wire (the callee decodes it borrowing the
/// envelope's text) to dispatch.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Step<'a> {
    /// The method id, `Type::method#signature-hash`, fixed at compile time (borrowed from
    /// the generated code: building a call allocates only its arguments).
    #[serde(rename = "m", borrow)]
    pub method: Cow<'a, str>,
    /// The arguments, a JSON array as text (written and read raw, never re-parsed).
    #[serde(rename = "a", borrow, deserialize_with = "raw_json")]
    pub args: Cow<'a, str>,
    /// Arguments taken from earlier steps' results: `(argument index, step index)`.
    #[serde(rename = "r", default)]
    pub refs: Vec<(u32, u32)>,
}

/// Reads a JSON value as its raw text, borrowed from the input.
fn raw_json<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Cow<'de, str>, D::Error> {
    let raw: &'de serde_json::value::RawValue = Deserialize::deserialize(deserializer)?;
    Ok(Cow::Borrowed(raw.get()))
}

/// A serializable list of steps, run in order by the callee; the last step's result is
/// the plan's result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The steps, in execution order.
    pub steps: Vec<Step<'static>>,
}

impl Plan {
    /// A plan of a single step with literal arguments.
    pub fn single(method: &'static str, args: String) -> Plan {
        Plan { steps: vec![Step { method: Cow::Borrowed(method), args: Cow::Owned(args), refs: Vec::new() }] }
    }

    /// The longest chain of results feeding into one another (1 for a single step).
    pub fn depth(&self) -> usize {
        depth(self.steps.iter().map(|s| s.refs.as_slice()))
    }
}

/// The longest chain of references among steps given by their references (earlier steps
/// only; other references are ignored here and refused by [`Limits`](crate::Limits)).
pub(crate) fn depth<'a>(steps: impl ExactSizeIterator<Item = &'a [(u32, u32)]>) -> usize {
    if steps.len() <= 1 {
        return steps.len();
    }
    let mut depth: Vec<usize> = Vec::with_capacity(steps.len());
    for (i, refs) in steps.enumerate() {
        let from_refs =
            refs.iter().filter(|&&(_, from)| (from as usize) < i).map(|&(_, from)| depth[from as usize] + 1);
        depth.push(from_refs.max().unwrap_or(1));
    }
    depth.into_iter().max().unwrap_or(0)
}

/// Checks that the references of step `i` name distinct arguments of the step: at most one
/// reference per argument, so no more references than arguments (a hand-written envelope
/// cannot make the callee copy one result millions of times): `Limit`. A reference to an
/// argument the step does not have, or arguments that are no array: `Decode`.
pub(crate) fn check_refs(i: usize, step: &Step<'_>) -> Result<(), RemoteError> {
    if step.refs.is_empty() {
        return Ok(());
    }
    let decode = |m: String| RemoteError::new(RemoteErrorKind::Decode, m);
    let limit = |m: String| RemoteError::new(RemoteErrorKind::Limit, m);
    let args = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(&step.args)
        .map_err(|e| decode(format!("step {i}: its arguments are not a JSON array: {e}")))?
        .len();
    if step.refs.len() > args {
        return Err(limit(format!("step {i} has {} references for {args} arguments", step.refs.len())));
    }
    let mut taken = vec![false; args];
    for &(arg, _) in &step.refs {
        let slot = taken
            .get_mut(arg as usize)
            .ok_or_else(|| decode(format!("step {i} refers to argument {arg} of its {args} arguments")))?;
        if std::mem::replace(slot, true) {
            return Err(limit(format!("step {i} has two references to its argument {arg}")));
        }
    }
    Ok(())
}

/// A typed call: a [`Plan`] whose result decodes as `T`, or fails with `CallError<E>`.
///
/// Built by the code that `#[continuation]` generates (one builder per method, with the
/// method's exact parameter types) and consumed by [`call!`](crate::call).
#[must_use = "a Call does nothing until it is sent with `call!`"]
pub struct Call<T, E = Never> {
    pub(crate) plan: Result<Plan, String>,
    pub(crate) timeout: Option<Duration>,
    /// How an application error of each step decodes into `E`, for plans that
    /// [`pipeline`](crate::pipeline) joined; `None`: only the last step's, as `E`.
    pub(crate) errors: Option<StepErrors<E>>,
    /// For a joined plan: the steps whose application error is not of type `E` itself but
    /// converted into it (`From`), in plan order. Every other step's error decodes as `E`
    /// from its JSON alone, which is what a durable call recovered after a restart has (it
    /// keeps this list in its row, not the conversions). `None`: not joined.
    pub(crate) indirect: Option<Vec<u32>>,
    /// For a call of a JavaScript Durable Object's method (declared with `#[remote]`): the
    /// method's JavaScript name. Such a call is a plain RPC of that method, its arguments
    /// the step's, not an envelope to `__call`.
    pub(crate) by_name: Option<&'static str>,
    _types: PhantomData<fn() -> (T, E)>,
}

impl<T, E> Call<T, E> {
    /// A call of `method` (an id made by `#[continuation]`) with `args`, a tuple or
    /// array that encodes as a JSON array.
    pub fn new<A: Serialize + ?Sized>(method: &'static str, args: &A) -> Self {
        let plan = serde_json::to_string(args)
            .map(|args| Plan::single(method, args))
            .map_err(|e| format!("cannot encode the arguments of {method}: {e}"));
        Call { plan, timeout: None, errors: None, indirect: None, by_name: None, _types: PhantomData }
    }

    /// A call of the method `js_name` of a JavaScript Durable Object (`method` names it in
    /// errors, `Type::method`), with `args`, a tuple or array that encodes as a JSON array:
    /// sent as a plain RPC of that method (what `#[remote]` builds).
    pub fn by_name<A: Serialize + ?Sized>(js_name: &'static str, method: &'static str, args: &A) -> Self {
        Call { by_name: Some(js_name), ..Call::new(method, args) }
    }

    /// A call that fails before it is sent, with `CallError::Encode(why)`.
    pub fn from_plan_error(why: String) -> Self {
        Call { plan: Err(why), timeout: None, errors: None, indirect: None, by_name: None, _types: PhantomData }
    }

    /// A call running an arbitrary plan; its last step must return `T` or fail with `E`.
    pub fn from_plan(plan: Plan) -> Self {
        Call { plan: Ok(plan), timeout: None, errors: None, indirect: None, by_name: None, _types: PhantomData }
    }

    /// Sets the time after which the caller gives up with
    /// [`CallError::Timeout`](crate::CallError::Timeout) (default: [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT);
    /// at most [`MAX_TIMEOUT`](crate::MAX_TIMEOUT), 24 h: a longer one is clamped to it).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The plan, or why its arguments could not be encoded.
    pub fn plan(&self) -> Result<&Plan, &str> {
        self.plan.as_ref().map_err(String::as_str)
    }

    /// A call of `plan` whose steps' application errors decode through `errors` (and
    /// those of the steps `indirect` through a conversion).
    pub(crate) fn joined(plan: Result<Plan, String>, errors: StepErrors<E>, indirect: Vec<u32>) -> Self {
        Call { plan, timeout: None, errors: Some(errors), indirect: Some(indirect), by_name: None, _types: PhantomData }
    }
}

impl<T, E> std::fmt::Debug for Call<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call").field("plan", &self.plan).field("timeout", &self.timeout).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_distinct_arguments() {
        let step =
            |args: &str, refs: Vec<(u32, u32)>| Step { method: "T::m#0".into(), args: args.to_string().into(), refs };
        let refused = |args: &str, refs: Vec<(u32, u32)>| {
            let e = check_refs(1, &step(args, refs)).unwrap_err();
            (e.kind, e.message)
        };
        assert_eq!(check_refs(1, &step("[1]", vec![])), Ok(()));
        assert_eq!(check_refs(1, &step("[null,null]", vec![(1, 0), (0, 0)])), Ok(()));
        let (kind, message) = refused("[null]", vec![(0, 0), (0, 0)]);
        assert_eq!(kind, RemoteErrorKind::Limit);
        assert!(message.contains("2 references for 1"), "{message}");
        let (kind, message) = refused("[null,2]", vec![(0, 0), (0, 0)]);
        assert_eq!(kind, RemoteErrorKind::Limit);
        assert!(message.contains("two references"), "{message}");
        let (kind, message) = refused("[null]", vec![(3, 0)]);
        assert_eq!(kind, RemoteErrorKind::Decode);
        assert!(message.contains("argument 3 of its 1"), "{message}");
        let (kind, message) = refused("{}", vec![(0, 0)]);
        assert_eq!(kind, RemoteErrorKind::Decode);
        assert!(message.contains("not a JSON array"), "{message}");
        let (kind, message) = refused("[null,null]", (0..1_000_000).map(|_| (0, 0)).collect());
        assert_eq!(kind, RemoteErrorKind::Limit);
        assert!(message.contains("1000000 references for 2"), "{message}");
    }

    #[test]
    fn depth_follows_reference_chains() {
        let step = |refs: Vec<(u32, u32)>| Step { method: "T::m#0".into(), args: "[]".into(), refs };
        assert_eq!(Plan::default().depth(), 0);
        assert_eq!(Plan::single("T::m#0", "[]".into()).depth(), 1);
        let chain = Plan { steps: vec![step(vec![]), step(vec![(0, 0)]), step(vec![(0, 1), (1, 0)])] };
        assert_eq!(chain.depth(), 3);
    }

    #[test]
    fn arguments_encode_as_a_json_array() {
        let call: Call<i64> = Call::new("T::add#1", &(1, "two", [3]));
        assert_eq!(call.plan().unwrap().steps[0].args, r#"[1,"two",[3]]"#);
        let none: Call<()> = Call::new("T::zero#1", &[(); 0]);
        assert_eq!(none.plan().unwrap().steps[0].args, "[]");
    }
}
