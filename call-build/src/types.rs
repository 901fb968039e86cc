//! The crate's own types in `shim.d.ts`. `#[continuation]` writes a named type it cannot
//! read from the signature (a struct, an enum, an alias) as `@Name`; here it becomes `Name`
//! when wasm-bindgen's `index.d.ts` declares a type of that name (tsify's
//! `#[derive(Tsify)]` writes `export interface Name` or `export type Name`, as any
//! `#[wasm_bindgen(typescript_custom_section)]` may), imported from `./index`; else
//! `unknown`, as before.

use std::collections::BTreeSet;

/// The names of the types (`export interface N`, `export type N`) `index.d.ts` declares.
pub fn declared(index_dts: &str) -> BTreeSet<String> {
    index_dts
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("export ")?;
            let rest = rest.strip_prefix("declare ").unwrap_or(rest);
            let rest = rest.strip_prefix("interface ").or_else(|| rest.strip_prefix("type "))?;
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// `ts` with every `@Name` resolved against `declared`: `Name` (added to `used`) or `unknown`.
pub fn resolve(ts: &str, declared: &BTreeSet<String>, used: &mut BTreeSet<String>) -> String {
    let mut out = String::with_capacity(ts.len());
    let mut rest = ts;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let len = after.find(|c: char| !is_ident(c)).unwrap_or(after.len());
        let name = &after[..len];
        if declared.contains(name) {
            out.push_str(name);
            used.insert(name.to_string());
        } else {
            out.push_str("unknown");
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// The lines that bring the `used` types into `shim.d.ts` and export them from it.
pub fn imports(used: &BTreeSet<String>) -> String {
    if used.is_empty() {
        return String::new();
    }
    let names = used.iter().cloned().collect::<Vec<_>>().join(", ");
    format!("import type {{ {names} }} from \"./index\";\nexport type {{ {names} }};\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_are_named_the_others_unknown() {
        let dts = "export interface Stats {\n    count: number;\n}\n\nexport type Kind = \"A\" | \"B\";\n\
                   export class Typed {\n  free(): void;\n}\nexport declare type Other$1 = number;\n";
        let declared = declared(dts);
        assert_eq!(declared.iter().map(String::as_str).collect::<Vec<_>>(), ["Kind", "Other$1", "Stats"]);
        let mut used = BTreeSet::new();
        assert_eq!(resolve("@Stats | null", &declared, &mut used), "Stats | null");
        assert_eq!(resolve("Array<@Typed>", &declared, &mut used), "Array<unknown>", "a class is not a data type");
        assert_eq!(resolve("[@Kind, @Missing]", &declared, &mut used), "[Kind, unknown]");
        assert_eq!(resolve("Record<string, number>", &declared, &mut used), "Record<string, number>");
        assert_eq!(used.iter().map(String::as_str).collect::<Vec<_>>(), ["Kind", "Stats"]);
        assert_eq!(imports(&used), "import type { Kind, Stats } from \"./index\";\nexport type { Kind, Stats };\n");
        assert_eq!(imports(&BTreeSet::new()), "");
    }
}
