//! How a call by name from JavaScript carries its values: JSON text (what call-core does)
//! or serde-wasm-bindgen, measured in workerd by the example's `/conversion` route
//! (examples/call-delay/src/conversion.rs): for each shape of value, K conversions of the
//! arguments into the Rust type and of the value back into JavaScript, timed from the
//! client (inside a Worker `Date.now()` does not advance without I/O) minus the fastest
//! empty request. The two ways alternate within each of the samples, first one then the
//! other; the ratio is the median of the per-sample ratios.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::results::median;
use crate::markdown::{head, table as markdown_table};
use crate::util::say;
use crate::workerd::Workerd;
use crate::{bail, http, Result};

/// The shapes, with K per request (about 0.1 s of work each).
const SHAPES: [(&str, u32, &str); 6] = [
    ("number", 20_000, "`i64`"),
    ("string", 20_000, "`String`, 38 characters"),
    ("struct", 20_000, "a struct of 3 fields"),
    ("array", 2_000, "`Vec<u32>`, 100 items"),
    ("map", 5_000, "`BTreeMap<String, u32>`, 10 entries"),
    ("bytes", 500, "`Vec<u8>`, 1024 bytes"),
];
const SAMPLES: usize = 15;
const WAYS: [&str; 2] = ["json", "swb"];

/// The figures: per shape, ns per conversion each way and the ratio swb ÷ json.
pub fn measure(workerd: &Workerd) -> Result<Value> {
    say("conversion: timing /conversion (JSON and serde-wasm-bindgen, in workerd)");
    let time = |via: &str, shape: &str, k: u32| -> Result<(f64, String)> {
        let path = format!("/conversion?via={via}&shape={shape}&k={k}");
        let started = Instant::now();
        let answer = http::get(workerd.addr, &path, Duration::from_secs(120))?;
        let elapsed = started.elapsed().as_secs_f64() * 1e9;
        let body = answer.json()?;
        if answer.status != 200 || body["k"].as_u64() != Some(u64::from(k)) {
            bail!("GET {path}: {}", answer.body);
        }
        Ok((elapsed, body["last"].as_str().unwrap_or_default().to_string()))
    };
    let mut floor = f64::INFINITY;
    let mut times = vec![[Vec::new(), Vec::new()]; SHAPES.len()];
    for sample in 0..SAMPLES {
        for (i, &(shape, k, _)) in SHAPES.iter().enumerate() {
            floor = floor.min(time("json", shape, 0)?.0);
            let order = if sample % 2 == 0 { [0, 1] } else { [1, 0] };
            let mut last = [String::new(), String::new()];
            for way in order {
                let (t, value) = time(WAYS[way], shape, k)?;
                times[i][way].push(t / f64::from(k));
                last[way] = value;
            }
            if last[0].is_empty() || last[0] != last[1] {
                bail!("{shape}: the two ways disagree: {} vs {}", last[0], last[1]);
            }
        }
    }
    let floor_per = |k: u32| floor / f64::from(k);
    let shapes: Vec<Value> = SHAPES
        .iter()
        .zip(&times)
        .map(|(&(shape, k, what), [json_t, swb_t])| {
            let ns = |t: &Vec<f64>| t.iter().map(|t| t - floor_per(k)).collect::<Vec<_>>();
            let (json_ns, swb_ns) = (ns(json_t), ns(swb_t));
            let ratios: Vec<f64> = json_ns.iter().zip(&swb_ns).map(|(j, s)| s / j).collect();
            json!({
                "shape": shape, "what": what, "k": k,
                "json_ns": median(&json_ns).round(), "swb_ns": median(&swb_ns).round(),
                "ratio": (median(&ratios) * 100.0).round() / 100.0,
                "ratio_min": (ratios.iter().copied().fold(f64::INFINITY, f64::min) * 100.0).round() / 100.0,
                "ratio_max": (ratios.iter().copied().fold(0.0, f64::max) * 100.0).round() / 100.0,
            })
        })
        .collect();
    Ok(json!({ "samples": SAMPLES, "shapes": shapes }))
}

/// The table and its note (in `bench.md`, and the generated section `bench-conversion`).
pub fn table(c: &Value) -> String {
    let columns =
        ["value (one argument, the same value back)", "JSON ns", "serde-wasm-bindgen ns", "swb ÷ JSON (min..max)"];
    let rows = c["shapes"].as_array().into_iter().flatten().map(|s| {
        vec![
            s["what"].as_str().unwrap_or("?").to_string(),
            format!("{:.0}", s["json_ns"].as_f64().unwrap_or(f64::NAN)),
            format!("{:.0}", s["swb_ns"].as_f64().unwrap_or(f64::NAN)),
            format!("{:.2}x ({}..{})", s["ratio"].as_f64().unwrap_or(f64::NAN), s["ratio_min"], s["ratio_max"]),
        ]
    });
    format!(
        "{}\nns per conversion (the arguments \
         into the Rust type, the value back into JavaScript), median of {} client-timed samples each \
         way, the ways alternating; the ratio is the median of the per-sample ratios (`/conversion`, \
         xtask/src/bench/conversion.rs).\n",
        markdown_table(&head(&columns), "lr", rows),
        c["samples"]
    )
}
