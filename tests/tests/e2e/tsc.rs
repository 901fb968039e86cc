//! `tsc --noEmit` on a TypeScript caller of the example's Rust Durable Objects
//! (examples/call-delay/ts/caller.ts), against the `shim.d.ts` the build generated. The
//! caller's `@ts-expect-error` lines are mistakes the generated types must catch. TypeScript
//! and the Workers types are pinned in package-lock.json; when they are not installed the
//! test fails with the command that installs them.

use std::path::Path;
use std::process::Command;

pub fn check_typed_caller() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace");
    let tsc = root.join("node_modules/.bin/tsc");
    let types = root.join("node_modules/@cloudflare/workers-types");
    assert!(
        tsc.is_file() && types.is_dir(),
        "TypeScript is not installed: run `npm ci` in {} (package-lock.json pins typescript and \
         @cloudflare/workers-types)",
        root.display()
    );
    let example = root.join("examples/call-delay");
    let dts = example.join("build/worker/shim.d.ts");
    let declared = std::fs::read_to_string(&dts).unwrap_or_else(|e| panic!("{}: {e}", dts.display()));
    assert!(declared.contains("export declare class Typed extends DurableObject {"), "{declared}");
    // The crate's own struct, declared by tsify, types `stats` (not `unknown`).
    assert!(declared.contains("import type { MathError, Stats } from \"./index\";"), "{declared}");
    assert!(declared.contains("stats(values: Array<number>): Promise<Stats>;"), "{declared}");
    // Each method's typed error, declared too (what a thrown error's `app` holds).
    assert!(declared.contains("export type CallableError<App = unknown> ="), "{declared}");
    assert!(declared.contains("    divide: MathError;\n"), "{declared}");
    assert!(declared.contains("    add: never;\n"), "{declared}");
    let out = Command::new(&tsc)
        .args(["--noEmit", "-p"])
        .arg(example.join("ts/tsconfig.json"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tsc.display()));
    assert!(
        out.status.success(),
        "tsc --noEmit failed on examples/call-delay/ts/caller.ts:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
