//! Small SVG charts drawn on the server, readable without JavaScript. Only numbers and fixed
//! labels go into them, never user text.

use std::fmt::Write;

/// One attempt on the trend chart: when it started (a date for the x-axis), θ̂ and P(pass).
pub struct TrendPoint {
    pub date: String,
    pub theta: f64,
    pub p_pass: f64,
}

/// At most this many dates under the x-axis; between them, points go unlabelled.
const MAX_DATE_LABELS: usize = 6;

/// A line chart of θ̂ (left axis, −3…3) and P(pass) (right axis, 0…1) over attempts, oldest first,
/// with the attempts' dates under the x-axis.
pub fn trend(points: &[TrendPoint]) -> String {
    let (w, h, pad, bottom) = (640.0, 260.0, 40.0, 60.0);
    let n = points.len().max(2) as f64;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (n - 1.0);
    let y_theta = |t: f64| pad + (h - pad - bottom) * (1.0 - (t.clamp(-3.0, 3.0) + 3.0) / 6.0);
    let y_p = |p: f64| pad + (h - pad - bottom) * (1.0 - p.clamp(0.0, 1.0));
    let mut s = String::new();
    let (first, last) = (
        points.first().map(|p| p.date.as_str()).unwrap_or_default(),
        points.last().map(|p| p.date.as_str()).unwrap_or_default(),
    );
    let _ = write!(
        s,
        r##"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="trend-title trend-desc" xmlns="http://www.w3.org/2000/svg">
<title id="trend-title">Ability estimate and pass probability over your attempts</title>
<desc id="trend-desc">{} attempts from {} to {}. Solid line: ability estimate (theta, left scale); dashed line: probability of passing (right scale); grey line: the passing standard.</desc>
<rect x="{pad}" y="{pad}" width="{}" height="{}" fill="#fff" stroke="#d8e0e5"/>
<line x1="{pad}" x2="{}" y1="{}" y2="{}" stroke="#9aa" stroke-dasharray="2 3"/>
<text x="4" y="{}" font-size="11" fill="#5b6b76">θ 3</text><text x="4" y="{}" font-size="11" fill="#5b6b76">θ −3</text>
<text x="{}" y="{}" font-size="11" fill="#5b6b76">100 %</text><text x="{}" y="{}" font-size="11" fill="#5b6b76">0 %</text>
"##,
        points.len(),
        escape(first),
        escape(last),
        w - 2.0 * pad,
        h - pad - bottom,
        w - pad,
        y_theta(0.0),
        y_theta(0.0),
        y_theta(3.0) + 4.0,
        y_theta(-3.0) + 4.0,
        w - pad + 4.0,
        y_p(1.0) + 4.0,
        w - pad + 4.0,
        y_p(0.0) + 4.0,
    );
    // Dates under the axis: every k-th attempt and the last, each a tick, turned to fit.
    let step = points.len().div_ceil(MAX_DATE_LABELS).max(1);
    let axis_y = h - bottom;
    for (i, p) in points.iter().enumerate() {
        if i % step != 0 && i + 1 != points.len() {
            continue;
        }
        if i + 1 == points.len() && i % step != 0 && i % step < step / 2 {
            // Too close to the previous label: the last one wins.
            continue;
        }
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" x2="{0:.1}" y1="{axis_y}" y2="{1}" stroke="#5b6b76"/><text x="{0:.1}" y="{2}" font-size="11" fill="#5b6b76" text-anchor="end" transform="rotate(-30 {0:.1} {2})">{3}</text>"##,
            x(i),
            axis_y + 5.0,
            axis_y + 18.0,
            escape(&p.date)
        );
    }
    let line = |f: &dyn Fn(&TrendPoint) -> f64| {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x(i), f(p)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = write!(
        s,
        r##"<polyline fill="none" stroke="#0f6e6a" stroke-width="2.5" points="{}"/>"##,
        line(&|p| y_theta(p.theta))
    );
    let _ = write!(
        s,
        r##"<polyline fill="none" stroke="#b36b00" stroke-width="2" stroke-dasharray="6 4" points="{}"/>"##,
        line(&|p| y_p(p.p_pass))
    );
    for (i, p) in points.iter().enumerate() {
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="#0f6e6a"><title>{}: θ {:.2}</title></circle>"##,
            x(i),
            y_theta(p.theta),
            escape(&p.date),
            p.theta
        );
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#b36b00"><title>{}: P(pass) {:.0} %</title></circle>"##,
            x(i),
            y_p(p.p_pass),
            escape(&p.date),
            p.p_pass * 100.0
        );
    }
    s.push_str("</svg>");
    s
}

/// One bar of the per-area chart.
pub struct AreaBar {
    pub label: String,
    /// The length of the bar, 0…1.
    pub value: f64,
    pub weak: bool,
}

/// What the per-area bars measure.
pub enum AreaMeasure {
    /// The chance that the area is at or above the passing standard. An area is weak when that
    /// chance is at most `weak_at_most` (the engine's rule, P(below) ≥ its threshold): the chart
    /// draws that line, and only bars that end at or left of it are red and labelled weak.
    AtStandard { weak_at_most: f64 },
    /// The share answered correctly (results stored before the chance was recorded): no area is
    /// coloured, since the share alone does not decide weakness on an adaptive exam.
    ShareCorrect,
}

/// Horizontal bars per content area, with weak areas marked by one rule (see [`AreaMeasure`]).
pub fn areas(rows: &[AreaBar], measure: &AreaMeasure) -> String {
    let (w, bar_h, gap, label_w, top) = (640.0, 22.0, 8.0, 250.0, 22.0);
    let h = top + rows.len() as f64 * (bar_h + gap) + gap;
    let span = w - label_w - 70.0;
    let (title, caption) = match measure {
        AreaMeasure::AtStandard { .. } => (
            "Chance that each content area is at or above the passing standard",
            "Chance at or above the passing standard",
        ),
        AreaMeasure::ShareCorrect => (
            "Share of questions answered correctly per content area",
            "Share answered correctly",
        ),
    };
    let mut s = format!(
        r##"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="areas-title" xmlns="http://www.w3.org/2000/svg"><title id="areas-title">{title}</title><text x="{label_w}" y="14" font-size="12" fill="#1d2a33">{caption}</text>"##
    );
    for (i, bar) in rows.iter().enumerate() {
        let y = top + gap + i as f64 * (bar_h + gap);
        let value = bar.value.clamp(0.0, 1.0);
        let bw = span * value;
        let weak = matches!(measure, AreaMeasure::AtStandard { .. }) && bar.weak;
        let color = if weak { "#b3261e" } else { "#0f6e6a" };
        let _ = write!(
            s,
            r##"<text x="0" y="{:.1}" font-size="12" fill="#1d2a33">{}</text><rect x="{label_w}" y="{y:.1}" width="{bw:.1}" height="{bar_h}" fill="{color}"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#1d2a33">{} %{}</text>"##,
            y + 15.0,
            escape(&short_label(&bar.label)),
            label_w + bw + 6.0,
            y + 15.0,
            // A probability is never certain: written as the result table writes it.
            match measure {
                AreaMeasure::AtStandard { .. } if value < 0.005 => "&lt; 1".to_string(),
                AreaMeasure::AtStandard { .. } if value > 0.995 => "&gt; 99".to_string(),
                _ => format!("{:.0}", value * 100.0),
            },
            if weak { " weak" } else { "" }
        );
    }
    if let AreaMeasure::AtStandard { weak_at_most } = measure {
        let lx = label_w + span * weak_at_most.clamp(0.0, 1.0);
        let _ = write!(
            s,
            r##"<line x1="{lx:.1}" x2="{lx:.1}" y1="{top}" y2="{h}" stroke="#b3261e" stroke-dasharray="4 3"><title>Weak at or below {:.0} %</title></line>"##,
            weak_at_most * 100.0
        );
    }
    s.push_str("</svg>");
    s
}

/// Labels longer than the label column are cut with an ellipsis (the table below has them whole).
fn short_label(s: &str) -> String {
    if s.chars().count() <= 36 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(35).collect::<String>().trim_end())
    }
}

/// One day on the study chart: its date (YYYY-MM-DD) and the minutes studied.
pub struct DayBar {
    pub date: String,
    pub minutes: u32,
}

/// Vertical bars of minutes studied per day, oldest first; every other day is labelled.
pub fn daily_minutes(days: &[DayBar]) -> String {
    let (w, h, pad, bottom) = (640.0, 200.0, 36.0, 46.0);
    let max = days.iter().map(|d| d.minutes).max().unwrap_or(0).max(10) as f64;
    let n = days.len().max(1) as f64;
    let slot = (w - 2.0 * pad) / n;
    let plot_h = h - pad - bottom;
    let total: u32 = days.iter().map(|d| d.minutes).sum();
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="days-title days-desc" xmlns="http://www.w3.org/2000/svg">
<title id="days-title">Minutes studied per day</title>
<desc id="days-desc">The last {} days, {} minutes in all; the tallest bar is {} minutes.</desc>
<line x1="{pad}" x2="{}" y1="{}" y2="{}" stroke="#9aa"/>
<text x="2" y="{}" font-size="11" fill="#5b6b76">{} min</text>
"##,
        days.len(),
        total,
        max as u32,
        w - pad,
        pad + plot_h,
        pad + plot_h,
        pad + 4.0,
        max as u32,
    );
    for (i, d) in days.iter().enumerate() {
        let bh = plot_h * d.minutes as f64 / max;
        let x = pad + slot * i as f64 + slot * 0.15;
        let _ = writeln!(
            s,
            r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="#1f7a74"><title>{}: {} min</title></rect>"##,
            pad + plot_h - bh,
            slot * 0.7,
            escape(&d.date),
            d.minutes
        );
        if i % 2 == days.len().saturating_sub(1) % 2 {
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#5b6b76" text-anchor="middle">{}</text>"##,
                x + slot * 0.35,
                pad + plot_h + 14.0,
                escape(d.date.get(5..).unwrap_or(&d.date))
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64, weak: bool) -> AreaBar {
        AreaBar {
            label: label.into(),
            value,
            weak,
        }
    }

    #[test]
    fn only_bars_at_or_left_of_the_line_are_weak() {
        let svg = areas(
            &[
                bar("1. Anatomy", 0.2, true),
                bar("2. Kinesiology", 0.8, false),
            ],
            &AreaMeasure::AtStandard { weak_at_most: 0.3 },
        );
        assert_eq!(svg.matches("#b3261e\"/>").count(), 1, "one red bar");
        assert!(svg.contains("20 % weak"));
        assert!(svg.contains("80 %<"));
        assert!(svg.contains("Weak at or below 30 %"));
    }

    #[test]
    fn probabilities_at_the_ends_read_as_the_table_does() {
        let svg = areas(
            &[
                bar("1. Anatomy", 0.0001, true),
                bar("2. Kinesiology", 0.9999, false),
            ],
            &AreaMeasure::AtStandard { weak_at_most: 0.3 },
        );
        assert!(svg.contains("&lt; 1 % weak"), "{svg}");
        assert!(svg.contains("&gt; 99 %"), "{svg}");
        assert!(!svg.contains(">100 %") && !svg.contains(">0 %"), "{svg}");
    }

    #[test]
    fn shares_correct_are_never_coloured_weak() {
        let svg = areas(&[bar("1. Anatomy", 0.9, true)], &AreaMeasure::ShareCorrect);
        assert!(!svg.contains("weak"), "{svg}");
        assert!(svg.contains("Share answered correctly"));
    }

    #[test]
    fn daily_bars_scale_to_the_busiest_day_and_label_the_last() {
        let days: Vec<DayBar> = (1..=14)
            .map(|d| DayBar {
                date: format!("2026-11-{d:02}"),
                minutes: if d == 14 { 40 } else { d },
            })
            .collect();
        let svg = daily_minutes(&days);
        assert_eq!(svg.matches("<rect").count(), 14);
        assert!(svg.contains("2026-11-14: 40 min"));
        assert!(svg.contains(">11-14</text>") && !svg.contains(">11-13</text>"));
        assert!(svg.contains("131 minutes in all"), "{svg}");
        assert!(
            svg.contains("height=\"118.0\""),
            "the busiest day fills the plot"
        );
    }

    #[test]
    fn the_trend_labels_its_x_axis_with_dates() {
        let pts: Vec<TrendPoint> = (1..=20)
            .map(|d| TrendPoint {
                date: format!("2026-11-{d:02}"),
                theta: 0.0,
                p_pass: 0.5,
            })
            .collect();
        let svg = trend(&pts);
        let labels = svg.matches("rotate(-30").count();
        assert!((2..=MAX_DATE_LABELS + 1).contains(&labels), "{labels}");
        assert!(svg.contains(">2026-11-01</text>"));
        assert!(
            svg.contains(">2026-11-20</text>"),
            "the last attempt is labelled"
        );
        assert!(svg.contains("from 2026-11-01 to 2026-11-20"));
    }
}
