//! Generates the Worker's JavaScript entry module, `shim.mjs`.
//!
//! workers-rs 0.8 exports a Rust Durable Object as a plain wasm-bindgen class, which
//! workerd refuses to call over RPC ("its class was not declared with `extends
//! DurableObject`"). The generated entry wraps every Durable Object class listed in
//! wrangler.toml in a class that `extends DurableObject`, builds the wasm object in its
//! constructor and forwards each exported method (fetch, alarm, websocket handlers, the
//! `__call` entry of `#[continuation]` and any other `#[wasm_bindgen]` method) to it, and
//! makes each `#[callable]` method an RPC method by name (see [`crate::callable`]).
//! Classes implemented in JavaScript modules are re-exported unchanged.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::bail;
use crate::callable::{self, Callable};
use crate::error::Result;
use crate::snippets::{SHARED_ALARM, START_QUEUE};
use crate::wrangler::Wrangler;

/// Classes and free functions exported by the wasm-bindgen output.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WasmExports {
    /// Exported class name → its instance method names, in declaration order.
    pub classes: BTreeMap<String, Vec<String>>,
    /// Exported free functions (e.g. `fetch` from `#[event(fetch)]`).
    pub functions: Vec<String>,
    /// Whether call-core's `__call_core_start` is exported (the crate uses call-core).
    pub call_core_start: bool,
    /// Exported class name → its `#[callable]` methods (listed on `__call`).
    pub callables: BTreeMap<String, Vec<Callable>>,
    /// Malformed method list lines.
    pub errors: Vec<String>,
}

/// Worker handlers that the default export forwards when the wasm exports them.
const HANDLERS: [&str; 3] = ["fetch", "scheduled", "queue"];

/// Methods of a wasm-bindgen class that are not RPC methods of the Durable Object: the
/// class's own, and call-core's internal entries (only `__call` is reachable from outside;
/// a continuation handler never is).
const NOT_FORWARDED: [&str; 12] = [
    "free",
    "constructor",
    "__call_async",
    "__call_core_named",
    "__call_core_named_async",
    "__call_core_bind",
    "__call_core_resume",
    "__call_core_resume_async",
    "__call_core_alarm",
    "__call_core_user_alarm_ran",
    "__call_core_set_user_alarm",
    "__call_core_user_alarm",
];

/// Reads the exports from wasm-bindgen's `index.d.ts` (classes) and `index.js` (functions).
pub fn scan_wasm_bindgen(dts: &str, js: &str) -> WasmExports {
    let mut exports = WasmExports::default();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in dts.lines() {
        if let Some(rest) = line.strip_prefix("export class ") {
            let name = rest.split(|c: char| !is_ident_char(c)).next().unwrap_or_default();
            current = Some((name.to_string(), Vec::new()));
        } else if line.starts_with('}') {
            if let Some((name, methods)) = current.take() {
                exports.classes.insert(name, methods);
            }
        } else if let Some((class, methods)) = current.as_mut() {
            match callable::scan_line(line) {
                Some(Ok(c)) => exports.callables.entry(class.clone()).or_default().push(c),
                Some(Err(e)) => exports.errors.push(e.0),
                None => {}
            }
            // Methods are declared one per line at four spaces: `    name(args): Ret;`.
            // Getters, setters, statics and fields do not match.
            if let Some(rest) = line.strip_prefix("    ") {
                let name: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
                let is_method = !name.is_empty() && rest[name.len()..].starts_with('(');
                if is_method && !["free", "constructor"].contains(&name.as_str()) {
                    methods.push(name);
                }
            }
        }
    }
    for line in js.lines() {
        if let Some(rest) = line.strip_prefix("export function ") {
            let name: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
            if name == "__call_core_start" {
                exports.call_core_start = true;
            } else if !name.starts_with("__") {
                exports.functions.push(name);
            }
        }
    }
    exports
}

/// The class names a JavaScript module exports with `export class Name`.
pub fn scan_js_classes(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("export class "))
        .map(|rest| rest.chars().take_while(|&c| is_ident_char(c)).collect())
        .collect()
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// A JavaScript module bundled beside the wasm: its import path and exported classes.
#[derive(Debug, Clone)]
pub struct JsModule {
    /// Path relative to the entry, e.g. `./js/reference.mjs`.
    pub import: String,
    /// Classes it exports.
    pub classes: Vec<String>,
}

/// Generates `shim.mjs`. Fails when a Durable Object class of wrangler.toml is defined
/// neither by the Rust crate nor by one of the JavaScript modules.
pub fn generate(config: &Wrangler, wasm: &WasmExports, js_modules: &[JsModule]) -> Result<String> {
    if let Some(e) = wasm.errors.first() {
        bail!("wasm-bindgen's index.d.ts: {e}");
    }
    let mut rust_classes = Vec::new();
    let mut js_exports: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for class in config.classes() {
        let in_js = js_modules.iter().find(|m| m.classes.contains(&class));
        match (wasm.classes.get(&class), in_js) {
            (Some(methods), None) => rust_classes.push((class, methods)),
            (None, Some(module)) => js_exports
                .entry(&module.import)
                .or_default()
                .push(module.classes.iter().find(|c| **c == class).map(String::as_str).unwrap_or_default()),
            (Some(_), Some(module)) => {
                bail!("Durable Object class `{class}` is defined both by the Rust crate and by {}", module.import)
            }
            (None, None) => bail!(
                "Durable Object class `{class}` (wrangler.toml) is neither a `#[durable_object]` \
                 of the crate nor exported by a module in [package.metadata.call-core] js-modules"
            ),
        }
    }

    let mut out = String::new();
    out.push_str(
        "// Generated by call-build: do not edit.\n\
         //\n\
         // Every Rust Durable Object class listed in wrangler.toml is wrapped in a class that\n\
         // `extends DurableObject`, so that workerd serves native RPC to it; each exported\n\
         // method is forwarded to the wasm-bindgen object.\n\
         import { DurableObject } from \"cloudflare:workers\";\n\
         import wasmModule from \"./index_bg.wasm\";\n\
         import * as wasm from \"./index.js\";\n",
    );
    for (import, classes) in &js_exports {
        let _ = writeln!(out, "export {{ {} }} from \"{import}\";", classes.join(", "));
    }
    out.push_str(
        "\nwasm.initSync({ module: wasmModule });\n\
         // Bumped each time the wasm instance starts; after a hard abort the instance is reset\n\
         // and wrappers rebuild their (now stale) wasm object on the next call.\n\
         const initState = wasm.__worker_init_state();\n\
         \n\
         // A failure of the `__call` entry itself (an abort, or a panic when std was built with\n\
         // panic=abort) still answers the caller in-band, in call-core's reply format.\n\
         function callFault(e) {\n\
         \x20 const panic = e instanceof WebAssembly.RuntimeError || (e && e.name === \"PanicError\")\n\
         \x20   || String(e && e.message).startsWith(\"PanicError\");\n\
         \x20 const message = String((e && e.message) || e);\n\
         \x20 return JSON.stringify({ err: { remote: { kind: panic ? \"panic\" : \"exception\", message } } });\n\
         }\n",
    );
    if wasm.call_core_start {
        out.push_str(START_QUEUE);
    }
    let durable: Vec<&String> =
        rust_classes.iter().filter(|(_, m)| m.iter().any(|m| m == "__call_core_alarm")).map(|(c, _)| c).collect();
    for class in &durable {
        if !config.is_sqlite(class) {
            bail!(
                "Durable Object class `{class}` makes durable calls (`#[continuation(durable)]`), which keep their \
                 continuations in its SQLite storage, but wrangler.toml does not list it in `new_sqlite_classes` \
                 of a `[[migrations]]` entry"
            );
        }
    }
    if !durable.is_empty() {
        out.push_str(SHARED_ALARM);
    }
    if rust_classes.iter().any(|(c, _)| wasm.callables.contains_key(c)) {
        out.push_str(callable::HELPERS);
    }
    for (class, methods) in &rust_classes {
        let is_durable = durable.contains(&class);
        let ctx = if is_durable { "sharedAlarm(this.ctx, () => this.#inner)" } else { "this.ctx" };
        let _ = write!(
            out,
            "\nexport class {class} extends DurableObject {{\n\
             \x20 #inner;\n\
             \x20 #instanceId;\n\
             \x20 constructor(ctx, env) {{\n\
             \x20   super(ctx, env);\n\
             \x20   this.#live();\n\
             \x20 }}\n\
             \x20 #live() {{\n\
             \x20   if (this.#instanceId !== initState.instanceId) {{\n{start}\
             \x20     const inner = new wasm.{class}({ctx}, this.env);\n\
             \x20     this.#inner = inner;\n\
             \x20     this.#instanceId = initState.instanceId;\n{bind}\
             \x20   }}\n\
             \x20   return this.#inner;\n\
             \x20 }}\n",
            start = if wasm.call_core_start { "      startQueue();\n" } else { "" },
            bind = if methods.iter().any(|m| m == "__call_core_bind") {
                "      // call-core reaches this object later (continuations) through a weak\n\
                 \x20     // reference to `inner`, never by a pointer; and its storage.\n\
                 \x20     inner.__call_core_bind(inner, this.ctx, this.env);\n"
            } else {
                ""
            }
        );
        if is_durable {
            // call-core's part of the shared alarm first; the object's own `alarm` when its
            // time has come, whose time call-core clears only once it has succeeded: one
            // that throws is rethrown, so that the platform retries it (at least once).
            out.push_str(
                "  async alarm(...args) {\n\
                 \x20   const inner = this.#live();\n\
                 \x20   const own = await inner.__call_core_alarm();\n\
                 \x20   if (!own) return;\n\
                 \x20   try {\n\
                 \x20     if (typeof inner.alarm === \"function\") await inner.alarm(...args);\n\
                 \x20   } catch (e) {\n\
                 \x20     try { inner.__call_core_user_alarm_ran(false); } catch {}\n\
                 \x20     throw e;\n\
                 \x20   }\n\
                 \x20   inner.__call_core_user_alarm_ran(true);\n\
                 \x20 }\n",
            );
        }
        for method in methods.iter().filter(|m| !NOT_FORWARDED.contains(&m.as_str())) {
            if is_durable && method == "alarm" {
                continue;
            }
            if method == "__call" {
                // A plan of sync methods is answered within the call; one with async
                // methods answers `undefined` and runs in `__call_async`, whose future
                // holds the object.
                out.push_str(
                    "  __call(envelope) {\n\
                     \x20   try {\n\
                     \x20     const inner = this.#live();\n\
                     \x20     const reply = inner.__call(envelope);\n\
                     \x20     return reply !== undefined ? reply : inner.__call_async(envelope).then(undefined, callFault);\n\
                     \x20   } catch (e) {\n\
                     \x20     return callFault(e);\n\
                     \x20   }\n\
                     \x20 }\n",
                );
            } else {
                let _ = writeln!(out, "  {method}(...args) {{\n    return this.#live().{method}(...args);\n  }}");
            }
        }
        if let Some(callables) = wasm.callables.get(class) {
            out.push_str(&callable::methods(class, callables, methods)?);
        }
        out.push_str("}\n");
    }
    let handlers: Vec<&str> = HANDLERS.iter().copied().filter(|h| wasm.functions.iter().any(|f| f == h)).collect();
    if !handlers.is_empty() {
        out.push_str("\nexport default {\n");
        for h in handlers {
            let _ = writeln!(out, "  {h}(arg, env, ctx) {{\n    return wasm.{h}(arg, env, ctx);\n  }},");
        }
        out.push_str("};\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DTS: &str = "export class Remote {\n    free(): void;\n    [Symbol.dispose](): void;\n    \
        alarm(): Promise<any>;\n    constructor(state: any, env: any);\n    __call(envelope: any): any;\n    \
        __call_async(envelope: any): Promise<any>;\n    __call_core_bind(wrapper: any, object: string): void;\n    \
        __call_core_named(method: string, args: string): string | undefined;\n    \
        __call_core_named_async(method: string, args: string): Promise<string>;\n    \
        rpcEcho(i: number): number;\n    get size(): number;\n    static make(): Remote;\n}\n\
        declare class Hidden {\n    poke(): void;\n}\n";
    const JS: &str = "export function fetch(req, env, ctx) {\nexport function __worker_init_state() {\n";

    fn config(classes: &[&str]) -> Wrangler {
        let bindings: String = classes
            .iter()
            .map(|c| format!("[[durable_objects.bindings]]\nname = \"{c}_NS\"\nclass_name = \"{c}\"\n"))
            .collect();
        toml::from_str(&format!(
            "name = \"w\"\nmain = \"build/worker/shim.mjs\"\ncompatibility_date = \"2025-09-01\"\n{bindings}"
        ))
        .unwrap()
    }

    #[test]
    fn scans_exported_classes_methods_and_functions() {
        let exports = scan_wasm_bindgen(DTS, JS);
        assert_eq!(exports.classes.len(), 1, "declared (non-exported) classes are skipped");
        assert_eq!(
            exports.classes["Remote"],
            [
                "alarm",
                "__call",
                "__call_async",
                "__call_core_bind",
                "__call_core_named",
                "__call_core_named_async",
                "rpcEcho"
            ]
        );
        assert_eq!(exports.functions, ["fetch"]);
    }

    #[test]
    fn wraps_rust_classes_and_reexports_js_ones() {
        let js = JsModule { import: "./js/ref.mjs".into(), classes: vec!["JsRemote".into()] };
        let entry = generate(&config(&["Remote", "JsRemote"]), &scan_wasm_bindgen(DTS, JS), &[js]).unwrap();
        assert!(entry.contains("export class Remote extends DurableObject {"));
        assert!(entry.contains("rpcEcho(...args) {\n    return this.#live().rpcEcho(...args);"));
        assert!(entry.contains("const reply = inner.__call(envelope);"));
        assert!(entry.contains("inner.__call_core_bind(inner, this.ctx, this.env);"));
        assert!(!entry.contains("__call_async(...args)") && !entry.contains("__call_core_bind(...args)"), "{entry}");
        assert!(entry.contains("export { JsRemote } from \"./js/ref.mjs\";"));
        assert!(entry.contains("fetch(arg, env, ctx) {\n    return wasm.fetch(arg, env, ctx);"));
        assert!(!entry.contains("free("));
    }

    #[test]
    fn durable_classes_share_their_alarm_and_need_sqlite() {
        let dts = "export class Caller {\n    alarm(): Promise<any>;\n    __call_core_bind(w: any, c: any, e: any): void;\n    \
            __call_core_alarm(): Promise<any>;\n    __call_core_user_alarm_ran(ok: boolean): void;\n    \
            __call_core_set_user_alarm(at?: number): void;\n}\n";
        let wasm = scan_wasm_bindgen(dts, JS);
        let err = generate(&config(&["Caller"]), &wasm, &[]).unwrap_err();
        assert!(err.0.contains("new_sqlite_classes"), "{err}");
        let mut sqlite = config(&["Caller"]);
        sqlite.migrations = vec![crate::wrangler::Migration { new_sqlite_classes: vec!["Caller".into()] }];
        let entry = generate(&sqlite, &wasm, &[]).unwrap();
        assert!(entry.contains("new wasm.Caller(sharedAlarm(this.ctx, () => this.#inner), this.env)"), "{entry}");
        assert!(entry.contains("const own = await inner.__call_core_alarm();"), "{entry}");
        assert!(entry.contains("inner.__call_core_user_alarm_ran(true);"), "cleared after success: {entry}");
        assert!(entry.contains("inner.__call_core_user_alarm_ran(false); } catch {}\n      throw e;"), "{entry}");
        assert_eq!(entry.matches("alarm(...args) {").count(), 1, "one alarm method, composed: {entry}");
        assert!(!entry.contains("__call_core_set_user_alarm(...args)"), "{entry}");
        assert!(!entry.contains("__call_core_user_alarm_ran(...args)"), "not an RPC method: {entry}");
    }

    #[test]
    fn call_core_starts_its_task_queue_without_queue_microtask() {
        let js = format!("{JS}export function __call_core_start() {{\n");
        let wasm = scan_wasm_bindgen(DTS, &js);
        assert!(wasm.call_core_start);
        assert_eq!(wasm.functions, ["fetch"], "not a handler");
        let entry = generate(&config(&["Remote"]), &wasm, &[]).unwrap();
        let start = entry.find("wasm.__call_core_start();").expect("started");
        assert!(
            entry.contains("\nstartQueue();\n") && entry.contains("      startQueue();\n      const inner"),
            "{entry}"
        );
        assert!(entry[..start].contains("\"queueMicrotask\", { value: undefined"), "{entry}");
        assert!(entry[start..].contains("Object.defineProperty(globalThis, \"queueMicrotask\", own)"), "{entry}");
        assert!(start > entry.find("wasm.initSync").unwrap() && start < entry.find("export class").unwrap());
        let without = generate(&config(&["Remote"]), &scan_wasm_bindgen(DTS, JS), &[]).unwrap();
        assert!(!without.contains("__call_core_start"));
    }

    #[test]
    fn callable_methods_are_rpc_methods_by_name() {
        let line = r#"call-core-method: {"name":"add","id":"Remote::add#1","params":[{"name":"n","ts":"number","optional":false}],"result":"number"}"#;
        let dts = DTS.replace("    __call(envelope", &format!("    /**\n     * {line}\n     */\n    __call(envelope"));
        let wasm = scan_wasm_bindgen(&dts, JS);
        assert_eq!(wasm.classes["Remote"], scan_wasm_bindgen(DTS, JS).classes["Remote"], "docs are not methods");
        assert_eq!(wasm.callables["Remote"][0].name, "add");
        let entry = generate(&config(&["Remote"]), &wasm, &[]).unwrap();
        assert!(entry.contains("function byName(inner, id, name, args, json) {"), "{entry}");
        assert!(entry.contains(
            "  add(a0) {\n    return byName(this.#live(), \"Remote::add#1\", \"Remote.add\", [a0], plainJson);"
        ));
        // call-core's entries for calls by name are not RPC methods.
        assert!(!entry.contains("  __call_core_named"), "{entry}");
        let broken = scan_wasm_bindgen(&dts.replace("\"result\"", "\"oops"), JS);
        assert!(generate(&config(&["Remote"]), &broken, &[]).is_err());
        assert!(!generate(&config(&["Remote"]), &scan_wasm_bindgen(DTS, JS), &[]).unwrap().contains("byName"));
    }

    #[test]
    fn unknown_class_is_an_error() {
        let err = generate(&config(&["Missing"]), &scan_wasm_bindgen(DTS, JS), &[]).unwrap_err();
        assert!(err.0.contains("`Missing`"), "{err}");
    }

    #[test]
    fn scans_js_classes() {
        let src = "import x from 'y';\nexport class A extends DurableObject {\n}\nclass B {}\n  export class C {}\n";
        assert_eq!(scan_js_classes(src), ["A", "C"]);
    }
}
