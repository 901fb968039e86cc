//! The body of every generated section of README.md and docs/*.md ([`generated`]): the
//! tables and paragraphs made from the results as `results/` holds them, each table
//! chosen by the modes' kinds ([`modes`]).
//!
//! [`generated`]: super::generated

use std::fmt::Write as _;

use super::modes::{self, Kind};
use super::report::per_call_table;
use super::results::{median, Results};
use super::run::RUNS;
use super::{demo, targets};
use crate::markdown::{self, head, list, ms, range, ratio_range};
use crate::{bail, Result};

/// The seed's figures (the TypeScript predecessor, measured before this project; quoted).
pub const SEED: &str = "the TypeScript library `@lumenize/call` took 2.8–4.0 ms/op where plain Workers RPC took \
                        0.10–0.12 ms/op at N = 10 and 50 (27–33x slower)";

/// The body of the generated section `name` (ends with a newline), for a file `to_root`
/// away from the workspace root (`""` or `"../"`), which its links start with.
pub fn section(name: &str, r: &Results, to_root: &str) -> Result<String> {
    if r.rows.is_empty() && !matches!(name, "fuzz" | "demo" | "profile-breakdown") {
        bail!("results/bench.json has no workerd rows: run `cargo xtask bench`");
    }
    Ok(match name {
        "fuzz" => fuzz(r),
        "demo" => demo::section(r.demo.as_deref(), to_root),
        "profile-breakdown" => profile_breakdown(r),
        "bench-run" => run_paragraph(r, to_root),
        "bench-table" => format!(
            "{}\nms per call: median of {} runs; a ratio range runs over N, each the median of the per-run ratios at \
             that N. ![ms/op against N]({to_root}results/bench.svg)\n",
            kind_table(r, &r.modes(Some(&[Kind::Baseline, Kind::CallCore, Kind::JavaScript])), false),
            r.runs()
        ),
        "bench-ablations" => match r.modes(Some(&[Kind::Ablation])) {
            none if none.is_empty() => "(No ablation mode in the latest run.)\n".into(),
            ablations => kind_table(r, &ablations, true),
        },
        "bench-seed" => seed_paragraph(r),
        "bench-composite" => composite(r, to_root),
        "bench-durable" => durable(r),
        "bench-targets" => targets::table(r),
        "bench-per-call" => per_call(r),
        "bench-conversion" => match &r.conversion {
            Some(c) => super::conversion::table(c),
            None => "(Not measured in the latest run.)\n".into(),
        },
        other => bail!("unknown generated section `{other}`"),
    })
}

/// The head and the rows of a table of `modes`: each one's name, its `what` when `what`,
/// its ms/op at each N, then its ratio range to each of `bases` (`1` in its own).
fn columns(r: &Results, modes: &[&str], what: bool, bases: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut head = head(if what { &["mode", "what"] } else { &["mode"] });
    head.extend(r.sizes().iter().map(|n| format!("N={n}")));
    head.extend(bases.iter().map(|b| format!("ratio to `{b}`")));
    let rows = modes.iter().map(|&mode| {
        let mut row = vec![format!("`{mode}`")];
        if what {
            row.push(modes::get(mode).map_or("", |m| m.what).into());
        }
        row.extend(r.sizes().iter().map(|&n| r.row(mode, n).map_or("–".into(), |x| ms(x.ms_per_op))));
        let ratios = |base| ratio_range(r.of(mode).into_iter().filter_map(|x| x.ratio_to(base)));
        row.extend(bases.iter().map(|&base| if mode == base { "1".into() } else { ratios(base) }));
        row
    });
    (head, rows.collect())
}

/// The table of single-call modes against `rpc` and `js` (with the median over N of the
/// ratio to `rpc` when `with_median`), then against the modes' own bases, if any.
fn kind_table(r: &Results, modes: &[&str], with_median: bool) -> String {
    let mut bases: Vec<&str> = modes::BASELINES.to_vec();
    for base in modes.iter().flat_map(|m| modes::bases(m)) {
        if !bases.contains(base) {
            bases.push(base);
        }
    }
    let (mut head, mut rows) = columns(r, modes, false, &bases);
    if with_median {
        let at = r.sizes().len() + 2;
        head.insert(at, "median over N".into());
        for (row, mode) in rows.iter_mut().zip(modes) {
            let ratios: Vec<f64> = r.of(mode).iter().filter_map(|x| x.ratio_to_rpc).collect();
            row.insert(at, if ratios.is_empty() { "–".into() } else { format!("{:.2}x", median(&ratios)) });
        }
    }
    markdown::table(&head, "lr", rows)
}

/// One table per comparison of `kind` ([`modes::comparisons`]) with a mode of the kind in
/// the results: its members present, against the lead's bases, then the `extra` columns
/// with the cells `cells` gives. `None` when no mode of the kind ran.
fn comparisons(
    r: &Results,
    kind: Kind,
    what: bool,
    extra: &[&str],
    cells: impl Fn(&str) -> Vec<String>,
) -> Option<String> {
    let present = r.modes(None);
    let mut tables = Vec::new();
    for (lead, members) in modes::comparisons(kind) {
        let members: Vec<&str> = present.iter().copied().filter(|m| members.contains(m)).collect();
        if members.iter().any(|m| modes::is(m, &[kind])) {
            let (mut head, mut rows) = columns(r, &members, what, lead.bases);
            head.extend(extra.iter().map(|c| c.to_string()));
            rows.iter_mut().zip(&members).for_each(|(row, mode)| row.extend(cells(mode)));
            tables.push(markdown::table(&head, if what { "llr" } else { "lr" }, rows));
        }
    }
    (!tables.is_empty()).then(|| tables.join("\n"))
}

/// `bench-composite`: the chains and fan-ins against their bases.
fn composite(r: &Results, to_root: &str) -> String {
    let Some(s) = comparisons(r, Kind::Composite, true, &[], |_| Vec::new()) else {
        return "(No pipeline or fan-in mode in the latest run.)\n".into();
    };
    format!(
        "{s}\nms per op — one chain of 3 calls, or one fan-in of 2 — median of {} runs; a ratio range runs over \
         N, each the median of the per-run ratios at that N. ![ms per op against \
         N]({to_root}results/bench-composite.svg)\n",
        r.runs()
    )
}

/// `bench-durable`: durable calls against in-memory ones and the JavaScript floor, with
/// the rows and commits each side wrote, and the cost of one commit.
fn durable(r: &Results) -> String {
    let columns = ["caller rows/call", "caller commits/batch", "callee rows/call", "callee commits/batch"];
    let sides = ["caller", "callee"].map(|side| [(side, "rows_per_call"), (side, "commits_per_batch")]).concat();
    let writes = |mode: &str| sides.iter().map(|(side, f)| r.writes_range(mode, side, f)).collect();
    let Some(table) = comparisons(r, Kind::Durable, false, &columns, writes) else {
        return "(No durable mode in the latest run.)\n".into();
    };
    let mut s = format!(
        "{table}\nms per call: median of {} runs; ratios and write counts: ranges over N of the medians over runs. \
         A batch is one round of N calls issued together; `continuation` writes nothing.\n",
        r.runs()
    );
    if let Some(c) = &r.commit {
        let _ = writeln!(
            s,
            "\nOne storage commit in this workerd, in the same run (`/probe/js-commit`, median of 5 × {} turns): \
             {:.3} ms per turn with a write, against {:.3} ms per empty tick.",
            c["turns"],
            c["write_ms_per_turn"].as_f64().unwrap_or(f64::NAN),
            c["tick_ms_per_turn"].as_f64().unwrap_or(f64::NAN)
        );
    }
    s
}

fn run_paragraph(r: &Results, to_root: &str) -> String {
    let sizes = r.sizes();
    let rounds: Vec<String> =
        sizes.iter().filter_map(|&n| r.rows.iter().find(|x| x.n == n)).map(|x| x.rounds.to_string()).collect();
    let spreads: Vec<f64> = r.rows.iter().filter(|x| x.min > 0.0).map(|x| x.max / x.min).collect();
    let few = r.rows.iter().any(|x| x.runs < RUNS);
    format!(
        "The figures below are from the latest `cargo xtask bench` ([results/bench.md]({to_root}results/bench.md)): \
         commit {}, {}; **{} measured runs** per (mode, N) after one warm-up request each; R = {} rounds at \
         N = {}; both Durable Objects in one local workerd ({}), on {}. In this run the slowest of a (mode, N)'s \
         runs took {:.2}x the fastest (median over the rows of max/min).{}\n",
        r.field("commit"),
        r.field("date"),
        r.runs(),
        rounds.join(", "),
        sizes.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
        r.field("workerd"),
        r.field("machine"),
        median(&spreads),
        if few {
            format!(" With fewer than {RUNS} runs per (mode, N), differences of 10-20 % are not established.")
        } else {
            String::new()
        }
    )
}

fn seed_paragraph(r: &Results) -> String {
    let sizes: Vec<String> = r.sizes().iter().map(u32::to_string).collect();
    let ours: Vec<String> = r
        .modes(Some(&[Kind::CallCore, Kind::JavaScript]))
        .into_iter()
        .map(|m| {
            let rows = r.of(m);
            let ratios: Vec<String> = modes::BASELINES
                .iter()
                .map(|base| (base, rows.iter().filter_map(|x| x.ratio_to(base)).collect::<Vec<_>>()))
                .filter(|(_, v)| !v.is_empty())
                .map(|(base, v)| format!("{} `{base}`", ratio_range(v)))
                .collect();
            let ratios = if ratios.is_empty() { String::new() } else { format!(" ({})", ratios.join(", ")) };
            format!("`{m}` {} ms/op{ratios}", range(rows.iter().map(|x| x.ms_per_op), ms, ""))
        })
        .collect();
    let ours = if ours.is_empty() { "no call-core mode was measured".to_string() } else { ours.join("; ") };
    format!(
        "Against the seed: {SEED}, and hung at 45 of 50 concurrent calls in production. Here, at N = {}: {ours}.\n",
        list(&sizes)
    )
}

fn per_call(r: &Results) -> String {
    if r.per_call.is_empty() {
        return "(The latest run has no per-call figures: it ran with `--no-native`.)\n".into();
    }
    let table = per_call_table(&r.per_call);
    let call: Vec<f64> = r.of("call").iter().map(|x| x.ms_per_op).collect();
    let (Some(wasm), false) = (r.per_call("wasm_call_work"), call.is_empty()) else { return table };
    let call_ms = median(&call);
    format!(
        "{table}\nThe wasm row, {:.1} µs, is {:.1} % of one `call` in the same run ({} ms/op, the median over N).\n",
        wasm / 1000.0,
        wasm / 1e6 / call_ms * 100.0,
        ms(call_ms)
    )
}

/// `results/profile-summary.md` without its title, its `## N = …` headings as paragraphs.
fn profile_breakdown(r: &Results) -> String {
    let Some(text) = &r.profile_summary else {
        return "(No profile summary in results/: run `cargo xtask profile --summary`.)\n".into();
    };
    let lines = text.lines().filter(|l| !l.starts_with("# ")).map(|line| match line.strip_prefix("## ") {
        Some(heading) => format!("**{heading}** (results/profile-summary.md):"),
        None => line.to_string(),
    });
    format!("{}\n", lines.collect::<Vec<_>>().join("\n").trim_matches('\n'))
}

/// The fuzzing figure, from `results/fuzz.md`.
fn fuzz(r: &Results) -> String {
    match r.fuzz.as_deref().and_then(crate::fuzz::parse_record) {
        Some((seconds, executions, crashes, commit)) => format!(
            "  The latest run (results/fuzz.md, `cargo xtask fuzz --seconds {seconds}` at {commit}): {executions} \
             executions in {seconds} s, {crashes} crash(es).\n"
        ),
        None => "  (No fuzzing run is recorded: `cargo xtask fuzz` writes results/fuzz.md.)\n".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::results::Entry;
    use serde_json::json;

    /// A `bench.json` row of (mode, N) with ms/op `ms`, its ratios to rpc and js, and more.
    fn row(mode: &str, n: u32, ms: f64, rpc: f64, js: f64, more: serde_json::Value) -> Entry {
        let mut row = json!({"mode": mode, "n": n, "rounds": 2000 / n, "runs": 15, "ms_per_op": ms, "min": ms * 0.9,
            "max": ms * 1.2, "ratio_to_rpc": rpc, "ratio_to_js": js, "ok": 1, "calls": 1, "per_run_ms_per_op": [],
            "per_run_ms": [], "client_ms": []});
        row.as_object_mut().unwrap().extend(more.as_object().unwrap().clone());
        Entry::Workerd(Box::new(serde_json::from_value(row).unwrap()))
    }

    fn results(extra: Vec<Entry>) -> Results {
        let mut all = vec![
            row("rpc", 10, 0.1, 1.0, 1.2, json!({})),
            row("rpc", 50, 0.1, 1.0, 1.3, json!({})),
            row("call", 10, 0.11, 1.1, 1.32, json!({})),
            row("call", 50, 0.125, 1.25, 1.6, json!({})),
            row("js", 10, 0.08, 0.8, 1.0, json!({})),
            row("js", 50, 0.08, 0.75, 1.0, json!({})),
            Entry::Native(
                json!({"name": "pieces", "what": "all four", "ns_per_op": 1100.0, "min": 1000.0, "max": 1200.0}),
            ),
        ];
        all.extend(extra);
        Results::parse(all, "# cargo xtask bench\n\n- commit: abc (clean work tree)\n\n## Durable\n- x: y\n")
    }

    #[test]
    fn sections_render_from_results() {
        let r = results(vec![row("rpc-string", 50, 0.12, 1.2, 1.5, json!({}))]);
        assert_eq!((r.field("commit"), r.field("x")), ("abc (clean work tree)", "?"), "only the header counts");
        let table = section("bench-table", &r, "../").unwrap();
        assert!(table.contains("| mode | N=10 | N=50 | ratio to `rpc` | ratio to `js` |"), "{table}");
        assert!(table.contains("| `call` | 0.110 | 0.125 | 1.10–1.25x | 1.32–1.60x |"), "{table}");
        assert!(
            table.contains("| `rpc` | 0.100 | 0.100 | 1 | 1.20–1.30x |") && !table.contains("rpc-string"),
            "{table}"
        );
        assert!(table.contains("median of 15 runs") && table.contains("](../results/bench.svg)"), "{table}");
        let ablations = section("bench-ablations", &r, "").unwrap();
        assert!(ablations.contains("| `rpc-string` | – | 0.120 | 1.20x | 1.20x | 1.50x |"), "{ablations}");
        let targets = section("bench-targets", &r, "").unwrap();
        assert!(targets.contains("| `call` ≤ 1.10x `rpc` at every N | 1.10–1.25x | missed at N = 50 |"), "{targets}");
        assert!(targets.contains("| `continuation` ≤ 1.15x `rpc` at every N | not measured |  |"), "{targets}");
        assert!(targets.contains("1.1 µs (build + envelope + serve + decode) | met |"), "{targets}");
        assert!(section("bench-run", &r, "").unwrap().contains("**15 measured runs**"));
        let seed = section("bench-seed", &r, "").unwrap();
        assert!(seed.contains("`call` 0.110–0.125 ms/op (1.10–1.25x `rpc`, 1.32–1.60x `js`)"), "{seed}");
        assert_eq!(section("bench-composite", &r, "").unwrap(), "(No pipeline or fan-in mode in the latest run.)\n");
        assert!(section("bench-nope", &r, "").is_err() && section("bench-table", &Results::default(), "").is_err());
    }

    #[test]
    fn comparisons_have_their_own_tables() {
        let pipeline =
            row("pipeline", 10, 0.12, 1.2, 1.4, json!({"ratios": {"pipeline-rpc": 0.35, "pipeline-js": 0.9}}));
        let side = |rows: f64, commits: f64| json!({"rows_per_call": rows, "commits_per_batch": commits});
        let writes = json!({"caller": side(2.0, 2.0), "callee": side(1.0, 1.0)});
        let durable = json!({"ratios": {"continuation": 4.0, "js-durable": 0.7}, "writes": writes});
        let r = results(vec![
            pipeline,
            row("pipeline-rpc", 10, 0.33, 3.3, 4.0, json!({})),
            row("continuation", 10, 0.05, 1.0, 1.0, json!({})),
            row("durable", 10, 0.2, 2.0, 2.0, durable),
            Entry::Commit(json!({"turns": 1000, "write_ms_per_turn": 0.21, "tick_ms_per_turn": 0.009})),
        ]);
        let composite = section("bench-composite", &r, "").unwrap();
        let head = "| mode | what | N=10 | N=50 | ratio to `pipeline-rpc` | ratio to `pipeline-js` |";
        assert!(composite.contains(head) && !composite.contains("fanin"), "{composite}");
        assert!(
            composite.contains("| `pipeline` | chain of 3 as one nested `call!`: 1 RPC | 0.120 | – | 0.35x | 0.90x |")
        );
        assert!(composite
            .contains("| `pipeline-rpc` | chain of 3 as sequential raw Rust RPCs: 3 RPCs | 0.330 | – | 1 | – |"));
        let durable = section("bench-durable", &r, "").unwrap();
        assert!(durable.contains("| `continuation` | 0.050 | – | 1 | – | – | – | – | – |"), "{durable}");
        assert!(durable.contains("| `durable` | 0.200 | – | 4.00x | 0.70x | 2 | 2 | 1 | 1 |"), "{durable}");
        assert!(durable.contains("0.210 ms per turn with a write, against 0.009 ms per empty tick"), "{durable}");
        let targets = section("bench-targets", &r, "").unwrap();
        assert!(targets.contains("| `pipeline` ≤ 0.40x `pipeline-rpc` at every N | 0.35x | met |"), "{targets}");
        assert!(targets.contains("| `durable` ≤ 1.50x `continuation` at every N | 4.00x | missed |"), "{targets}");
        assert!(targets.contains("| 2 rows per call, 2 commits per batch | met |"), "{targets}");
        // A single-call mode with bases of its own gets their columns beside the baselines.
        let with_bases = kind_table(&r, &["rpc", "pipeline"], false);
        assert!(with_bases
            .contains("| ratio to `rpc` | ratio to `js` | ratio to `pipeline-rpc` | ratio to `pipeline-js` |"));
        assert!(with_bases.contains("| `pipeline` | 0.120 | – | 1.20x | 1.40x | 0.35x | 0.90x |"), "{with_bases}");
    }
}
