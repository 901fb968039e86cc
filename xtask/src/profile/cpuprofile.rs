//! The `.cpuprofile` that V8's profiler writes, as `cargo xtask profile` reads it: the
//! call tree, each node's self time, frames named as people read them (wasm functions
//! under their Rust names from the module's `name` section, JavaScript ones by file and
//! line, anonymous glue by the wasm-bindgen import it sits in), and the top functions.

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
    // A run of bytes after its length.
    fn bytes_of<'a>(data: &'a [u8], at: &mut usize) -> Result<&'a [u8]> {
        let len = leb(data, at)? as usize;
        let Some(end) = at.checked_add(len).filter(|&e| e <= data.len()) else { bail!("section runs past the end") };
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
        let section = bytes_of(wasm, &mut at)?;
        if id != 0 {
            continue;
        }
        let mut p = 0;
        if bytes_of(section, &mut p)? != b"name" {
            continue;
        }
        while p < section.len() {
            let kind = section[p];
            p += 1;
            let sub = bytes_of(section, &mut p)?;
            if kind != 1 {
                continue; // 0: module name, 2: locals, …
            }
            let mut q = 0;
            for _ in 0..leb(sub, &mut q)? {
                let index = leb(sub, &mut q)?;
                names.insert(index, String::from_utf8_lossy(bytes_of(sub, &mut q)?).into_owned());
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
    let lower_hex = |hex: &str| hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    let crates = drop_hashes(&demangled, "[", |after| {
        let hex = after.split_once(']')?.0;
        (hex.len() >= 8 && lower_hex(hex)).then_some(hex.len() + 1)
    });
    // `…::h0123456789abcdef`, at the end or before wasm-bindgen's " externref shim" suffixes.
    drop_hashes(&crates, "::h", |after| {
        let hex = after.get(..16).is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        (hex && (after.len() == 16 || after[16..].starts_with(' '))).then_some(16)
    })
}

/// `text` without the hashes that follow `marker`: `hash_len(after)` of the text after each
/// marker is the length of the hash to drop with it, `None` when it is not one.
fn drop_hashes(text: &str, marker: &str, hash_len: impl Fn(&str) -> Option<usize>) -> String {
    let (mut out, mut rest) = (String::with_capacity(text.len()), text);
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        let hash = hash_len(after);
        out.push_str(&rest[..if hash.is_some() { at } else { at + marker.len() }]);
        rest = &after[hash.unwrap_or(0)..];
    }
    out.push_str(rest);
    out
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

    /// Each node's frame as the reports name it ([`CallFrame::display`]); an anonymous
    /// function called by wasm-bindgen's import glue (`__wbg_x_…: function() { return
    /// wrapError(function (…) {…}) }`) as `(anonymous in __wbg_x_…)`.
    pub fn names(&self, wasm_names: &BTreeMap<u32, String>) -> Vec<String> {
        let parent = self.parents();
        let name = |(i, node): (usize, &ProfileNode)| {
            let shown = node.call_frame.display(wasm_names);
            match parent[i].map(|p| &self.nodes[p].call_frame) {
                Some(outer) if shown.starts_with("(anonymous)") && outer.function_name.starts_with("__wbg") => {
                    shown.replacen("(anonymous)", &format!("(anonymous in {})", outer.function_name), 1)
                }
                _ => shown,
            }
        };
        self.nodes.iter().enumerate().map(name).collect()
    }

    /// The `k` functions with the most self time, as a table of ms and % of all sampled time.
    pub fn top(&self, names: &[String], k: usize) -> String {
        let self_us = self.self_us();
        let total = self_us.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let mut by_name: BTreeMap<&str, f64> = BTreeMap::new();
        for (i, us) in self_us.iter().enumerate().filter(|(i, _)| !self.nodes[*i].call_frame.is_pseudo()) {
            *by_name.entry(&names[i]).or_default() += us;
        }
        let mut top: Vec<(&str, f64)> = by_name.into_iter().collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut out = format!(
            "{:.2} s sampled ({} samples); top {k} functions by self time:\n   self ms  self %  function\n",
            total / 1e6,
            self.samples.len()
        );
        for (name, us) in top.into_iter().take(k) {
            let _ = writeln!(out, "{:>10.1} {:>6.1} %  {name}", us / 1e3, 100.0 * us / total);
        }
        out
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

    /// How the reports name it: Rust names for wasm, `name  [js file:line]` for JavaScript.
    pub fn display(&self, wasm_names: &BTreeMap<u32, String>) -> String {
        if self.is_pseudo() {
            return self.function_name.clone();
        }
        if self.is_wasm() {
            // A frame without a name section entry reads `$func123` or `wasm-function[123]`.
            let f = self.function_name.as_str();
            let index = f.strip_prefix("$func").or_else(|| f.strip_prefix("wasm-function[")?.strip_suffix(']'));
            let name = index.and_then(|i| wasm_names.get(&i.parse().ok()?)).map_or(f, String::as_str);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_time_names_and_the_top_functions() {
        let text = r#"{"nodes":[{"id":1,"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"hitCount":0,"children":[2,6]},
            {"id":2,"callFrame":{"functionName":"__wbg_rpcEcho_290e","url":"file:///b/index.js","lineNumber":1459,"columnNumber":40},"children":[3,5]},
            {"id":3,"callFrame":{"functionName":"","url":"file:///b/index.js","lineNumber":1459,"columnNumber":70},"children":[4]},
            {"id":4,"callFrame":{"functionName":"","url":""}},
            {"id":5,"callFrame":{"functionName":"$func7","url":"wasm://wasm/00a1","columnNumber":4242}},
            {"id":6,"callFrame":{"functionName":"(idle)","url":""}}],
            "startTime":5,"endTime":65,"samples":[3,3,4,5,6],"timeDeltas":[5,10,10,10,10]}"#;
        let p: CpuProfile = serde_json::from_str(text).unwrap();
        // Sample i lasts until sample i + 1, from t = 10; the last one until the end (65).
        assert_eq!(p.self_us(), [0.0, 0.0, 20.0, 10.0, 10.0, 15.0]);
        assert_eq!(p.parents(), [None, Some(0), Some(1), Some(2), Some(1), Some(0)]);
        let wasm = BTreeMap::from([(7, "call_core::wire::decode_reply::h0123456789abcdef".to_string())]);
        let names = p.names(&wasm);
        assert_eq!(names[2], "(anonymous in __wbg_rpcEcho_290e)  [js index.js:1460]");
        assert_eq!(
            (names[3].as_str(), names[4].as_str()),
            ("(anonymous)  [native]", "call_core::wire::decode_reply  [wasm]")
        );
        let top = p.top(&names, 2);
        let lines: Vec<&str> = top.lines().collect();
        assert!(lines[0].starts_with("0.00 s sampled (5 samples); top 2"), "{top}");
        assert!(lines[2].ends_with("36.4 %  (anonymous in __wbg_rpcEcho_290e)  [js index.js:1460]"), "{top}");
        assert_eq!(lines.len(), 4, "pseudo-frames are not functions: {top}");
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
