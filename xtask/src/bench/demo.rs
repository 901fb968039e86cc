//! `cargo xtask demo`: every mode of the example in local workerd, a few interleaved runs,
//! rounds calibrated so that no row is limited by the in-DO clock's 1 ms step, printed as
//! one table with the ratios to raw Rust RPC and to plain Workers RPC and the seed's figures
//! beside them. `--record` also writes it to results/demo.md, from which the README's demo
//! section is generated.

use std::time::Duration;

use super::modes::{self, Kind};
use super::results::Row;
use super::run::request;
use crate::markdown::{self, head, ratio, ratio_range};
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

/// The seed's figures, as rows of the demo table.
const SEED_ROWS: &str = "\
| seed: `@lumenize/call` | the old TypeScript library (seed's figures) | 10, 50 | | 2.8–4.0 | | 27–33x |
| seed: plain Workers RPC | its baseline (seed's figures) | 10, 50 | | 0.10–0.12 | | 1x |
";

/// Rounds per request at each N such that the fastest mode takes about [`TARGET_MS`]: one
/// request of about 500 calls per (mode, N), which also warms every mode up.
pub fn rounds(workerd: &Workerd, modes: &[String]) -> Result<Vec<(u32, u32)>> {
    let mut rounds = Vec::new();
    for n in SIZES {
        let probe = 500u32.div_ceil(n);
        let mut fastest = f64::INFINITY;
        for mode in modes {
            let sample = request(workerd, mode, n, probe, 0)?;
            fastest = fastest.min(sample.ms.max(1.0) / f64::from(n * probe));
        }
        rounds.push((n, (TARGET_MS / (fastest * f64::from(n))).ceil().max(1.0) as u32));
    }
    Ok(rounds)
}

/// The demo's report: the table, one line on what it shows, how it was measured.
pub fn report(rows: &[Row], took: Duration) -> String {
    // Per row, the median run's in-DO time must be well above the clock's 1 ms step.
    let shortest = rows.iter().map(|r| r.ms_per_op * f64::from(r.n * r.rounds)).fold(f64::INFINITY, f64::min);
    let calls: u64 = rows.iter().map(|r| r.ok).sum();
    let clock = if shortest < MIN_MS {
        format!(" (under {MIN_MS} ms: the clock's 1 ms step matters; rerun)")
    } else {
        " (so no row is limited by the clock's 1 ms step)".to_string()
    };
    format!(
        "{}\n{}\n\nms/op: in-DO milliseconds (Date.now() in the controller Durable Object, which advances across the \
         batch's I/O) over N × R calls, median of {RUNS} runs with the modes in forward and reverse order, after \
         a warm-up; × rpc and × js: median of the per-run ratios to the `rpc` and `js` rows at the same N. All \
         {calls} results validated; the shortest row took {shortest:.0} ms in the DO (median run){clock}. The seed \
         rows are the old TypeScript library's published figures, not run here. `cargo xtask bench` measures \
         more runs and N = 5000 (see docs/performance.md). Demo took {took:.0?}.\n",
        table(rows),
        takeaway(rows)
    )
}

/// results/demo.md: where and on what the report was made, then the report.
pub fn record(report: &str, tree: &crate::git::Tree) -> String {
    format!(
        "# cargo xtask demo --record\n\n- commit: {}\n- date: {}\n- machine: {} cores, CPU: {}\n\n{report}",
        tree.describe(),
        crate::util::utc_date(),
        crate::util::cores(),
        crate::util::cpu_model(),
    )
}

/// The README's demo section from results/demo.md, for a file `to_root` away from the
/// workspace root.
pub fn section(demo: Option<&str>, to_root: &str) -> String {
    let Some(demo) = demo else {
        return "(No demo run is recorded: `cargo xtask demo --record` writes results/demo.md.)\n".into();
    };
    let field = |key: &str| demo.lines().find_map(|l| l.strip_prefix(&format!("- {key}: "))).unwrap_or("?");
    let body = demo.split_once("\n\n| mode").map_or("", |(_, rest)| rest);
    format!(
        "Its output ([results/demo.md]({to_root}results/demo.md), `cargo xtask demo --record`) at commit {}, {}, on \
         {} shared with other work:\n\n| mode{body}",
        field("commit"),
        field("date"),
        field("machine"),
    )
}

/// Whether the demo runs `mode`: every mode but the calls across languages (JavaScript to
/// Rust and back), which the bench measures (docs/performance.md): the demo is about one
/// Durable Object calling another, against the seed.
pub fn runs(mode: &str) -> bool {
    !modes::is(mode, &[Kind::JavaScript])
}

/// The single calls, the seed's figures, the ablations; then the durable and composite
/// modes against their bases.
fn table(rows: &[Row]) -> String {
    let of = |kinds: &[Kind]| rows.iter().filter(|r| modes::is(&r.mode, kinds)).collect::<Vec<_>>();
    let cells = |r: &Row| -> Vec<String> {
        let (what, n, rounds, ms) = (modes::get(&r.mode).map_or("", |m| m.what), r.n, r.rounds, r.ms_per_op);
        [r.mode.clone(), what.into(), n.to_string(), rounds.to_string(), format!("{ms:.4}")].to_vec()
    };
    let single = |r: &&Row| [cells(r), vec![ratio(r.ratio_to_rpc), ratio(r.ratio_to_js)]].concat();
    let singles = of(&[Kind::Baseline, Kind::CallCore]);
    let single_head = head(&["mode", "what", "N", "R", "ms/op", "× rpc", "× js"]);
    let mut out = markdown::table(&single_head, "llr", singles.iter().map(single));
    out.push_str(SEED_ROWS);
    of(&[Kind::Ablation]).iter().for_each(|r| out.push_str(&markdown::row(&single(r))));
    let others = of(&[Kind::Durable, Kind::Composite]);
    if !others.is_empty() {
        out.push_str(
            "\nDurable calls, chains of 3 calls and fan-ins of 2 (ms/op: per call, chain or fan-in; × base: median \
             of the per-run ratios to the modes doing the same work another way, named):\n\n",
        );
        let based = |r: &&Row| {
            let bases: Vec<String> = r.base_ratios().iter().map(|(b, x)| format!("{x:.2}x `{b}`")).collect();
            [cells(r), vec![if bases.is_empty() { "–".into() } else { bases.join(", ") }]].concat()
        };
        let head = head(&["mode", "what", "N", "R", "ms/op", "× base"]);
        out.push_str(&markdown::table(&head, "llrrrl", others.iter().map(based)));
    }
    out
}

/// One line on what the table shows: typed calls against both baselines, and the seed.
fn takeaway(rows: &[Row]) -> String {
    let typed: Vec<&Row> = rows.iter().filter(|r| modes::is(&r.mode, &[Kind::CallCore])).collect();
    let mut names: Vec<String> = typed.iter().map(|r| format!("`{}`", r.mode)).collect();
    names.sort();
    names.dedup();
    format!(
        "In this run typed calls ({}) cost {} raw Rust RPC and {} plain Workers RPC (`js`); the seed's \
         TypeScript library cost 27–33x plain Workers RPC.",
        names.join(", "),
        ratio_range(typed.iter().filter_map(|r| r.ratio_to_rpc)),
        ratio_range(typed.iter().filter_map(|r| r.ratio_to_js))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::results::{summarize, tests::sample};

    #[test]
    fn the_demo_table_puts_the_seed_beside_our_modes() {
        let ms = [("rpc", 100.0), ("call", 110.0), ("js", 80.0), ("rpc-string", 105.0), ("continuation", 100.0)];
        let mut samples: Vec<_> = ms.iter().map(|(m, ms)| sample(m, 10, 0, *ms)).collect();
        samples.push(sample("durable", 10, 0, 150.0));
        let modes: Vec<String> =
            ["rpc", "call", "js", "rpc-string", "continuation", "durable"].map(String::from).to_vec();
        let rows = summarize(&samples, &modes, &[10]);
        let table = table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[3].starts_with("| call | typed `call!`, awaited | 10 | 200 | 0.0550 | 1.10x | 1.38x |"),
            "{table}"
        );
        assert!(lines[6].starts_with("| seed: `@lumenize/call` |") && lines[7].starts_with("| seed: plain"), "{table}");
        assert!(lines[8].starts_with("| rpc-string |"), "ablations after the seed: {table}");
        let durable = lines.iter().find(|l| l.starts_with("| durable |")).expect(&table);
        assert!(durable.ends_with("| 0.0750 | 1.50x `continuation` |"), "in its own table: {table}");
        assert!(takeaway(&rows).starts_with("In this run typed calls (`call`, `continuation`) cost 1.00–1.10x raw"));
    }

    #[test]
    fn the_readme_section_names_the_recorded_run() {
        let tree = crate::git::Tree { commit: "abc123".into(), dirty: vec![], diff_hash: None };
        let rows = summarize(&[sample("rpc", 10, 0, 100.0)], &["rpc".to_string()], &[10]);
        let recorded = record(&report(&rows, Duration::from_secs(3)), &tree);
        let text = section(Some(&recorded), "../");
        let start = "Its output ([results/demo.md](../results/demo.md), `cargo xtask demo --record`) at commit abc123";
        assert!(text.starts_with(start), "{text}");
        assert!(text.contains("\n\n| mode | what | N | R | ms/op | × rpc | × js |\n"), "{text}");
        assert!(text.contains("Demo took 3s."), "{text}");
        assert!(section(None, "").contains("No demo run is recorded"));
    }
}
