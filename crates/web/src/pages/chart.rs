//! SVG line charts of a participant's scores over visits: UEMS and LEMS, and the light touch
//! and pin prick totals, from the screening exam and each visit's ISNCSCI form.

use super::i18n::{text, Lang};
use crate::service::VisitView;

/// One line of a chart.
pub struct Series {
    /// The CSS class that colours it.
    pub class: &'static str,
    /// Its name in the legend.
    pub label: String,
    /// The polyline's points.
    pub points: String,
    /// Each point: x, y and the value shown.
    pub dots: Vec<(f64, f64, String)>,
    /// The legend's x position (the legend is under the plot).
    pub legend_x: f64,
}

/// A chart, laid out in a 640 × 270 view box.
pub struct Chart {
    /// Its title.
    pub title: String,
    /// Its lines.
    pub series: Vec<Series>,
    /// The visits along the x axis: x and name.
    pub x_labels: Vec<(f64, String)>,
    /// The y axis ticks: y and value.
    pub y_ticks: Vec<(f64, String)>,
}

const LEFT: f64 = 48.0;
const RIGHT: f64 = 610.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 210.0;

/// A total as a number; `ND` and the like are not drawn.
fn number(value: &serde_json::Value) -> Option<f64> {
    let s = value.as_str()?;
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// The participant's two charts, or none when no exam has been recorded.
pub fn participant_charts(
    lang: Lang,
    study: &trial::Study,
    visits: &[VisitView],
    exams: &[store::ExamRecord],
    forms: &[store::FormEntry],
) -> Vec<Chart> {
    // (date, visit name, classification) in time order.
    let mut points: Vec<(String, String, serde_json::Value)> = Vec::new();
    for e in exams {
        let name = study
            .visit(&e.visit_id)
            .map_or(e.visit_id.clone(), |v| v.name_in(lang.zh()).to_string());
        if let Ok(c) = serde_json::from_str(&e.classification) {
            points.push((e.examined_on.clone(), name, c));
        }
    }
    for f in forms {
        let is_exam = study
            .form(&f.form_id)
            .is_some_and(|d| d.kind == trial::FormKind::Isncsci);
        let visit = visits.iter().find(|v| v.visit.visit_id == f.visit_id);
        if !is_exam || f.data.get("classification").is_none() {
            continue;
        }
        // A screening visit's exam may be both the screening record and a form: keep one.
        if exams.iter().any(|e| e.visit_id == f.visit_id) {
            continue;
        }
        let date = visit.map_or(f.updated_at.clone().unwrap_or_default(), |v| {
            v.visit.done_on.clone().unwrap_or(v.visit.target.clone())
        });
        let name = visit.map_or(f.visit_id.clone(), |v| {
            super::i18n::visit_name(study, &v.visit.visit_id, &v.visit.name, lang)
        });
        points.push((date, name, f.data["classification"].clone()));
    }
    if points.is_empty() {
        return Vec::new();
    }
    points.sort_by(|a, b| a.0.cmp(&b.0));
    let t = |key: &str| text(lang, key).unwrap_or(key).to_string();
    vec![
        chart(
            t("chart.motor"),
            50.0,
            &points,
            &[
                ("upperMotorTotal", "s1", t("chart.uems")),
                ("lowerMotorTotal", "s2", t("chart.lems")),
            ],
        ),
        chart(
            t("chart.sensory"),
            112.0,
            &points,
            &[
                ("touchTotal", "s3", t("chart.lt")),
                ("prickTotal", "s4", t("chart.pp")),
            ],
        ),
    ]
}

fn chart(
    title: String,
    max: f64,
    points: &[(String, String, serde_json::Value)],
    lines: &[(&str, &'static str, String)],
) -> Chart {
    let n = points.len();
    let x = |i: usize| {
        if n == 1 {
            (LEFT + RIGHT) / 2.0
        } else {
            LEFT + (RIGHT - LEFT) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| BOTTOM - (BOTTOM - TOP) * v / max;
    let series = lines
        .iter()
        .enumerate()
        .map(|(k, (key, class, label))| {
            let dots: Vec<(f64, f64, String)> = points
                .iter()
                .enumerate()
                .filter_map(|(i, (_, _, c))| {
                    number(&c[*key]).map(|v| (x(i), y(v), c[*key].as_str().unwrap_or("").into()))
                })
                .collect();
            Series {
                class,
                label: label.clone(),
                points: dots
                    .iter()
                    .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                dots,
                legend_x: LEFT + 240.0 * k as f64,
            }
        })
        .collect();
    let step = if max > 60.0 { 28.0 } else { 10.0 };
    let mut y_ticks = Vec::new();
    let mut v = 0.0;
    while v <= max + 0.1 {
        y_ticks.push((y(v), format!("{v}")));
        v += step;
    }
    Chart {
        title,
        series,
        x_labels: points
            .iter()
            .enumerate()
            // "Week 24 (primary endpoint)" is "Week 24" under the axis (the full name is on the
            // participant page's timeline).
            .map(|(i, (_, name, _))| (x(i), name.split(" (").next().unwrap_or(name).to_string()))
            .collect(),
        y_ticks,
    }
}
