//! Markdown for every report xtask writes: the one table builder, and the ranges of
//! figures that the tables show (`1.02–1.21x`), so that each report formats alike.

/// A table: the header cells, `align` one letter per column (`l` left, `r` right; the
/// last letter holds for the columns after it), then one line per row. An empty header
/// cell is written `| |`.
pub fn table(head: &[String], align: &str, rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let rule: String = (0..head.len())
        .map(|i| match align.chars().nth(i).or_else(|| align.chars().last()) {
            Some('r') => "---:|",
            _ => "---|",
        })
        .collect();
    let mut out = format!("{}|{rule}\n", row(head).replace("|  |", "| |"));
    rows.into_iter().for_each(|cells| out.push_str(&row(&cells)));
    out
}

/// One line of a table.
pub fn row(cells: &[String]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

/// Header cells from string slices, for [`table`].
pub fn head(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// `lo–hi` of the finite values, each written by `fmt`, then `unit`; one value when both
/// ends read the same; `–` when there is none.
pub fn range(values: impl IntoIterator<Item = f64>, fmt: impl Fn(f64) -> String, unit: &str) -> String {
    let v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return "–".into();
    }
    let lo = fmt(v.iter().copied().fold(f64::INFINITY, f64::min));
    let hi = fmt(v.iter().copied().fold(f64::NEG_INFINITY, f64::max));
    if lo == hi {
        format!("{lo}{unit}")
    } else {
        format!("{lo}–{hi}{unit}")
    }
}

/// A range of ratios: `0.93–1.21x`.
pub fn ratio_range(values: impl IntoIterator<Item = f64>) -> String {
    range(values, |x| format!("{x:.2}"), "x")
}

/// A ratio cell: `1.15x`, or `–` when there is none.
pub fn ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "–".into(), |r| format!("{r:.2}x"))
}

/// A count or a mean count: `2`, `0.40`.
pub fn count(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// Milliseconds per op as the generated tables write them.
pub fn ms(x: f64) -> String {
    format!("{x:.3}")
}

/// `a`, `a and b`, `a, b and c`.
pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_ranges() {
        let rows = vec![vec!["a".to_string(), "1".into(), String::new()]];
        assert_eq!(table(&head(&["x", "n", ""]), "lr", rows), "| x | n | |\n|---|---:|---:|\n| a | 1 |  |\n");
        assert_eq!(ratio_range([1.2, 0.934, f64::NAN]), "0.93–1.20x");
        assert_eq!(ratio_range([1.0, 1.001]), "1.00x");
        assert_eq!(ratio_range([]), "–");
        assert_eq!(list(&["a".into(), "b".into(), "c".into()]), "a, b and c");
    }
}
