//! The bench's plots (`bench.svg`, `bench-composite.svg`), hand-written SVG with no
//! plotting dependency: one line per mode over a logarithmic N axis and a linear ms/op
//! axis starting at 0, with min..max whiskers, axis labels, ticks, a grid and a legend.

use std::fmt::Write as _;

use super::modes::{self, Kind};
use super::results::Row;

/// Line colours, one per mode (cycled after eight).
const COLOURS: [&str; 8] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 180.0;
const TOP: f64 = 45.0;
const BOTTOM: f64 = 60.0;

/// `bench.svg`: one line per single-call mode (the composite and durable modes have their
/// own tables).
pub fn bench(rows: &[Row], modes: &[String]) -> String {
    let kinds = [Kind::Baseline, Kind::CallCore, Kind::JavaScript, Kind::Ablation];
    let title = "ms per call vs concurrent calls N (median, whiskers min..max)";
    svg(rows, modes, &kinds, title, "N, concurrent calls per batch (log scale)")
}

/// `bench-composite.svg`: the chains and fan-ins, ms per op.
pub fn composite(rows: &[Row], modes: &[String]) -> String {
    let title = "ms per chain of 3 or fan-in of 2 vs N (median, whiskers min..max)";
    svg(rows, modes, &[Kind::Composite], title, "N, concurrent chains or fan-ins per batch (log scale)")
}

/// A standalone SVG document with one line per mode of `kinds` among `modes`, in their
/// order: its median ms/op against N, whiskers min..max.
fn svg(rows: &[Row], modes: &[String], kinds: &[Kind], title: &str, x_label: &str) -> String {
    let series: Vec<(&String, Vec<&Row>)> = modes
        .iter()
        .filter(|m| modes::is(m, kinds))
        .map(|m| (m, rows.iter().filter(|r| &r.mode == m && r.n > 0).collect()))
        .collect();
    let points = || series.iter().flat_map(|(_, rows)| rows.iter());
    let xs: Vec<f64> = points().map(|p| f64::from(p.n)).collect();
    let x_min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let x_max = xs.iter().copied().fold(0.0, f64::max);
    let (d_lo, d_hi) = if xs.is_empty() { (0, 1) } else { (x_min.log10().floor() as i32, x_max.log10().ceil() as i32) };
    let d_hi = d_hi.max(d_lo + 1);
    let y_top = points().map(|p| p.max.max(p.ms_per_op)).fold(0.0, f64::max);
    let (y_step, y_max) = nice_axis(y_top);
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let sx = |x: f64| LEFT + (x.log10() - f64::from(d_lo)) / f64::from(d_hi - d_lo) * plot_w;
    let sy = |y: f64| TOP + plot_h - y / y_max * plot_h;

    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"white\"/>\n"
    );
    let o = &mut out;
    text(o, [&D(LEFT + plot_w / 2.0), &24], " text-anchor=\"middle\" font-size=\"15\"", title);

    // Grid and ticks: x at every decade (labelled) and 2..9 within (unlabelled).
    let (bottom, right) = (TOP + plot_h, LEFT + plot_w);
    for d in d_lo..=d_hi {
        let x = D(sx(10f64.powi(d)));
        line(o, [&x, &TOP, &x, &bottom], r##"stroke="#ddd""##);
        line(o, [&x, &bottom, &x, &D(bottom + 6.0)], r#"stroke="black""#);
        text(o, [&x, &D(bottom + 20.0)], " text-anchor=\"middle\"", &10f64.powi(d).to_string());
        for k in (2..10).filter(|_| d < d_hi) {
            let x = D(sx(f64::from(k) * 10f64.powi(d)));
            line(o, [&x, &bottom, &x, &D(bottom + 3.0)], r#"stroke="black""#);
        }
    }
    let mut y = 0.0;
    while y <= y_max * (1.0 + 1e-9) {
        let py = D(sy(y));
        line(o, [&LEFT, &py, &right, &py], r##"stroke="#ddd""##);
        line(o, [&D(LEFT - 6.0), &py, &LEFT, &py], r#"stroke="black""#);
        text(o, [&D(LEFT - 9.0), &D(sy(y) + 4.0)], " text-anchor=\"end\"", &tick_label(y, y_step));
        y += y_step;
    }
    let _ = writeln!(
        o,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"black\"/>"
    );
    text(o, [&D(LEFT + plot_w / 2.0), &D(HEIGHT - 14.0)], " text-anchor=\"middle\"", x_label);
    let (lx, ly) = (20.0, TOP + plot_h / 2.0);
    let rotate = format!(" text-anchor=\"middle\" transform=\"rotate(-90 {lx} {ly:.1})\"");
    text(o, [&lx, &D(ly)], &rotate, "ms/op, in-DO Date.now() (linear)");

    // Lines, markers, whiskers, legend.
    for (i, (label, pts)) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let mut pts = pts.clone();
        pts.sort_by_key(|r| r.n);
        let x = |r: &Row| sx(f64::from(r.n));
        let coords: Vec<String> = pts.iter().map(|r| format!("{:.1},{:.1}", x(r), sy(r.ms_per_op))).collect();
        let _ = writeln!(
            o,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
            coords.join(" "),
            escape(label)
        );
        // Whiskers side by side (3 px apart) so that overlapping ranges stay readable.
        let shift = 3.0 * (i as f64 - (series.len() as f64 - 1.0) / 2.0);
        for r in &pts {
            let x = x(r);
            line(o, [&D(x + shift), &D(sy(r.min)), &D(x + shift), &D(sy(r.max))], &format!("stroke=\"{colour}\""));
            let _ = writeln!(o, "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"/>", sy(r.ms_per_op));
        }
        let (lx, ly) = (right + 16.0, D(TOP + 10.0 + 22.0 * i as f64));
        line(o, [&lx, &ly, &D(lx + 24.0), &ly], &format!("stroke=\"{colour}\" stroke-width=\"3\""));
        text(o, [&D(lx + 30.0), &D(ly.0 + 4.0)], "", label);
    }
    out.push_str("</svg>\n");
    out
}

/// A coordinate written with one decimal.
struct D(f64);

impl std::fmt::Display for D {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1}", self.0)
    }
}

/// `<line>` from (x1, y1) to (x2, y2) with `attributes` (its stroke).
fn line(out: &mut String, [x1, y1, x2, y2]: [&dyn std::fmt::Display; 4], attributes: &str) {
    let _ = writeln!(out, "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" {attributes}/>");
}

/// `<text>` at (x, y) with more attributes, its content escaped.
fn text(out: &mut String, [x, y]: [&dyn std::fmt::Display; 2], attributes: &str, content: &str) {
    let _ = writeln!(out, "<text x=\"{x}\" y=\"{y}\"{attributes}>{}</text>", escape(content));
}

/// A tick step of 1, 2 or 5 × 10^k giving about five ticks up to at least `top`, and the
/// axis maximum (a multiple of the step).
fn nice_axis(top: f64) -> (f64, f64) {
    if top <= 0.0 || !top.is_finite() {
        return (0.2, 1.0);
    }
    let raw = top / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    (step, (top / step).ceil().max(1.0) * step)
}

fn tick_label(y: f64, step: f64) -> String {
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    format!("{y:.decimals$}")
}

/// Escapes text for SVG content and attribute values.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::results::{summarize, tests::sample};

    #[test]
    fn the_svg_is_well_formed_enough() {
        let (modes, sizes) = (["rpc", "call", "js"].map(String::from), [10, 50, 500, 5000]);
        let samples: Vec<_> = modes.iter().flat_map(|m| sizes.map(|n| sample(m, n, 0, 100.0 + f64::from(n)))).collect();
        let svg = bench(&summarize(&samples, &modes, &sizes), &modes);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<polyline").count(), 3, "one line per mode");
        for label in [">rpc<", ">call<", ">js<", ">10<", ">100<", ">1000<", ">10000<"] {
            assert!(svg.contains(label), "{label}: legend labels, x ticks at every decade");
        }
        // Every element opened is closed (self-closing or with its end tag).
        let (opened, ends) = (svg.matches('<').count(), svg.matches("</").count());
        assert_eq!(opened - ends, svg.matches("/>").count() + ends);
        let one = ["pipeline".to_string()];
        let one = composite(&summarize(&[sample("pipeline", 10, 0, 0.0)], &one, &[10]), &one);
        for svg in [svg, one, bench(&[], &[])] {
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn axes_use_round_steps() {
        assert_eq!(
            [0.34, 1.0, 7.3].map(nice_axis).map(|(s, m)| format!("{s} {m:.1}")),
            ["0.1 0.4", "0.2 1.0", "2 8.0"]
        );
        assert_eq!(tick_label(0.30000000000000004, 0.1), "0.3");
    }
}
