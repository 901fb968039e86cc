//! Decoding a call's arguments (a JSON array) into the method's parameter tuple, with an
//! error that names the parameter it is about: a caller in JavaScript, which has no types
//! to check its arguments against, reads which one was wrong.

use serde::de::DeserializeOwned;

/// Decodes `args` as `A`; on failure, the message names the parameter (of `params`, the
/// method's parameter names in order) at which decoding stopped.
pub(crate) fn decode<A: DeserializeOwned>(args: &str, params: &[&str]) -> Result<A, String> {
    serde_json::from_str(args).map_err(|e| describe(args, &e, params))
}

fn describe(args: &str, e: &serde_json::Error, params: &[&str]) -> String {
    let starts = element_starts(args);
    let given = starts.len();
    let text = e.to_string();
    if text.starts_with("invalid length") && given < params.len() {
        // A missing argument: the first parameter with none.
        return format!("missing argument {} (`{}`): {text}", given + 1, params[given]);
    }
    if text.starts_with("trailing characters") || (text.starts_with("invalid length") && given > params.len()) {
        return format!("{given} arguments given, the method takes {}: {text}", params.len());
    }
    if e.line() != 1 || !args.starts_with('[') {
        return text;
    }
    // serde_json reports the column of the last byte it consumed (1-based), which is the
    // 0-based offset of the next one: the value in error ends there, or starts right after
    // (a type it only peeked at). The element that starts last at or before that offset.
    let at = e.column();
    match starts.iter().rposition(|&s| s <= at) {
        Some(i) if i < params.len() => format!("argument {} (`{}`): {text}", i + 1, params[i]),
        _ => text,
    }
}

/// The byte offsets at which the top-level elements of a JSON array start (text written by
/// `JSON.stringify` or serde_json; on malformed text, a best effort).
fn element_starts(args: &str) -> Vec<usize> {
    let bytes = args.as_bytes();
    let mut starts = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut expect) = (0usize, false, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if expect && !b.is_ascii_whitespace() && !(depth == 1 && b == b']') {
            starts.push(i);
            expect = false;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth == 1 {
                    expect = true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect = true,
            _ => {}
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_parameter_that_did_not_decode() {
        let names = ["a", "b"];
        let err = decode::<(u32, String)>(r#"[1,2]"#, &names).unwrap_err();
        assert!(err.starts_with("argument 2 (`b`): invalid type: integer `2`"), "{err}");
        let err = decode::<(u32, String)>(r#"["x","y"]"#, &names).unwrap_err();
        assert!(err.starts_with("argument 1 (`a`): invalid type: string"), "{err}");
        let err = decode::<(Vec<u32>, String)>(r#"[[1,"2"],"y"]"#, &names).unwrap_err();
        assert!(err.starts_with("argument 1 (`a`)"), "{err}");
        let err = decode::<(u32, String)>(r#"[1]"#, &names).unwrap_err();
        assert!(err.starts_with("missing argument 2 (`b`)"), "{err}");
        let err = decode::<(u32, String)>(r#"[1,"y",3]"#, &names).unwrap_err();
        assert!(err.starts_with("3 arguments given, the method takes 2"), "{err}");
        let err = decode::<(Vec<f64>, String)>(r#"[{"x":1},"y"]"#, &names).unwrap_err();
        assert!(err.starts_with("argument 1 (`a`): invalid type: map"), "{err}");
        let err = decode::<(String, Vec<f64>)>(r#"["x",{"x":1}]"#, &names).unwrap_err();
        assert!(err.starts_with("argument 2 (`b`): invalid type: map"), "{err}");
        let err = decode::<(u32, String)>(r#"[1,null]"#, &names).unwrap_err();
        assert!(err.starts_with("argument 2 (`b`): invalid type: null"), "{err}");
        assert_eq!(decode::<(u32, String)>(r#"[1, "y"]"#, &names).unwrap(), (1, "y".into()));
    }

    #[test]
    fn finds_top_level_elements() {
        assert_eq!(element_starts(r#"[1,"a,]",{"k":[2,3]},[]]"#), [1, 3, 9, 21]);
        assert_eq!(element_starts("[]"), Vec::<usize>::new());
        assert_eq!(element_starts(r#"[ "\"", 2 ]"#), [2, 8]);
    }
}
