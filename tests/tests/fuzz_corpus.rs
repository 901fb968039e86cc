//! Every input of the fuzzing seed corpus and every input the fuzzer ever crashed on gets a
//! protocol reply from the callee: the regression suite of `cargo xtask fuzz`.

#[path = "../../fuzz/fuzz_targets/target.rs"]
mod target;

use std::path::Path;

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

#[test]
fn crash_regressions_get_protocol_replies() {
    for (_, data) in inputs("fuzz/regressions") {
        if let Ok(text) = std::str::from_utf8(&data) {
            target::check(text);
        }
    }
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
