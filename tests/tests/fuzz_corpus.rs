//! Every input of the fuzzing seed corpus and every regression input gets a protocol reply
//! from the callee: the regression suite of `cargo xtask fuzz`. The regressions
//! (fuzz/regressions) are the hostile envelopes below, each with the reply it must get,
//! and any input the fuzzer ever crashed on (copied there by `cargo xtask fuzz`).

#[path = "../../fuzz/fuzz_targets/target.rs"]
mod target;

use std::path::Path;

use call_core::CallError;

/// The hand-written regressions and the reply each must get: `ok`, `app` (the method's
/// own error) or the kind of the remote error.
const EXPECTED: [(&str, &str); 38] = [
    // Nesting: serde's recursion limit, the fast decode's bracket matching.
    ("deep-nesting-in-arguments.json", "decode"),
    ("deep-nesting-in-an-unknown-field.json", "ok"),
    ("deep-nesting-unbalanced.json", "decode"),
    ("nesting-at-the-value-limit.json", "ok"),
    // Numbers beyond their types.
    ("id-above-u64.json", "decode"),
    ("version-above-u32.json", "version_mismatch"),
    ("deadline-above-u64.json", "decode"),
    ("argument-above-u32.json", "decode"),
    ("argument-out-of-f64-range.json", "decode"),
    ("i64-overflow-in-a-chain.json", "app"),
    ("leading-zeros-and-exponents.json", "decode"),
    // References out of range.
    ("reference-to-itself.json", "limit"),
    ("reference-to-a-later-step.json", "limit"),
    ("reference-to-step-u32-max.json", "limit"),
    ("reference-above-u32.json", "decode"),
    ("reference-to-a-missing-argument.json", "decode"),
    ("reference-into-arguments-that-are-not-an-array.json", "decode"),
    ("references-empty-list.json", "ok"),
    // At most one reference per argument (issue 18): refused before anything runs.
    ("many-references-to-one-slot.json", "limit"),
    // Escapes that are no Unicode scalar value, broken escapes, escapes in ids.
    ("lone-surrogate-in-an-argument.json", "decode"),
    ("reversed-surrogate-pair-in-a-value.json", "decode"),
    ("lone-surrogate-in-the-method-id.json", "decode"),
    ("truncated-unicode-escape.json", "decode"),
    ("escaped-method-id.json", "ok"),
    ("nul-and-control-characters.json", "ok"),
    // Plans at and over the limits (64 steps, depth 16), small as text.
    ("chain-at-the-depth-limit.json", "ok"),
    ("chain-over-the-depth-limit.json", "limit"),
    ("plan-at-the-step-limit.json", "ok"),
    ("plan-over-the-step-limit.json", "limit"),
    ("wide-plan-every-step-refers-to-the-first.json", "ok"),
    // Other shapes.
    ("durable-envelope-to-a-callee-without-storage.json", "ok"),
    ("duplicate-version-field.json", "decode"),
    ("empty-plan.json", "decode"),
    ("arguments-for-a-method-without-any.json", "decode"),
    ("stale-signature-hash.json", "version_mismatch"),
    ("unknown-method.json", "unknown_method"),
    ("past-deadline.json", "deadline_exceeded"),
    ("not-an-object.json", "decode"),
];

fn inputs(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn seed_corpus_gets_protocol_replies() {
    let seeds = inputs("fuzz/seeds/envelope");
    assert!(seeds.len() >= 10, "the seed corpus is there");
    for (name, data) in seeds {
        let text = String::from_utf8(data).unwrap_or_else(|_| panic!("seed {name} is UTF-8"));
        target::check(&text);
    }
}

/// The reply as `EXPECTED` names it.
fn outcome(reply: &Result<serde_json::Value, CallError<serde_json::Value>>) -> String {
    match reply {
        Ok(_) => "ok".into(),
        Err(CallError::App(_)) => "app".into(),
        Err(CallError::Remote(e)) => serde_json::to_value(e.kind).unwrap().as_str().unwrap().to_string(),
        Err(other) => format!("not a protocol reply: {other:?}"),
    }
}

/// Every regression input gets a protocol reply, and the hand-written ones the reply
/// `EXPECTED` names. Fails when the directory lacks one of them, when an input is not
/// UTF-8 (the `__call` entry receives text: such an input tests nothing), or when one
/// names a method id this build does not have (it would only test the unknown-method path).
#[test]
fn crash_regressions_get_protocol_replies() {
    let regressions = inputs("fuzz/regressions");
    for (name, _) in EXPECTED {
        assert!(regressions.iter().any(|(n, _)| n == name), "fuzz/regressions/{name} is missing");
    }
    let ids = call_core::dispatch::methods::<target::Target>();
    for (name, data) in regressions {
        let text = String::from_utf8(data).unwrap_or_else(|_| panic!("fuzz/regressions/{name} is not UTF-8"));
        // `stale-…` and `unknown-…` inputs name ids this build lacks on purpose.
        for id in method_ids(&text).filter(|_| !name.starts_with("stale-") && !name.starts_with("unknown-")) {
            assert!(ids.contains(&id), "fuzz/regressions/{name} names `{id}`, not one of {ids:?}: update it");
        }
        target::check(&text);
        if let Some((_, expected)) = EXPECTED.iter().find(|(n, _)| *n == name) {
            let (reply, decoded) = target::reply(&text);
            assert_eq!(outcome(&decoded), *expected, "fuzz/regressions/{name}: {reply}");
        }
    }
}

/// The ids `Target::name#hash` (eight hex digits) that `text` names literally.
fn method_ids(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("Target::").filter_map(|(at, _)| {
        let rest = &text[at + "Target::".len()..];
        let name = rest.bytes().take_while(|b| b.is_ascii_lowercase() || *b == b'_').count();
        let hash = rest[name..].strip_prefix('#')?.bytes().take_while(u8::is_ascii_hexdigit).count();
        (name > 0 && hash == 8).then(|| &text[at..at + "Target::".len() + name + 1 + hash])
    })
}

#[test]
fn method_ids_are_read_from_inputs() {
    let text = r#"{"m":"Target::echo#ee26c8ed"},{"m":"Target::echo\u0023ee26c8ed"},"Target::x#12""#;
    assert_eq!(method_ids(text).collect::<Vec<_>>(), ["Target::echo#ee26c8ed"]);
}

/// The committed seeds call this build's method ids (stale ids would only exercise the
/// error paths). `UPDATE_SEEDS=1 cargo test -p tests --test fuzz_corpus` rewrites them.
#[test]
fn seeds_match_this_build() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/envelope");
    let update = std::env::var_os("UPDATE_SEEDS").is_some();
    for (i, seed) in seeds().iter().enumerate() {
        let path = dir.join(format!("seed-{i:02}.json"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, seed).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(&committed, seed, "{} is stale: run with UPDATE_SEEDS=1", path.display());
    }
}

fn seeds() -> Vec<String> {
    let ids = call_core::testing::methods::<target::Target>();
    let find = |name: &str| ids.iter().find(|id| id.starts_with(&format!("Target::{name}#"))).unwrap();
    let (echo, text, add, nested, nothing) = (find("echo"), find("text"), find("add"), find("nested"), find("nothing"));
    vec![
        format!(r#"{{"v":1,"id":1,"dl":5000,"p":[{{"m":"{echo}","a":[7]}}]}}"#),
        format!(r#"{{"v":1,"id":2,"p":[{{"m":"{text}","a":["héllo",[1,-2,3]]}}]}}"#),
        format!(r#"{{"v":1,"id":3,"p":[{{"m":"{add}","a":[9223372036854775807,1]}}]}}"#),
        format!(r#"{{"v":1,"id":4,"p":[{{"m":"{add}","a":[1,2]}},{{"m":"{add}","a":[null,3],"r":[[0,0]]}}]}}"#),
        format!(r#"{{"v":1,"id":5,"p":[{{"m":"{nested}","a":[{{"a":[1,{{"b":null}}],"c":"\u00e9"}}]}}]}}"#),
        format!(r#"{{"v":1,"id":6,"p":[{{"m":"{nothing}","a":[]}}]}}"#),
        format!(r#"{{"v":1,"id":7,"p":[{{"m":"{echo}","a":[1]}},{{"m":"{text}","a":["x",null],"r":[[1,0]]}}]}}"#),
        format!(r#"{{"v":2,"id":8,"p":[{{"m":"{echo}","a":[7]}}]}}"#),
        format!(r#"{{"v":1,"id":9,"dl":1,"p":[{{"m":"{echo}","a":[7]}}]}}"#),
        format!(r#"{{"v":1,"id":10,"p":[{{"m":"Target::echo#00000000","a":[7]}}]}}"#),
        format!(r#"{{"v":1,"id":11,"p":[{{"m":"{echo}","a":["7"]}}]}}"#),
        r#"{"v":1,"id":12,"p":[]}"#.to_string(),
    ]
}
