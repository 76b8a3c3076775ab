//! Small SVG charts drawn on the server, readable without JavaScript. Only numbers and fixed
//! labels go into them, never user text.

use std::fmt::Write;

/// A line chart of θ̂ (left axis, −3…3) and P(pass) (right axis, 0…1) over attempts, oldest first.
pub fn trend(points: &[(f64, f64)]) -> String {
    let (w, h, pad) = (640.0, 240.0, 40.0);
    let n = points.len().max(2) as f64;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (n - 1.0);
    let y_theta = |t: f64| pad + (h - 2.0 * pad) * (1.0 - (t.clamp(-3.0, 3.0) + 3.0) / 6.0);
    let y_p = |p: f64| pad + (h - 2.0 * pad) * (1.0 - p.clamp(0.0, 1.0));
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="trend-title trend-desc" xmlns="http://www.w3.org/2000/svg">
<title id="trend-title">Ability estimate and pass probability over your attempts</title>
<desc id="trend-desc">{} attempts. Solid line: ability estimate (theta, left scale); dashed line: probability of passing (right scale); grey line: the passing standard.</desc>
<rect x="{pad}" y="{pad}" width="{}" height="{}" fill="#fff" stroke="#d8e0e5"/>
<line x1="{pad}" x2="{}" y1="{}" y2="{}" stroke="#9aa" stroke-dasharray="2 3"/>
<text x="4" y="{}" font-size="11" fill="#5b6b76">θ 3</text><text x="4" y="{}" font-size="11" fill="#5b6b76">θ −3</text>
<text x="{}" y="{}" font-size="11" fill="#5b6b76">100 %</text><text x="{}" y="{}" font-size="11" fill="#5b6b76">0 %</text>
"##,
        points.len(),
        w - 2.0 * pad,
        h - 2.0 * pad,
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
    let line = |f: &dyn Fn(usize) -> f64| {
        points
            .iter()
            .enumerate()
            .map(|(i, _)| format!("{:.1},{:.1}", x(i), f(i)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = write!(
        s,
        r##"<polyline fill="none" stroke="#0f6e6a" stroke-width="2.5" points="{}"/>"##,
        line(&|i| y_theta(points[i].0))
    );
    let _ = write!(
        s,
        r##"<polyline fill="none" stroke="#b36b00" stroke-width="2" stroke-dasharray="6 4" points="{}"/>"##,
        line(&|i| y_p(points[i].1))
    );
    for (i, (t, p)) in points.iter().enumerate() {
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="#0f6e6a"><title>Attempt {}: θ {:.2}</title></circle>"##,
            x(i),
            y_theta(*t),
            i + 1,
            t
        );
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#b36b00"><title>Attempt {}: P(pass) {:.0} %</title></circle>"##,
            x(i),
            y_p(*p),
            i + 1,
            p * 100.0
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars of per-area strength (share correct), with weak areas marked.
pub fn areas(rows: &[(String, f64, bool)]) -> String {
    let (w, bar_h, gap, label_w) = (640.0, 22.0, 8.0, 250.0);
    let h = rows.len() as f64 * (bar_h + gap) + gap;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="areas-title" xmlns="http://www.w3.org/2000/svg"><title id="areas-title">Share of questions answered correctly per content area</title>"#
    );
    for (i, (label, share, weak)) in rows.iter().enumerate() {
        let y = gap + i as f64 * (bar_h + gap);
        let bw = (w - label_w - 60.0) * share.clamp(0.0, 1.0);
        let color = if *weak { "#b3261e" } else { "#0f6e6a" };
        let _ = write!(
            s,
            r##"<text x="0" y="{:.1}" font-size="12" fill="#1d2a33">{}</text><rect x="{label_w}" y="{y:.1}" width="{bw:.1}" height="{bar_h}" fill="{color}"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#1d2a33">{:.0} %{}</text>"##,
            y + 15.0,
            escape(&short_label(label)),
            label_w + bw + 6.0,
            y + 15.0,
            share * 100.0,
            if *weak { " weak" } else { "" }
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

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
