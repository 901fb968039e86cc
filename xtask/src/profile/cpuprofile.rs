//! The `.cpuprofile` that V8's profiler writes, and what `cargo xtask profile` reads from
//! it: the top functions by self and by total time, with wasm functions under their Rust
//! names (from the module's `name` section), and the shares of V8's pseudo-frames.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Deserialize;

use crate::{bail, Result};

/// The function names of a wasm module's `name` section (function index → name).
pub fn wasm_function_names(wasm: &[u8]) -> Result<BTreeMap<u32, String>> {
    fn leb(bytes: &[u8], at: &mut usize) -> Result<u32> {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let Some(&byte) = bytes.get(*at) else { bail!("truncated LEB128 at byte {at}") };
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return u32::try_from(value).map_err(|_| crate::Error("LEB128 overflows u32".into()));
            }
            shift += 7;
            if shift > 35 {
                bail!("LEB128 too long at byte {at}");
            }
        }
    }
    fn bytes_of<'a>(data: &'a [u8], at: &mut usize, len: u32) -> Result<&'a [u8]> {
        let end = at.checked_add(len as usize).filter(|&e| e <= data.len());
        let Some(end) = end else { bail!("section runs past the end") };
        let slice = &data[*at..end];
        *at = end;
        Ok(slice)
    }
    if wasm.get(..4) != Some(b"\0asm") {
        bail!("not a wasm module");
    }
    let mut names = BTreeMap::new();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at)?;
        let section = bytes_of(wasm, &mut at, size)?;
        if id != 0 {
            continue;
        }
        let mut p = 0;
        let name_len = leb(section, &mut p)?;
        if bytes_of(section, &mut p, name_len)? != b"name" {
            continue;
        }
        while p < section.len() {
            let kind = section[p];
            p += 1;
            let len = leb(section, &mut p)?;
            let sub = bytes_of(section, &mut p, len)?;
            if kind != 1 {
                continue; // 0: module name, 2: locals, …
            }
            let mut q = 0;
            for _ in 0..leb(sub, &mut q)? {
                let index = leb(sub, &mut q)?;
                let len = leb(sub, &mut q)?;
                let name = String::from_utf8_lossy(bytes_of(sub, &mut q, len)?).into_owned();
                names.insert(index, name);
            }
        }
    }
    Ok(names)
}

/// A Rust symbol as people read it: mangled names (legacy `_ZN…E`, v0 `_R…`) demangled,
/// and hashes dropped (`::h0123456789abcdef` suffixes, `[0123456789abcdef]` crate
/// disambiguators), as wasm-bindgen's demangled names still carry them.
pub fn rust_name(symbol: &str) -> String {
    let symbol = symbol.strip_prefix('$').unwrap_or(symbol);
    let demangled = match rustc_demangle::try_demangle(symbol) {
        Ok(d) => format!("{d:#}"),
        Err(_) => symbol.to_string(),
    };
    let mut out = String::with_capacity(demangled.len());
    let mut rest = demangled.as_str();
    while let Some(open) = rest.find('[') {
        let hex = rest[open + 1..].split(']').next().unwrap_or_default();
        let is_hash = hex.len() >= 8
            && rest[open + 1..].contains(']')
            && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        if is_hash {
            out.push_str(&rest[..open]);
            rest = &rest[open + hex.len() + 2..];
        } else {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
        }
    }
    out.push_str(rest);
    // `…::h0123456789abcdef`, at the end or before wasm-bindgen's " externref shim" suffixes.
    let mut cleaned = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find("::h") {
        let tail = &rest[at + 3..];
        let hex = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        let ends = tail[hex..].is_empty() || tail[hex..].starts_with(' ');
        cleaned.push_str(&rest[..at]);
        if hex != 16 || !ends {
            cleaned.push_str("::h");
        }
        rest = if hex == 16 && ends { &tail[hex..] } else { tail };
    }
    cleaned.push_str(rest);
    cleaned
}

/// V8's CPU profile (`Profiler.Profile` of the DevTools protocol).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CpuProfile {
    /// The call tree.
    pub nodes: Vec<ProfileNode>,
    /// Start, µs.
    pub start_time: f64,
    /// End, µs.
    pub end_time: f64,
    /// The node id of every sample.
    #[serde(default)]
    pub samples: Vec<u64>,
    /// µs between consecutive samples (the first one from `start_time`).
    #[serde(default)]
    pub time_deltas: Vec<f64>,
}

impl CpuProfile {
    /// Each node's position in `nodes`, by id.
    pub fn index(&self) -> HashMap<u64, usize> {
        self.nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect()
    }

    /// Each node's parent, by position.
    pub fn parents(&self) -> Vec<Option<usize>> {
        let index = self.index();
        let mut parent = vec![None; self.nodes.len()];
        for (i, node) in self.nodes.iter().enumerate() {
            for c in node.children.iter().filter_map(|child| index.get(child)) {
                parent[*c] = Some(i);
            }
        }
        parent
    }

    /// Each node's self time in µs, by position: sample `i` lasts until sample `i + 1`,
    /// the last one until the profile's end.
    pub fn self_us(&self) -> Vec<f64> {
        let index = self.index();
        let mut t = self.start_time;
        let stamps: Vec<f64> = self
            .time_deltas
            .iter()
            .take(self.samples.len())
            .map(|d| {
                t += d;
                t
            })
            .collect();
        let mut us = vec![0.0f64; self.nodes.len()];
        for (i, id) in self.samples.iter().enumerate() {
            let (Some(&node), Some(&start)) = (index.get(id), stamps.get(i)) else { continue };
            us[node] += (stamps.get(i + 1).copied().unwrap_or(self.end_time) - start).max(0.0);
        }
        us
    }
}

/// One node of the call tree: a function called from its parent's function.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileNode {
    /// Unique in the profile.
    pub id: u64,
    /// The function.
    pub call_frame: CallFrame,
    /// Callees.
    #[serde(default)]
    pub children: Vec<u64>,
}

/// A function of the profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallFrame {
    /// The name (for wasm, from the `name` section).
    pub function_name: String,
    /// The script (`wasm://wasm/…` for wasm).
    #[serde(default)]
    pub url: String,
    /// 0-based line.
    #[serde(default)]
    pub line_number: i64,
    /// 0-based column; for wasm, the function's byte offset.
    #[serde(default)]
    pub column_number: i64,
}

impl CallFrame {
    /// The runtime's pseudo-frames: `(root)`, `(program)`, `(idle)`, `(garbage collector)`.
    pub fn is_pseudo(&self) -> bool {
        self.url.is_empty() && self.function_name.starts_with('(') && self.function_name.ends_with(')')
    }

    /// Whether this is a wasm function.
    pub fn is_wasm(&self) -> bool {
        self.url.starts_with("wasm://")
    }

    /// Whether this is a JavaScript function of a script (not a builtin).
    pub fn is_js(&self) -> bool {
        !self.url.is_empty() && !self.is_wasm()
    }

    /// How the reports name it: Rust names for wasm, `name  [js file:line]` for JavaScript.
    pub fn display(&self, wasm_names: &BTreeMap<u32, String>) -> String {
        if self.is_pseudo() {
            return self.function_name.clone();
        }
        if self.is_wasm() {
            // A frame without a name section entry reads `$func123` or `wasm-function[123]`.
            let index = self
                .function_name
                .strip_prefix("$func")
                .or_else(|| self.function_name.strip_prefix("wasm-function[").and_then(|s| s.strip_suffix(']')))
                .and_then(|i| i.parse::<u32>().ok());
            let name = index.and_then(|i| wasm_names.get(&i)).map_or(self.function_name.as_str(), String::as_str);
            return format!("{}  [wasm]", rust_name(name));
        }
        let name = if self.function_name.is_empty() { "(anonymous)" } else { self.function_name.as_str() };
        if self.url.is_empty() {
            return format!("{name}  [native]");
        }
        let file = self.url.rsplit('/').next().unwrap_or(&self.url);
        format!("{name}  [js {file}:{}]", self.line_number + 1)
    }
}

/// Self and total time of one function over the whole profile.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionTime {
    /// The function.
    pub frame: CallFrame,
    /// µs in samples whose innermost frame is this function.
    pub self_us: f64,
    /// µs in samples with this function anywhere on the stack (recursion counted once).
    pub total_us: f64,
    /// For an anonymous JavaScript function: the named function on the same line that
    /// calls it (wasm-bindgen's import glue wraps each import in one, e.g.
    /// `__wbg_rpcEcho_…: function() { return wrapError(function (arg0) {…}) }`).
    pub enclosing: Option<String>,
}

impl FunctionTime {
    /// How the reports name it.
    pub fn display(&self, wasm_names: &BTreeMap<u32, String>) -> String {
        let shown = self.frame.display(wasm_names);
        match &self.enclosing {
            Some(outer) => shown.replacen("(anonymous)", &format!("(anonymous in {outer})"), 1),
            None => shown,
        }
    }
}

/// The summary of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// µs covered by the samples.
    pub total_us: f64,
    /// Number of samples.
    pub samples: usize,
    /// Every function, pseudo-frames included, by descending self time.
    pub functions: Vec<FunctionTime>,
}

impl Analysis {
    /// Self time of a pseudo-frame such as `(idle)`.
    pub fn pseudo_us(&self, name: &str) -> f64 {
        self.functions
            .iter()
            .filter(|f| f.frame.is_pseudo() && f.frame.function_name == name)
            .map(|f| f.self_us)
            .fold(0.0, |a, b| a + b)
    }
}

/// Computes self and total time per function. Sample `i` lasts until sample `i + 1`; the
/// last one until the profile's end.
pub fn analyze(profile: &CpuProfile) -> Analysis {
    let node_self = profile.self_us();

    // Functions, interned by call frame.
    let mut keys: HashMap<&CallFrame, usize> = HashMap::new();
    let mut functions: Vec<FunctionTime> = Vec::new();
    let node_fn: Vec<usize> = profile
        .nodes
        .iter()
        .map(|n| {
            *keys.entry(&n.call_frame).or_insert_with(|| {
                functions.push(FunctionTime {
                    frame: n.call_frame.clone(),
                    self_us: 0.0,
                    total_us: 0.0,
                    enclosing: None,
                });
                functions.len() - 1
            })
        })
        .collect();

    let parent = profile.parents();
    for (leaf, &us) in node_self.iter().enumerate().filter(|(_, us)| **us > 0.0) {
        functions[node_fn[leaf]].self_us += us;
        // Every function on the sample's stack gets its time once, however deep it recurses.
        let (mut on_stack, mut at) = (Vec::new(), Some(leaf));
        for _ in 0..profile.nodes.len() {
            let Some(node) = at else { break };
            if !on_stack.contains(&node_fn[node]) {
                on_stack.push(node_fn[node]);
            }
            at = parent[node];
        }
        on_stack.into_iter().for_each(|f| functions[f].total_us += us);
    }
    for (node, &f) in node_fn.iter().enumerate() {
        let frame = &profile.nodes[node].call_frame;
        if functions[f].enclosing.is_some() || !frame.function_name.is_empty() || !frame.is_js() {
            continue;
        }
        let mut up = parent[node];
        for _ in 0..4 {
            let Some(p) = up else { break };
            let outer = &profile.nodes[p].call_frame;
            if outer.url == frame.url && outer.line_number == frame.line_number && !outer.function_name.is_empty() {
                functions[f].enclosing = Some(outer.function_name.clone());
                break;
            }
            up = parent[p];
        }
    }
    functions.sort_by(|a, b| b.self_us.total_cmp(&a.self_us));
    Analysis { total_us: node_self.iter().fold(0.0, |a, b| a + b), samples: profile.samples.len(), functions }
}

/// The printed summary: the pseudo-frames' shares, then the top `k` functions by self
/// and by total time.
pub fn report(analysis: &Analysis, k: usize, wasm_names: &BTreeMap<u32, String>) -> String {
    let total = analysis.total_us.max(f64::MIN_POSITIVE);
    let pct = |us: f64| 100.0 * us / total;
    let mut out = String::new();
    let (idle, program, gc) =
        (analysis.pseudo_us("(idle)"), analysis.pseudo_us("(program)"), analysis.pseudo_us("(garbage collector)"));
    let by_kind = |keep: fn(&CallFrame) -> bool| -> f64 {
        analysis.functions.iter().filter(|f| keep(&f.frame)).map(|f| f.self_us).fold(0.0, |a, b| a + b)
    };
    let (wasm, js) = (by_kind(CallFrame::is_wasm), by_kind(CallFrame::is_js));
    let native = by_kind(|f| f.url.is_empty() && !f.is_pseudo());
    let _ = writeln!(
        out,
        "{:.2} s sampled ({} samples): (idle) {:.1} %, (program) {:.1} %, (garbage collector) {:.1} %; \
         self time in wasm {:.1} %, JavaScript {:.1} %, builtins and API callbacks {:.1} %",
        analysis.total_us / 1e6,
        analysis.samples,
        pct(idle),
        pct(program),
        pct(gc),
        pct(wasm),
        pct(js),
        pct(native)
    );
    let real: Vec<&FunctionTime> = analysis.functions.iter().filter(|f| !f.frame.is_pseudo()).collect();
    let mut section = |title: &str, rows: Vec<&FunctionTime>| {
        let _ = writeln!(out, "\n{title} (% of all sampled time)\n   self ms  self %   total ms  total %  function");
        for f in rows.into_iter().take(k) {
            let _ = writeln!(
                out,
                "{:>10.1} {:>6.1} % {:>10.1} {:>6.1} %  {}",
                f.self_us / 1e3,
                pct(f.self_us),
                f.total_us / 1e3,
                pct(f.total_us),
                f.display(wasm_names)
            );
        }
    };
    section(&format!("top {k} by self time"), real.clone());
    let mut by_total = real;
    by_total.sort_by(|a, b| b.total_us.total_cmp(&a.total_us));
    section(&format!("top {k} by total time"), by_total);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(name: &str, url: &str, column: i64) -> CallFrame {
        CallFrame { function_name: name.into(), url: url.into(), line_number: 0, column_number: column }
    }

    /// (root) → main → { a → b, b → a → b (recursion), (idle), (program), (garbage collector) }.
    fn profile() -> CpuProfile {
        let node = |id, name: &str, url: &str, children: &[u64]| ProfileNode {
            id,
            call_frame: frame(name, url, if url.starts_with("wasm") { 100 + id as i64 } else { 0 }),
            children: children.to_vec(),
        };
        let wasm = "wasm://wasm/abc";
        let mut nodes = vec![
            node(1, "(root)", "", &[2, 7, 8, 9]),
            node(2, "main", "file:///w/entry.mjs", &[3, 5]),
            node(3, "a", wasm, &[4]),
            node(4, "b", wasm, &[]),
            node(5, "b", wasm, &[6]),
            node(6, "a", wasm, &[10]),
            node(7, "(idle)", "", &[]),
            node(8, "(program)", "", &[]),
            node(9, "(garbage collector)", "", &[]),
            node(10, "b", wasm, &[]),
        ];
        // Same function ⇔ same call frame: nodes 3 and 6 are `a`, nodes 4, 5 and 10 are `b`.
        for n in &mut nodes {
            n.call_frame.column_number = match n.call_frame.function_name.as_str() {
                "a" => 10,
                "b" => 20,
                _ => 0,
            };
        }
        // Samples 10 µs apart from t = 1000; each lasts until the next, the last until 1100.
        let samples = vec![4, 4, 3, 10, 6, 2, 7, 7, 8, 9];
        CpuProfile {
            nodes,
            start_time: 1000.0,
            end_time: 1100.0,
            time_deltas: vec![0.0; 1].into_iter().chain([10.0; 9]).collect(),
            samples,
        }
    }

    #[test]
    fn self_and_total_time() {
        let a = analyze(&profile());
        assert_eq!(a.samples, 10);
        assert!((a.total_us - 100.0).abs() < 1e-9, "{}", a.total_us);
        let get = |name: &str| a.functions.iter().find(|f| f.frame.function_name == name).unwrap().clone();
        // b: samples at nodes 4, 4, 10 → 30 µs self; on the stack in samples 0, 1, 3 and 4
        // → 40 µs total, counted once although main → b → a → b recurses.
        assert_eq!((get("b").self_us, get("b").total_us), (30.0, 40.0));
        // a: node 3 (1 sample) + node 6 (1 sample) self; total: nodes 3-4 (30) + node 6 subtree (20).
        assert_eq!((get("a").self_us, get("a").total_us), (20.0, 50.0));
        assert_eq!((get("main").self_us, get("main").total_us), (10.0, 60.0));
        assert_eq!((get("(root)").self_us, get("(root)").total_us), (0.0, 100.0));
        assert_eq!(
            (a.pseudo_us("(idle)"), a.pseudo_us("(program)"), a.pseudo_us("(garbage collector)")),
            (20.0, 10.0, 10.0)
        );
        assert_eq!(a.functions[0].frame.function_name, "b", "sorted by self time");

        let text = report(&a, 2, &BTreeMap::new());
        assert!(text.contains("(idle) 20.0 %, (program) 10.0 %, (garbage collector) 10.0 %"), "{text}");
        assert!(
            text.contains("self time in wasm 50.0 %, JavaScript 10.0 %, builtins and API callbacks 0.0 %"),
            "{text}"
        );
        let self_top: Vec<&str> =
            text.lines().skip_while(|l| !l.starts_with("top 2 by self")).skip(2).take(2).collect();
        assert!(self_top[0].ends_with("b  [wasm]") && self_top[0].contains("30.0 %"), "{self_top:?}");
        let total_top: Vec<&str> =
            text.lines().skip_while(|l| !l.starts_with("top 2 by total")).skip(2).take(2).collect();
        assert!(total_top[0].ends_with("main  [js entry.mjs:1]") && total_top[0].contains("60.0 %"), "{total_top:?}");
        assert!(!text.contains("(root)  "), "pseudo-frames are not listed as functions");
    }

    #[test]
    fn a_cpuprofile_parses() {
        let text = r#"{"nodes":[{"id":1,"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"hitCount":0,"children":[2]},
            {"id":2,"callFrame":{"functionName":"$func7","scriptId":"3","url":"wasm://wasm/00a1","lineNumber":0,"columnNumber":4242},"hitCount":2}],
            "startTime":5,"endTime":25,"samples":[2,2],"timeDeltas":[5,10]}"#;
        let p: CpuProfile = serde_json::from_str(text).unwrap();
        let a = analyze(&p);
        assert_eq!(a.total_us, 15.0, "from the first sample (t = 10) to the end (25)");
        let names = BTreeMap::from([(7, "call_core::wire::decode_reply::h0123456789abcdef".to_string())]);
        let f = a.functions.iter().find(|f| f.frame.is_wasm()).unwrap();
        assert_eq!(f.display(&names), "call_core::wire::decode_reply  [wasm]");
    }

    #[test]
    fn anonymous_glue_is_named_after_its_wrapper() {
        let text = r#"{"nodes":[{"id":1,"callFrame":{"functionName":"(root)","url":""},"children":[2]},
            {"id":2,"callFrame":{"functionName":"__wbg_rpcEcho_290e","url":"file:///b/index.js","lineNumber":1459,"columnNumber":40},"children":[3]},
            {"id":3,"callFrame":{"functionName":"wrapError","url":"file:///b/index.js","lineNumber":20},"children":[4]},
            {"id":4,"callFrame":{"functionName":"","url":"file:///b/index.js","lineNumber":1459,"columnNumber":70},"children":[5]},
            {"id":5,"callFrame":{"functionName":"","url":""}}],
            "startTime":0,"endTime":30,"samples":[4,4,5],"timeDeltas":[0,10,10]}"#;
        let a = analyze(&serde_json::from_str(text).unwrap());
        let shown: Vec<String> = a.functions.iter().map(|f| f.display(&BTreeMap::new())).collect();
        assert_eq!(shown[0], "(anonymous in __wbg_rpcEcho_290e)  [js index.js:1460]");
        assert!(shown.contains(&"(anonymous)  [native]".to_string()), "{shown:?}");
    }

    #[test]
    fn rust_names_are_readable() {
        assert_eq!(rust_name("call_core::wire::reply_remote::h0a7897dce773f0c3"), "call_core::wire::reply_remote");
        assert_eq!(rust_name("core[12f89f2d8a73214f]::str::slice_error_fail_rt"), "core::str::slice_error_fail_rt");
        assert_eq!(rust_name("_ZN9call_core4wire12decode_reply17h0123456789abcdefE"), "call_core::wire::decode_reply");
        assert_eq!(rust_name("$_ZN4core3fmt5write17h0123456789abcdefE"), "core::fmt::write");
        assert_eq!(rust_name("_RNvCs1234_7mycrate3foo"), "mycrate::foo");
        assert_eq!(
            rust_name("<js_sys::Array as core::ops::Index<[usize]>>::x"),
            "<js_sys::Array as core::ops::Index<[usize]>>::x"
        );
        assert_eq!(rust_name("memcpy"), "memcpy");
        assert_eq!(
            rust_name("wasm_bindgen::convert::closures::_::invoke::h148a2ef43d65f7c1 externref shim"),
            "wasm_bindgen::convert::closures::_::invoke externref shim"
        );
        assert_eq!(rust_name("a::hash::hb"), "a::hash::hb");
        assert_eq!(rust_name("a::hello"), "a::hello");
    }

    #[test]
    fn the_name_section_is_read() {
        // A module with one custom `name` section: subsection 0 (module name "m", skipped),
        // subsection 1 (functions 0 → "f", 3 → "gg").
        let functions = [2u8, 0, 1, b'f', 3, 2, b'g', b'g'];
        let mut section = vec![4u8, b'n', b'a', b'm', b'e', 0, 2, 1, b'm', 1, functions.len() as u8];
        section.extend(functions);
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend([0, section.len() as u8]);
        wasm.extend(&section);
        let parsed = wasm_function_names(&wasm).unwrap();
        assert_eq!(parsed, BTreeMap::from([(0, "f".to_string()), (3, "gg".to_string())]));
        assert!(wasm_function_names(b"nope").is_err());
        assert!(wasm_function_names(&wasm[..wasm.len() - 2]).is_err(), "truncated");
    }
}
