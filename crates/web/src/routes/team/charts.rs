//! Server-rendered SVG charts for the statistics page: readable without JavaScript,
//! scaled to any width by their `viewBox` (the page's CSS gives them `width: 100%`),
//! and described for screen readers (`role="img"`, a `<title>` and `<desc>`, a
//! `<title>` per bar with its numbers). Every piece of text is escaped here.

use std::fmt::Write;

/// The drawing's coordinate system; the browser scales it to the box.
const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 34.0;
const RIGHT: f64 = 6.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 28.0;

/// Colours of the series, in order; distinguishable in greyscale too (light to dark
/// alternating).
const PALETTE: [&str; 10] = [
    "#1f5fa8", "#f2a93b", "#3a9a5b", "#b03a48", "#7a5ab5", "#6fb7d6", "#8c6d31", "#d97ab0",
    "#555555", "#b5b5b5",
];

/// One bar: a label (a month) and a value per series.
pub struct Bar {
    pub label: String,
    pub values: Vec<u64>,
}

/// Text for XML character data and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A stacked bar chart: one `<g class="bar">` per bar with anything in it, one
/// segment per series; a legend below. `id` keeps the element ids unique on a page.
pub fn stacked_bars(id: &str, title: &str, series: &[&str], bars: &[Bar]) -> String {
    let id = escape(id);
    let max = bars
        .iter()
        .map(|b| b.values.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let legend_rows = series.len().div_ceil(3) as f64;
    let total_height = HEIGHT + legend_rows * 16.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - LEFT - RIGHT) / bars.len().max(1) as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let total: u64 = bars.iter().flat_map(|b| &b.values).sum();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" id="{id}" viewBox="0 0 {WIDTH} {total_height}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(
        svg,
        r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{total} reports in {} months; the highest month has {max}.</desc>"#,
        escape(title),
        bars.len()
    );
    // The scale: zero, the top value, and a line at each.
    for (value, y) in [(0, TOP + plot_h), (max, TOP)] {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{y}" y2="{y}" stroke="#cccccc" stroke-width="1"/><text x="{}" y="{}" font-size="11" text-anchor="end" fill="#333333">{value}</text>"##,
            WIDTH - RIGHT,
            LEFT - 4.0,
            y + 4.0
        );
    }
    // A label every few bars, so that five years of months stay legible.
    let every = bars.len().div_ceil(12).max(1);
    for (i, bar) in bars.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
        let sum: u64 = bar.values.iter().sum();
        if sum > 0 {
            let detail: Vec<String> = series
                .iter()
                .zip(&bar.values)
                .filter(|(_, v)| **v > 0)
                .map(|(s, v)| format!("{s} {v}"))
                .collect();
            let _ = write!(
                svg,
                r#"<g class="bar" data-label="{}"><title>{}: {sum} ({})</title>"#,
                escape(&bar.label),
                escape(&bar.label),
                escape(&detail.join(", "))
            );
            let mut y = TOP + plot_h;
            for (k, v) in bar.values.iter().enumerate().filter(|(_, v)| **v > 0) {
                let h = plot_h * *v as f64 / max as f64;
                y -= h;
                let _ = write!(
                    svg,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" fill="{}"/>"#,
                    PALETTE[k % PALETTE.len()]
                );
            }
            svg.push_str("</g>");
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#333333">{}</text>"##,
                x + bar_w / 2.0,
                HEIGHT - BOTTOM + 14.0,
                escape(&short_month(&bar.label))
            );
        }
    }
    for (k, name) in series.iter().enumerate() {
        let (col, row) = ((k % 3) as f64, (k / 3) as f64);
        let (x, y) = (LEFT + col * 150.0, HEIGHT - 6.0 + row * 16.0);
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{y}" font-size="11" fill="#333333">{}</text>"##,
            y - 9.0,
            PALETTE[k % PALETTE.len()],
            x + 14.0,
            escape(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// `2026-03` as `Mar 26`; anything else as it is.
fn short_month(label: &str) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match label.split_once('-') {
        Some((y, m)) if y.len() == 4 => m
            .parse::<usize>()
            .ok()
            .and_then(|m| NAMES.get(m.wrapping_sub(1)))
            .map_or_else(|| label.to_string(), |n| format!("{n} {}", &y[2..])),
        _ => label.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Vec<Bar> {
        vec![
            Bar {
                label: "2026-01".into(),
                values: vec![2, 1],
            },
            Bar {
                label: "2026-02".into(),
                values: vec![0, 0],
            },
            Bar {
                label: "2026-03".into(),
                values: vec![0, 4],
            },
        ]
    }

    #[test]
    fn one_bar_per_month_with_reports_and_text_escaped() {
        let svg = stacked_bars(
            "c",
            "Reports <by> month & \"channel\"",
            &["web", "a<b"],
            &bars(),
        );
        assert_eq!(svg.matches(r#"<g class="bar""#).count(), 2);
        assert!(svg.contains(
            "<title id=\"c-title\">Reports &lt;by&gt; month &amp; &quot;channel&quot;</title>"
        ));
        assert!(
            svg.contains("<title>2026-01: 3 (web 2, a&lt;b 1)</title>"),
            "{svg}"
        );
        assert!(svg.contains(">a&lt;b</text>"));
        assert!(svg.contains(r#"viewBox="0 0 480 "#));
        assert!(svg.contains(">Mar 26</text>"));
        assert!(!svg.contains("a<b"));
    }

    #[test]
    fn an_empty_period_draws_no_bars() {
        let svg = stacked_bars("e", "Nothing", &["web"], &[]);
        assert_eq!(svg.matches(r#"<g class="bar""#).count(), 0);
        assert!(svg.contains("0 reports in 0 months"));
    }
}
