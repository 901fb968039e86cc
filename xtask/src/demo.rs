//! `cargo xtask demo`: every mode of the example in local workerd, a few interleaved runs,
//! rounds calibrated so that no row is limited by the in-DO clock's 1 ms step, printed as
//! one table with the ratios to raw Rust RPC and to plain Workers RPC and the seed's figures
//! beside them. `--record` also writes it to results/demo.md, from which the README's demo
//! section is generated.

use std::process::Command;
use std::time::Duration;

use crate::bench::{self, Row};
use crate::readme::{is_ablation, is_call_core};
use crate::util::output;
use crate::workerd::Workerd;
use crate::Result;

/// Batch sizes of the demo table.
pub const SIZES: [u32; 3] = [10, 50, 500];
/// Interleaved runs of the demo (the median is shown).
pub const RUNS: usize = 5;
/// In-DO milliseconds that the rounds of one demo request aim at, calibrated per N on the
/// fastest mode, so that every row lasts well over [`MIN_MS`] of the in-DO clock, whose
/// step is 1 ms.
pub const TARGET_MS: f64 = 160.0;
/// A row whose median run is shorter than this (in-DO ms) is flagged as clock-limited.
pub const MIN_MS: f64 = 100.0;

/// Rounds per request at each N such that the fastest mode takes about [`TARGET_MS`]: one
/// request of about 500 calls per (mode, N), which also warms every mode up.
pub fn rounds(workerd: &Workerd, modes: &[String]) -> Result<Vec<(u32, u32)>> {
    let mut rounds = Vec::new();
    for n in SIZES {
        let probe = 500u32.div_ceil(n);
        let mut fastest = f64::INFINITY;
        for mode in modes {
            let sample = bench::request(workerd, mode, n, probe, 0)?;
            fastest = fastest.min(sample.ms.max(1.0) / f64::from(n * probe));
        }
        rounds.push((n, (TARGET_MS / (fastest * f64::from(n))).ceil().max(1.0) as u32));
    }
    Ok(rounds)
}

/// What a mode of the example is, for the demo's newcomers.
pub fn what(mode: &str) -> &'static str {
    match mode {
        "rpc" => "raw Rust RPC (hand-written binding): baseline",
        "call" => "typed `call!`, awaited",
        "continuation" => "typed `call!` + `then` continuation",
        "js" => "plain Workers RPC, JavaScript to JavaScript",
        "durable" => "`call!` + `then`, durable (a row per call, exactly once)",
        "js-durable" => "JavaScript: insert a row, RPC, delete the row (the floor)",
        "rpc-string" => "ablation: raw RPC of an envelope-sized string",
        "rpc-envelope" => "ablation: raw RPC of a ready envelope to `__call`",
        "rpc-bytes" => "ablation: raw RPC of envelope-sized bytes",
        "rpc-object" => "ablation: raw RPC of the envelope as a JS object",
        other => crate::composite::what(other),
    }
}

/// The demo's report: the table, one line on what it shows, how it was measured.
pub fn report(rows: &[Row], took: Duration) -> String {
    let mut out = table(rows);
    out.push('\n');
    out.push_str(&takeaway(rows));
    out.push_str("\n\n");
    // Per row, the median run's in-DO time must be well above the clock's 1 ms step.
    let shortest = rows.iter().map(|r| r.ms_per_op * f64::from(r.n * r.rounds)).fold(f64::INFINITY, f64::min);
    let calls: u64 = rows.iter().map(|r| r.ok).sum();
    out.push_str(&format!(
        "ms/op: in-DO milliseconds (Date.now() in the controller Durable Object, which advances across the \
         batch's I/O) over N × R calls, median of {RUNS} runs with the modes in forward and reverse order, after \
         a warm-up; × rpc and × js: median of the per-run ratios to the `rpc` and `js` rows at the same N. All \
         {calls} results validated; the shortest row took {shortest:.0} ms in the DO (median run){}. The seed \
         rows are the old TypeScript library's published figures, not run here. `cargo xtask bench` measures \
         more runs and N = 5000 (see the README's Performance section). Demo took {:.0?}.\n",
        if shortest < MIN_MS {
            format!(" (under {MIN_MS} ms: the clock's 1 ms step matters; rerun)")
        } else {
            " (so no row is limited by the clock's 1 ms step)".to_string()
        },
        took
    ));
    out
}

/// results/demo.md: where and on what the report was made, then the report.
pub fn record(report: &str, tree: &crate::git::Tree) -> String {
    let sh = |cmd: &mut Command| output(cmd).map(|s| s.trim().to_owned()).unwrap_or_else(|| "?".into());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1));
    let nproc = std::thread::available_parallelism().map_or_else(|_| "?".into(), |n| n.to_string());
    format!(
        "# cargo xtask demo --record\n\n- commit: {}\n- date: {}\n- machine: {nproc} cores, CPU: {}\n\n{report}",
        tree.describe(),
        sh(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M:%S UTC"])),
        cpu.map_or("?", str::trim),
    )
}

/// The README's demo section from results/demo.md.
pub fn section(demo: Option<&str>) -> String {
    let Some(demo) = demo else {
        return "(No demo run is recorded: `cargo xtask demo --record` writes results/demo.md.)\n".into();
    };
    let field = |key: &str| {
        demo.lines()
            .find_map(|l| l.strip_prefix(&format!("- {key}: ")).map(str::to_string))
            .unwrap_or_else(|| "?".into())
    };
    let body = demo.split_once("\n\n| mode").map_or("", |(_, rest)| rest);
    format!(
        "Its output ([results/demo.md](results/demo.md), `cargo xtask demo --record`) at commit {}, {}, on {} \
         shared with other work:\n\n| mode{body}",
        field("commit"),
        field("date"),
        field("machine"),
    )
}

fn table(rows: &[Row]) -> String {
    let ratio = |r: Option<f64>| r.map_or_else(|| "–".to_string(), |r| format!("{r:.2}x"));
    let mut out = String::from("| mode | what | N | R | ms/op | × rpc | × js |\n|---|---|---:|---:|---:|---:|---:|\n");
    let line = |r: &Row| {
        format!(
            "| {} | {} | {} | {} | {:.4} | {} | {} |\n",
            r.mode,
            what(&r.mode),
            r.n,
            r.rounds,
            r.ms_per_op,
            ratio(r.ratio_to_rpc),
            ratio(r.ratio_to_js)
        )
    };
    let composite = |r: &&Row| crate::composite::is_composite(&r.mode);
    let durable = |r: &&Row| crate::durable_bench::is_durable(&r.mode);
    rows.iter().filter(|r| !is_ablation(&r.mode) && !composite(r) && !durable(r)).for_each(|r| out.push_str(&line(r)));
    out.push_str(
        "| seed: `@lumenize/call` | the old TypeScript library (seed's figures) | 10, 50 | | 2.8–4.0 | | 27–33x |\n\
         | seed: plain Workers RPC | its baseline (seed's figures) | 10, 50 | | 0.10–0.12 | | 1x |\n",
    );
    rows.iter().filter(|r| is_ablation(&r.mode)).for_each(|r| out.push_str(&line(r)));
    let others: Vec<&Row> = rows.iter().filter(|r| composite(r) || durable(r)).collect();
    if !others.is_empty() {
        out.push_str(
            "\nDurable calls, chains of 3 calls and fan-ins of 2 (ms/op: per call, chain or fan-in; × base: median \
             of the per-run ratios to the modes doing the same work another way, named):\n\n\
             | mode | what | N | R | ms/op | × base |\n|---|---|---:|---:|---:|---|\n",
        );
        for r in others {
            let bases: Vec<String> = r.ratios.iter().map(|(b, x)| format!("{x:.2}x `{b}`")).collect();
            let bases = if bases.is_empty() { "–".to_string() } else { bases.join(", ") };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {:.4} | {bases} |\n",
                r.mode,
                what(&r.mode),
                r.n,
                r.rounds,
                r.ms_per_op
            ));
        }
    }
    out
}

/// One line on what the table shows: typed calls against both baselines, and the seed.
fn takeaway(rows: &[Row]) -> String {
    let typed: Vec<&Row> =
        rows.iter().filter(|r| is_call_core(&r.mode) && !crate::durable_bench::is_durable(&r.mode)).collect();
    let span = |values: Vec<f64>| crate::readme::ratio_range(values);
    let names: Vec<String> =
        typed.iter().map(|r| format!("`{}`", r.mode)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    format!(
        "In this run typed calls ({}) cost {} raw Rust RPC and {} plain Workers RPC (`js`); the seed's \
         TypeScript library cost 27–33x plain Workers RPC.",
        names.join(", "),
        span(typed.iter().filter_map(|r| r.ratio_to_rpc).collect()),
        span(typed.iter().filter_map(|r| r.ratio_to_js).collect())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::{summarize, Sample};

    fn sample(mode: &str, ms: f64) -> Sample {
        Sample { mode: mode.into(), n: 10, rounds: 100, run: 0, ms, client_ms: ms, ok: 1000, writes: None }
    }

    #[test]
    fn the_demo_table_puts_the_seed_beside_our_modes() {
        let samples = [
            sample("rpc", 100.0),
            sample("call", 110.0),
            sample("js", 80.0),
            sample("rpc-string", 105.0),
            sample("continuation", 100.0),
            sample("durable", 150.0),
        ];
        let modes: Vec<String> =
            ["rpc", "call", "js", "rpc-string", "continuation", "durable"].map(String::from).to_vec();
        let rows = summarize(&samples, &modes, &[10]);
        let table = table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[3].starts_with("| call | typed `call!`, awaited | 10 | 100 | 0.1100 | 1.10x | 1.38x |"),
            "{table}"
        );
        assert!(lines[6].starts_with("| seed: `@lumenize/call` |") && lines[7].starts_with("| seed: plain"), "{table}");
        assert!(lines[8].starts_with("| rpc-string |"), "ablations after the seed: {table}");
        let durable = lines.iter().find(|l| l.starts_with("| durable |")).expect(&table);
        assert!(
            durable.ends_with("| 0.1500 | 1.50x `continuation` |"),
            "durable in its own table, against continuation: {table}"
        );
        assert_eq!(
            takeaway(&rows),
            "In this run typed calls (`call`, `continuation`) cost 1.00–1.10x raw Rust RPC and 1.25–1.38x plain \
             Workers RPC (`js`); the seed's TypeScript library cost 27–33x plain Workers RPC."
        );
    }

    #[test]
    fn the_readme_section_names_the_recorded_run() {
        let tree = crate::git::Tree { commit: "abc123".into(), dirty: vec![], diff_hash: None };
        let rows = summarize(&[sample("rpc", 100.0)], &["rpc".to_string()], &[10]);
        let recorded = record(&report(&rows, Duration::from_secs(3)), &tree);
        let text = section(Some(&recorded));
        assert!(text.starts_with("Its output ([results/demo.md](results/demo.md), `cargo xtask demo --record`) at commit abc123 (clean work tree), "), "{text}");
        assert!(text.contains("\n\n| mode | what | N | R | ms/op | × rpc | × js |\n"), "{text}");
        assert!(text.contains("Demo took 3s."), "{text}");
        assert!(section(None).contains("No demo run is recorded"));
    }
}
