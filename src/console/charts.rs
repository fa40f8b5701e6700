//! Charts drawn on the server as SVG: a line chart, horizontal bars and a positional plot of
//! places. No script and nothing from elsewhere. Every chart names itself (`<title>`,
//! `<desc>`), every point and bar carries a `<title>` that a pointer shows, series differ by
//! marker, dash and pattern as well as colour, and the page puts a table of the same numbers
//! beside each chart.

use std::fmt::Write;

/// One series of values, one per label (`None`: no value there).
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// How a value reads on an axis and in a point's title.
pub type Format<'a> = &'a dyn Fn(f64) -> String;

/// What every chart says about itself.
pub struct Caption<'a> {
    /// Unique in the page: the ids of the chart's parts start with it.
    pub id: &'a str,
    pub title: &'a str,
    /// One sentence for screen readers: what the chart shows and where its table is.
    pub desc: &'a str,
}

/// Escapes text for SVG (XML).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn open_svg(out: &mut String, c: &Caption, width: f64, height: f64) {
    let id = esc(c.id);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" id="{id}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(c.title),
        esc(c.desc),
    );
}

/// A round step for an axis from 0 to at least `max` in about four steps (1, 2, 2.5 or 5 times
/// a power of ten; whole numbers when `whole`), and how many steps.
pub fn axis(max: f64, whole: bool) -> (f64, usize) {
    let max = if max > 0.0 && max.is_finite() {
        max
    } else {
        1.0
    };
    let raw = max / 4.0;
    let power = 10f64.powf(raw.log10().floor());
    let steps: &[f64] = if whole {
        &[1.0, 2.0, 5.0, 10.0]
    } else {
        &[1.0, 2.0, 2.5, 5.0, 10.0]
    };
    let mut step = steps
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    if whole {
        step = step.max(1.0).round();
    }
    let count = ((max / step) - 1e-9).ceil().max(1.0) as usize;
    (step, count)
}

/// The marker of the `i`-th series at (x, y): a circle, a square, then a triangle.
fn marker(i: usize, x: f64, y: f64) -> String {
    match i % 3 {
        0 => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="4.5""#),
        1 => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="8" height="8""#,
            x - 4.0,
            y - 4.0
        ),
        _ => format!(
            r#"<polygon points="{x:.1},{:.1} {:.1},{:.1} {:.1},{:.1}""#,
            y - 5.5,
            x + 5.0,
            y + 4.0,
            x - 5.0,
            y + 4.0
        ),
    }
}

/// A line chart over `labels` (left to right): a horizontal grid with `format`ted values from
/// 0 to `top`, one line per series (broken where a value is missing) with a marker and a
/// titled point at each value, and a legend.
pub fn line(c: &Caption, labels: &[String], series: &[Series], top: f64, format: Format) -> String {
    let (width, height) = (640.0, 300.0);
    let (left, right, top_pad, bottom) = (56.0, 36.0, 34.0, 44.0);
    let (pw, ph) = (width - left - right, height - top_pad - bottom);
    let top = if top > 0.0 { top } else { 1.0 };
    let n = labels.len();
    let x_of = |i: usize| {
        if n <= 1 {
            left + pw / 2.0
        } else {
            left + pw * i as f64 / (n - 1) as f64
        }
    };
    let y_of = |v: f64| top_pad + ph * (1.0 - (v / top).clamp(0.0, 1.0));
    let mut out = String::new();
    open_svg(&mut out, c, width, height);
    legend(&mut out, series, 8.0, 16.0, None);
    // Grid and the value axis.
    for k in 0..=4 {
        let v = top * k as f64 / 4.0;
        let y = y_of(v);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{left}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            width - right,
            left - 6.0,
            y + 4.0,
            esc(&format(v)),
        );
    }
    let _ = write!(
        out,
        r#"<line class="axis-line" x1="{left}" x2="{:.1}" y1="{:.1}" y2="{:.1}"/>"#,
        width - right,
        top_pad + ph,
        top_pad + ph
    );
    // Labels along the bottom: as many as fit, the latest always.
    let every = n.div_ceil(((pw / 64.0) as usize).max(1)).max(1);
    for (i, label) in labels.iter().enumerate() {
        if (n - 1 - i).is_multiple_of(every) {
            let _ = write!(
                out,
                r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x_of(i),
                height - bottom + 18.0,
                esc(label)
            );
        }
    }
    for (s_i, s) in series.iter().enumerate() {
        // The line, broken where a value is missing.
        let mut d = String::new();
        let mut pen_down = false;
        for (i, v) in s.values.iter().enumerate().take(n) {
            match v {
                Some(v) => {
                    let _ = write!(
                        d,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x_of(i),
                        y_of(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(
            out,
            r#"<path class="line s{}" d="{}" fill="none"/>"#,
            s_i % 3,
            d.trim_end()
        );
        for (i, v) in s.values.iter().enumerate().take(n) {
            if let Some(v) = v {
                let (x, y) = (x_of(i), y_of(*v));
                let _ = write!(
                    out,
                    r#"<g class="point s{}">{}><title>{} · {}: {}</title></{}><text class="value" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text></g>"#,
                    s_i % 3,
                    marker(s_i, x, y),
                    esc(&labels[i]),
                    esc(&s.name),
                    esc(&format(*v)),
                    ["circle", "rect", "polygon"][s_i % 3],
                    y - 9.0,
                    esc(&format(*v)),
                );
            }
        }
    }
    out.push_str("</svg>");
    out
}

/// The legend: a swatch (marker, or bar pattern) and the name of each series.
/// `hatch`: the id of the bars' pattern (the second series' swatch is hatched like its bars).
fn legend(out: &mut String, series: &[Series], x: f64, y: f64, hatch: Option<&str>) {
    let mut at = x;
    for (i, s) in series.iter().enumerate() {
        if let Some(hatch) = hatch {
            let _ = write!(
                out,
                r#"<rect class="bar s{}" x="{at:.1}" y="{:.1}" width="18" height="10"{}/>"#,
                i % 3,
                y - 9.0,
                fill_of(i, hatch)
            );
        } else {
            let _ = write!(
                out,
                r#"<g class="point s{}">{}/></g>"#,
                i % 3,
                marker(i, at + 6.0, y - 4.0)
            );
        }
        let _ = write!(
            out,
            r#"<text class="legend" x="{:.1}" y="{y:.1}">{}</text>"#,
            at + 24.0,
            esc(&s.name)
        );
        at += 24.0 + 8.0 * s.name.chars().count() as f64 + 24.0;
    }
}

/// The second series' bars are hatched.
fn fill_of(series: usize, hatch: &str) -> String {
    if series % 3 == 1 {
        format!(r#" fill="url(#{hatch})""#)
    } else {
        String::new()
    }
}

/// Horizontal bars, one group per label: each label on its own line (long unit names fit on
/// a phone), then one bar per series with its `format`ted value at its end. Series differ by
/// colour and by pattern (the second is hatched), and the legend names them in bar order.
pub fn bars(c: &Caption, labels: &[String], series: &[Series], format: Format) -> String {
    let width = 640.0;
    let (left, value_room) = (8.0, 96.0);
    let bar_h = 13.0;
    let row_h = 20.0 + series.len() as f64 * (bar_h + 3.0) + 8.0;
    let head = 30.0;
    let axis_h = 26.0;
    let height = head + row_h * labels.len().max(1) as f64 + axis_h;
    let values = || series.iter().flat_map(|s| s.values.iter().flatten());
    let max = values().fold(0.0f64, |a, b| a.max(*b));
    let (step, steps) = axis(max, values().all(|v| v.fract() == 0.0));
    let top = step * steps as f64;
    let pw = width - left - value_room;
    let w_of = |v: f64| pw * (v / top).clamp(0.0, 1.0);
    let mut out = String::new();
    open_svg(&mut out, c, width, height);
    let id = esc(c.id);
    let _ = write!(
        out,
        r#"<defs><pattern id="{id}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>"#
    );
    legend(&mut out, series, left, 18.0, Some(&format!("{id}-hatch")));
    let base = head + row_h * labels.len().max(1) as f64;
    for k in 0..=steps {
        let v = step * k as f64;
        let x = left + w_of(v);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{x:.1}" x2="{x:.1}" y1="{head}" y2="{base:.1}"/><text class="axis" x="{x:.1}" y="{:.1}" text-anchor="{}">{}</text>"#,
            base + 16.0,
            if k == 0 { "start" } else { "middle" },
            esc(&format(v))
        );
    }
    for (row, label) in labels.iter().enumerate() {
        let y0 = head + row_h * row as f64;
        let _ = write!(
            out,
            r#"<text class="label" x="{left}" y="{:.1}">{}</text>"#,
            y0 + 14.0,
            esc(label)
        );
        for (s_i, s) in series.iter().enumerate() {
            let y = y0 + 20.0 + s_i as f64 * (bar_h + 3.0);
            let value = s.values.get(row).copied().flatten();
            let (w, text) = match value {
                Some(v) => (w_of(v), format(v)),
                None => (0.0, "—".to_string()),
            };
            let fill = fill_of(s_i, &format!("{id}-hatch"));
            let _ = write!(
                out,
                r#"<g class="bar-of s{}"><rect class="bar s{}" x="{left}" y="{y:.1}" width="{:.1}" height="{bar_h}"{fill}><title>{} · {}: {}</title></rect><text class="value" x="{:.1}" y="{:.1}">{}</text></g>"#,
                s_i % 3,
                s_i % 3,
                w.max(if value.is_some() { 1.0 } else { 0.0 }),
                esc(label),
                esc(&s.name),
                esc(&text),
                left + w + 5.0,
                y + bar_h - 2.0,
                esc(&text)
            );
        }
    }
    let _ = write!(
        out,
        r#"<line class="axis-line" x1="{left}" x2="{left}" y1="{head}" y2="{base:.1}"/>"#
    );
    out.push_str("</svg>");
    out
}

/// A place on the positional plot.
pub struct Place {
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    /// How big the mark is drawn (a count).
    pub size: i64,
    /// Drawn as a diamond rather than a circle, in the alert colour.
    pub alert: bool,
    /// What a pointer shows.
    pub title: String,
}

/// Places at their coordinates (an equirectangular projection fitted to them, north up), each
/// a mark whose area grows with its size, named beside it when there are few; `legend` names
/// the two marks (plain, alert).
pub fn plot(c: &Caption, places: &[Place], legend: (&str, &str)) -> String {
    let (width, height) = (640.0, 420.0);
    let (pad, head) = (40.0, 34.0);
    let lat0 = if places.is_empty() {
        0.0
    } else {
        places.iter().map(|p| p.lat).sum::<f64>() / places.len() as f64
    };
    let k = lat0.to_radians().cos().max(0.1);
    let xs: Vec<f64> = places.iter().map(|p| p.lon * k).collect();
    let ys: Vec<f64> = places.iter().map(|p| -p.lat).collect();
    let (min_x, max_x) = min_max(&xs);
    let (min_y, max_y) = min_max(&ys);
    let (pw, ph) = (width - 2.0 * pad, height - head - 2.0 * pad);
    let (dx, dy) = (max_x - min_x, max_y - min_y);
    let scale = match (dx > 1e-9, dy > 1e-9) {
        (true, true) => (pw / dx).min(ph / dy),
        (true, false) => pw / dx,
        (false, true) => ph / dy,
        (false, false) => 0.0,
    };
    // Centred: the fitted box in the middle of the frame.
    let off_x = pad + (pw - dx * scale) / 2.0;
    let off_y = head + pad + (ph - dy * scale) / 2.0;
    let at = |i: usize| {
        (
            off_x + (xs[i] - min_x) * scale,
            off_y + (ys[i] - min_y) * scale,
        )
    };
    let mut out = String::new();
    open_svg(&mut out, c, width, height);
    let _ = write!(
        out,
        r#"<rect class="frame" x="1" y="{head}" width="{:.1}" height="{:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">N ↑</text>"#,
        width - 2.0,
        height - head - 1.0,
        width - 10.0,
        head + 18.0
    );
    // The legend: a circle and a diamond, with their words.
    let _ = write!(
        out,
        r#"<circle class="place" cx="14" cy="14" r="6"/><text class="legend" x="26" y="18">{}</text><path class="place alert" d="{}"/><text class="legend" x="{:.1}" y="18">{}</text>"#,
        esc(legend.0),
        diamond(
            26.0 + 8.0 * legend.0.chars().count() as f64 + 30.0,
            14.0,
            7.0
        ),
        26.0 + 8.0 * legend.0.chars().count() as f64 + 42.0,
        esc(legend.1)
    );
    let named = places.len() <= 20;
    // Largest first, so that small marks stay on top and can be pointed at.
    let mut order: Vec<usize> = (0..places.len()).collect();
    order.sort_by(|a, b| places[*b].size.cmp(&places[*a].size));
    for i in order {
        let p = &places[i];
        let (x, y) = at(i);
        let r = (4.0 + 3.0 * (p.size.max(1) as f64).sqrt()).min(26.0);
        let mark = if p.alert {
            format!(
                r#"<path class="place alert" d="{}"><title>{}</title></path>"#,
                diamond(x, y, r * 1.2),
                esc(&p.title)
            )
        } else {
            format!(
                r#"<circle class="place" cx="{x:.1}" cy="{y:.1}" r="{r:.1}"><title>{}</title></circle>"#,
                esc(&p.title)
            )
        };
        out.push_str(&mark);
        if named {
            let _ = write!(
                out,
                r#"<text class="place-label" x="{:.1}" y="{:.1}">{} ({})</text>"#,
                x + r + 4.0,
                y + 4.0,
                esc(&p.label),
                p.size
            );
        }
    }
    out.push_str("</svg>");
    out
}

fn diamond(x: f64, y: f64, r: f64) -> String {
    format!(
        "M{x:.1},{:.1} L{:.1},{y:.1} L{x:.1},{:.1} L{:.1},{y:.1} Z",
        y - r,
        x + r,
        y + r,
        x - r
    )
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(*x), hi.max(*x))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caption() -> Caption<'static> {
        Caption {
            id: "c",
            title: "On time <by month>",
            desc: "The table below has the numbers.",
        }
    }

    fn count(svg: &str, what: &str) -> usize {
        svg.matches(what).count()
    }

    #[test]
    fn a_line_chart_titles_each_point_and_breaks_where_a_value_is_missing() {
        let labels: Vec<String> = ["01/2026", "02/2026", "03/2026", "04/2026"]
            .map(String::from)
            .to_vec();
        let series = [Series {
            name: "Tỷ lệ".into(),
            values: vec![Some(0.5), None, Some(1.0), Some(0.25)],
        }];
        let pct = |v: f64| format!("{:.0} %", v * 100.0);
        let svg = line(&caption(), &labels, &series, 1.0, &pct);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title id=\"c-title\">On time &lt;by month&gt;</title>"));
        // Three values, three titled points (the legend's marker has no title).
        assert_eq!(count(&svg, "<title>"), 3);
        assert!(svg.contains("<title>03/2026 · Tỷ lệ: 100 %</title>"));
        // Two pieces: moved to twice.
        let path = svg.split(r#"class="line s0" d=""#).nth(1).unwrap();
        let d = &path[..path.find('"').unwrap()];
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 1, "{d}");
        // The value axis: 0 to 100 %.
        assert!(svg.contains(">0 %</text>") && svg.contains(">100 %</text>"));
    }

    #[test]
    fn bars_scale_to_a_round_top_and_say_their_values() {
        let labels = vec!["UBND <A>".to_string(), "UBND B".to_string()];
        let series = [
            Series {
                name: "Trung vị".into(),
                values: vec![Some(3.0), None],
            },
            Series {
                name: "Phân vị 90".into(),
                values: vec![Some(7.0), Some(2.0)],
            },
        ];
        let days = |v: f64| format!("{v:.0} ngày");
        let svg = bars(&caption(), &labels, &series, &days);
        assert!(svg.contains("UBND &lt;A&gt;"));
        assert!(svg.contains("<title>UBND &lt;A&gt; · Phân vị 90: 7 ngày</title>"));
        assert!(svg.contains("<title>UBND B · Trung vị: —</title>"));
        // Steps of 2 days up to 8, so 7 days fill seven eighths of the room.
        assert!(svg.contains(">8 ngày</text>") && svg.contains(">2 ngày</text>"));
        assert!(!svg.contains(">10 ngày</text>"));
        let pw = 640.0 - 8.0 - 96.0;
        assert!(svg.contains(&format!(r#"width="{:.1}""#, pw * 0.875)));
        // The second series is hatched, not only coloured.
        assert!(svg.contains(r##"fill="url(#c-hatch)""##));
    }

    #[test]
    fn a_plot_puts_north_up_and_marks_alerts_with_a_diamond() {
        let places = [
            Place {
                label: "North".into(),
                lat: 10.1,
                lon: 105.7,
                size: 1,
                alert: false,
                title: "North: 1".into(),
            },
            Place {
                label: "South".into(),
                lat: 10.0,
                lon: 105.8,
                size: 4,
                alert: true,
                title: "South: 4, 1 late".into(),
            },
        ];
        let svg = plot(&caption(), &places, ("open", "with overdue"));
        let north = svg.split("<title>North: 1</title>").next().unwrap();
        let cy: f64 = {
            let at = north.rfind("cy=\"").unwrap() + 4;
            north[at..at + north[at..].find('"').unwrap()]
                .parse()
                .unwrap()
        };
        // South is a diamond path; its centre lies below North's.
        let south = svg.split("<title>South: 4, 1 late</title>").next().unwrap();
        let d_at = south.rfind("d=\"M").unwrap() + 4;
        let d = &south[d_at..d_at + south[d_at..].find('"').unwrap()];
        let top_y: f64 = d
            .split(' ')
            .next()
            .unwrap()
            .split(',')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert!(cy < top_y, "north at {cy}, south's top at {top_y}");
        assert!(svg.contains("North (1)") && svg.contains("South (4)"));
    }

    #[test]
    fn one_place_or_none_still_draws() {
        let one = [Place {
            label: "Only".into(),
            lat: 10.0,
            lon: 105.0,
            size: 2,
            alert: false,
            title: "Only: 2".into(),
        }];
        let svg = plot(&caption(), &one, ("a", "b"));
        assert!(svg.contains(r#"cx="320.0""#), "{svg}");
        assert!(plot(&caption(), &[], ("a", "b")).ends_with("</svg>"));
    }

    #[test]
    fn axes_step_roundly_and_counts_step_by_whole_numbers() {
        assert_eq!(axis(0.0, true), (1.0, 1));
        assert_eq!(axis(1.0, true), (1.0, 1));
        assert_eq!(axis(3.0, true), (1.0, 3));
        assert_eq!(axis(7.0, true), (2.0, 4));
        assert_eq!(axis(40.0, true), (10.0, 4));
        assert_eq!(axis(1.0, false), (0.25, 4));
        assert_eq!(axis(9.0, false), (2.5, 4));
        assert_eq!(axis(130.0, true), (50.0, 3));
    }
}
