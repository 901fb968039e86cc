//! Callable methods by name: every `#[callable]` method of a Rust Durable Object becomes an
//! RPC method of its generated JavaScript class (`await env.TALLY.getByName("t").count()`),
//! and is declared in TypeScript (`shim.d.ts`).
//!
//! `#[continuation]` lists the callable methods in the doc comment of the `__call` entry,
//! one line per method (`call-core-method: {json}`), which wasm-bindgen copies into
//! `index.d.ts`; [`scan_line`] reads them. The generated method sends the method's id and
//! its arguments (as `JSON.stringify` writes them, decoded in Rust with the method's own
//! parameter types) to the object's `__call_core_named`, and turns the reply into the value
//! or a thrown `Error`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Deserialize;

use crate::bail;
use crate::error::Result;
use crate::types;

/// The prefix of a manifest line in wasm-bindgen's `index.d.ts`.
const PREFIX: &str = "call-core-method: ";

/// A callable method, as `#[continuation]` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Callable {
    /// The method's name, in Rust and in JavaScript.
    pub name: String,
    /// Its method id (`Type::method#hash`).
    pub id: String,
    /// Its parameters.
    pub params: Vec<Param>,
    /// The TypeScript type of its value (`void` for none).
    pub result: String,
    /// The TypeScript type of its typed error (`never` when it cannot fail; `unknown` from
    /// a call-macros that did not say).
    #[serde(default = "unknown")]
    pub error: String,
}

fn unknown() -> String {
    "unknown".into()
}

/// A parameter of a callable method.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Param {
    /// Its Rust name.
    pub name: String,
    /// Its TypeScript type.
    pub ts: String,
    /// Whether a caller may leave it out (a trailing `Option`).
    pub optional: bool,
}

/// The callable method a line of `index.d.ts` lists, if it is a manifest line.
pub fn scan_line(line: &str) -> Option<Result<Callable>> {
    let json = line[line.find(PREFIX)? + PREFIX.len()..].trim_end();
    Some(serde_json::from_str(json).map_err(|e| crate::error::Error(format!("malformed method list line {json}: {e}"))))
}

/// The helpers the generated methods call: emitted once in `shim.mjs`.
pub const HELPERS: &str = "\n\
// Callable methods by name, for JavaScript and TypeScript callers: the arguments go as a\n\
// JSON array to `__call_core_named` with the method's id (decoded in Rust with the method's\n\
// own parameter types); the reply is the value's JSON, or `!` and an error reply, thrown as\n\
// an Error: `err.kind` is \"app\" and `err.app` the method's typed error (its serde form),\n\
// or `err.kind` is call-core's (\"decode\": a TypeError, for bad arguments; \"panic\",\n\
// \"exception\"…). Over RPC, these properties reach the caller with workerd's\n\
// `enhanced_error_serialization` (the default from 2026-04-21).\n\
function byName(inner, id, name, args, json) {\n\
\x20 let text;\n\
\x20 try {\n\
\x20   text = json(args);\n\
\x20 } catch (e) {\n\
\x20   throw new TypeError(`${name}: the arguments are not JSON data: ${e && e.message}`);\n\
\x20 }\n\
\x20 let reply;\n\
\x20 try {\n\
\x20   reply = inner.__call_core_named(id, text);\n\
\x20 } catch (e) {\n\
\x20   reply = \"!\" + callFault(e);\n\
\x20 }\n\
\x20 if (reply !== undefined) return answer(name, reply);\n\
\x20 return inner.__call_core_named_async(id, text).then(\n\
\x20   (r) => answer(name, r),\n\
\x20   (e) => answer(name, \"!\" + callFault(e)),\n\
\x20 );\n\
}\n\
// The arguments' JSON: V8's fast JSON.stringify, or, for a method that takes bytes or the\n\
// crate's own types, one that writes a Uint8Array as the array of its bytes (what serde\n\
// decodes a `Vec<u8>` from; a replacer makes JSON.stringify slower).\n\
function plainJson(args) {\n\
\x20 return JSON.stringify(args);\n\
}\n\
function bytesJson(args) {\n\
\x20 return JSON.stringify(args, bytes);\n\
}\n\
function bytes(_key, value) {\n\
\x20 return value instanceof Uint8Array ? Array.from(value) : value;\n\
}\n\
// A method with no value (`()` in Rust) answers `undefined`.\n\
function byNameVoid(inner, id, name, args, json) {\n\
\x20 const r = byName(inner, id, name, args, json);\n\
\x20 return r instanceof Promise ? r.then(() => undefined) : undefined;\n\
}\n\
function answer(name, reply) {\n\
\x20 // No JSON text starts with `!` (33).\n\
\x20 if (reply.charCodeAt(0) !== 33) return JSON.parse(reply);\n\
\x20 const err = JSON.parse(reply.slice(1)).err || {};\n\
\x20 if (\"app\" in err) {\n\
\x20   const e = new Error(`${name} returned an error: ${JSON.stringify(err.app)}`);\n\
\x20   e.kind = \"app\";\n\
\x20   e.app = err.app;\n\
\x20   throw e;\n\
\x20 }\n\
\x20 const remote = err.remote || { kind: \"exception\", message: JSON.stringify(err) };\n\
\x20 const e = remote.kind === \"decode\"\n\
\x20   ? new TypeError(`${name}: ${remote.message}`)\n\
\x20   : new Error(`${name} failed (${remote.kind}): ${remote.message}`);\n\
\x20 e.kind = remote.kind;\n\
\x20 throw e;\n\
}\n";

/// The methods of a generated class for its callable methods. Fails when a callable
/// method's name is also another exported method of the class.
pub fn methods(class: &str, callables: &[Callable], other_methods: &[String]) -> Result<String> {
    let mut out = String::new();
    for c in callables {
        if other_methods.contains(&c.name) {
            bail!(
                "`{class}::{}` is a callable method and also another method exported to JavaScript \
                 (`#[wasm_bindgen]`); JavaScript calls callable methods by name: rename one",
                c.name
            );
        }
        let args: Vec<String> = (0..c.params.len()).map(|i| format!("a{i}")).collect();
        let _ = writeln!(
            out,
            "  {name}({args}) {{\n    return {call}(this.#live(), \"{id}\", \"{class}.{name}\", [{args}], {json});\n  }}",
            call = if c.result == "void" { "byNameVoid" } else { "byName" },
            name = c.name,
            id = c.id,
            args = args.join(", "),
            json = if c.params.iter().any(|p| may_hold_bytes(&p.ts)) { "bytesJson" } else { "plainJson" },
        );
    }
    Ok(out)
}

/// Whether a parameter of this TypeScript type may hold a `Uint8Array`: bytes, or a type
/// call-macros could not spell (the crate's own, `unknown`).
fn may_hold_bytes(ts: &str) -> bool {
    ts.contains("Uint8Array") || ts.contains('@') || ts.contains("unknown")
}

/// `shim.d.ts`: each Rust Durable Object class with its callable methods, typed, as
/// classes that extend `DurableObject` (so that `DurableObjectNamespace<Tally>` works in a
/// TypeScript Worker with `@cloudflare/workers-types`).
///
/// `declared` are the types wasm-bindgen's `index.d.ts` declares (see the [`types`] module).
pub fn declarations(classes: &BTreeMap<&str, &[Callable]>, declared: &BTreeSet<String>) -> String {
    let mut used = BTreeSet::new();
    let mut out = String::from(
        "// Generated by call-build: do not edit.\n\
         //\n\
         // The Rust Durable Objects of this Worker, with their callable methods (`#[callable]`),\n\
         // typed from their Rust signatures. The crate's own structs and enums are typed when\n\
         // the build declares them (tsify's `#[derive(Tsify)]`), else `unknown`. A method's\n\
         // typed error arrives as a thrown Error whose `app` property holds it: see\n\
         // `CallableError`, and each class's `Errors`.\n\
         import { DurableObject } from \"cloudflare:workers\";\n",
    );
    let mut body = String::new();
    for (class, callables) in classes {
        let _ = writeln!(body, "\nexport declare class {class} extends DurableObject {{");
        for c in *callables {
            let params: Vec<String> = c
                .params
                .iter()
                .map(|p| {
                    let ts = types::resolve(&p.ts, declared, &mut used);
                    format!("{}{}: {ts}", ts_name(&p.name), if p.optional { "?" } else { "" })
                })
                .collect();
            let result = types::resolve(&c.result, declared, &mut used);
            let _ = writeln!(body, "  {}({}): Promise<{result}>;", c.name, params.join(", "));
        }
        body.push_str("}\n");
        let _ = writeln!(
            body,
            "/** The typed error of each callable method of `{class}`: the `app` of the `CallableError` it throws. */\n\
             export declare namespace {class} {{\n  type Errors = {{"
        );
        for c in *callables {
            let error = types::resolve(&c.error, declared, &mut used);
            let _ = writeln!(body, "    {}: {error};", c.name);
        }
        body.push_str("  };\n}\n");
    }
    out.push_str(&types::imports(&used));
    out.push_str(ERROR_TYPES);
    out.push_str(&body);
    out
}

/// The error a callable method throws to a JavaScript caller (what `answer` in [`HELPERS`]
/// makes), declared once in `shim.d.ts`.
const ERROR_TYPES: &str = "\n\
/** Why a call failed in call-core, not in the method (`RemoteErrorKind` in Rust). */\n\
export type RemoteErrorKind =\n\
\x20 | \"panic\"\n\
\x20 | \"exception\"\n\
\x20 | \"unknown_method\"\n\
\x20 | \"version_mismatch\"\n\
\x20 | \"decode\"\n\
\x20 | \"encode\"\n\
\x20 | \"limit\"\n\
\x20 | \"deadline_exceeded\"\n\
\x20 | \"outcome_unknown\"\n\
\x20 | \"key_conflict\";\n\
/**\n\
\x20* What a callable method throws: `kind` \"app\" with the method's typed error in `app`\n\
\x20* (`App`: `Class.Errors[\"method\"]`), or call-core's kind (\"decode\", a TypeError, for bad\n\
\x20* arguments). An Error without `kind` did not come from call-core (the RPC itself failed).\n\
\x20*/\n\
export type CallableError<App = unknown> =\n\
\x20 | (Error & { kind: \"app\"; app: App })\n\
\x20 | (Error & { kind: RemoteErrorKind; app?: undefined });\n";

/// A parameter name TypeScript accepts (a Rust identifier may be a reserved word there).
fn ts_name(name: &str) -> String {
    const RESERVED: [&str; 24] = [
        "break",
        "case",
        "catch",
        "class",
        "const",
        "debugger",
        "default",
        "delete",
        "do",
        "export",
        "extends",
        "finally",
        "function",
        "import",
        "instanceof",
        "new",
        "null",
        "switch",
        "this",
        "throw",
        "typeof",
        "var",
        "void",
        "with",
    ];
    if RESERVED.contains(&name) {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"     * call-core-method: {"name":"add","id":"Tally::add#0000abcd","params":[{"name":"n","ts":"number","optional":false},{"name":"class","ts":"string | null","optional":true}],"result":"number","error":"@AddError"}"#;

    #[test]
    fn reads_a_manifest_line_and_writes_the_method_and_its_declaration() {
        let add = scan_line(LINE).unwrap().unwrap();
        assert_eq!(add.id, "Tally::add#0000abcd");
        assert!(scan_line("     * just a doc line").is_none());
        assert!(scan_line("     * call-core-method: {nope").unwrap().is_err());
        let js = methods("Tally", std::slice::from_ref(&add), &[]).unwrap();
        assert!(
            js.contains(
                "  add(a0, a1) {\n    return byName(this.#live(), \"Tally::add#0000abcd\", \"Tally.add\", [a0, a1], plainJson);"
            ),
            "{js}"
        );
        let err = methods("Tally", std::slice::from_ref(&add), &["add".into()]).unwrap_err();
        assert!(err.0.contains("`Tally::add`"), "{err}");
        let classes = BTreeMap::from([("Tally", std::slice::from_ref(&add))]);
        let dts = declarations(&classes, &BTreeSet::new());
        assert!(dts.contains("export declare class Tally extends DurableObject {\n  add(n: number, class_?: string | null): Promise<number>;\n}"), "{dts}");
        assert!(!dts.contains("import type"), "{dts}");
        assert!(dts.contains("export type CallableError<App = unknown> =\n"), "{dts}");
        assert!(
            dts.contains("export declare namespace Tally {\n  type Errors = {\n    add: unknown;\n  };\n}"),
            "{dts}"
        );
        let old = scan_line(&LINE.replace(r#","error":"@AddError""#, "")).unwrap().unwrap();
        assert_eq!(old.error, "unknown", "a line from a call-macros that does not say");
        let mut stats = add.clone();
        stats.result = "@Stats | null".into();
        stats.params[0].ts = "Array<@Stats>".into();
        let classes = BTreeMap::from([("Tally", std::slice::from_ref(&stats))]);
        let dts = declarations(&classes, &BTreeSet::from(["Stats".to_string(), "AddError".to_string()]));
        assert!(
            dts.contains("import type { AddError, Stats } from \"./index\";\nexport type { AddError, Stats };\n"),
            "{dts}"
        );
        assert!(dts.contains("    add: AddError;\n"), "{dts}");
        assert!(dts.contains("  add(n: Array<Stats>, class_?: string | null): Promise<Stats | null>;"), "{dts}");
        let dts = declarations(&classes, &BTreeSet::new());
        assert!(dts.contains("  add(n: Array<unknown>, class_?: string | null): Promise<unknown | null>;"), "{dts}");
    }
}
