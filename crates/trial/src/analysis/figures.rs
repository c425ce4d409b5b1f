//! The analyses' figures as SVG, written by hand (no plotting dependency): the mean change in
//! total motor score by visit with 95% t intervals, the waterfall of each participant's change
//! at the primary visit, the AIS grade shift from baseline to the primary visit, the
//! CONSORT flow diagram, and Phase I's mean total motor score by visit per dose level. Each takes the groups the datasets show: the arms only when every
//! randomised participant's arm is shown, else one group of all participants, so a blinded
//! reader's figure cannot tell arms apart (no colour, order or label depends on an arm).
//! Every text is escaped; every figure names its language (`zh`: Simplified Chinese).

use std::fmt::Write as _;

pub use super::consort_figure::consort_svg;
use super::text::{wrap, wrap_phrases, Font};
use super::{AdslRow, Datasets, Param};
use crate::study::Study;

const COLOURS: [&str; 4] = ["#1b6ca8", "#c0392b", "#2e8b57", "#8e44ad"];
const POOLED: &str = "#444444";

/// Text for an SVG or HTML document: `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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

/// A small SVG document being written.
pub(super) struct Svg {
    out: String,
}

impl Svg {
    pub(super) fn new(width: u32, height: u32, title: &str) -> Svg {
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\"><title>{}</title><rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>",
            escape(title)
        );
        Svg { out }
    }

    /// A document with its title written at the top.
    pub(super) fn titled(width: u32, height: u32, title: &str) -> Svg {
        let mut svg = Svg::new(width, height, title);
        svg.text(
            f64::from(width) / 2.0,
            22.0,
            "middle",
            " font-size=\"15\"",
            title,
        );
        svg
    }

    pub(super) fn text(&mut self, x: f64, y: f64, anchor: &str, extra: &str, text: &str) {
        let _ = write!(
            self.out,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\"{extra}>{}</text>",
            escape(text)
        );
    }

    pub(super) fn line(
        &mut self,
        (x1, y1): (f64, f64),
        (x2, y2): (f64, f64),
        stroke: &str,
        width: f64,
    ) {
        let _ = write!(
            self.out,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{stroke}\" stroke-width=\"{width}\"/>"
        );
    }

    pub(super) fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, stroke: &str) {
        let _ = write!(
            self.out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{fill}\" stroke=\"{stroke}\"/>"
        );
    }

    /// Opens a group whose `<title>` is `title` (what a pointer over its text shows).
    pub(super) fn open_titled_group(&mut self, title: &str) {
        let _ = write!(self.out, "<g><title>{}</title>", escape(title));
    }

    pub(super) fn close_group(&mut self) {
        self.out.push_str("</g>");
    }

    pub(super) fn end(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// A group of the figures: its key (an arm's id, or `all`), its name, its colour.
struct Group {
    key: Option<String>,
    name: String,
    colour: &'static str,
}

/// The groups the datasets show: the arms when every randomised participant's arm is shown,
/// else all participants together.
fn groups(study: &Study, data: &Datasets, zh: bool) -> Vec<Group> {
    let randomised: Vec<&AdslRow> = data.adsl.iter().filter(|s| s.ittfl).collect();
    let by_arm = !randomised.is_empty() && randomised.iter().all(|s| s.arm.is_some());
    if !by_arm {
        return vec![Group {
            key: None,
            name: if zh {
                "全部受试者"
            } else {
                "All participants"
            }
            .to_owned(),
            colour: POOLED,
        }];
    }
    let mut ids: Vec<String> = study
        .arms
        .iter()
        .map(|a| a.id.clone())
        .chain(study.dose_levels.iter().map(|l| l.id.clone()))
        .filter(|id| randomised.iter().any(|s| s.arm.as_deref() == Some(id)))
        .collect();
    for s in &randomised {
        if let Some(a) = &s.arm {
            if !ids.contains(a) {
                ids.push(a.clone());
            }
        }
    }
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            let name = study
                .arm(&id)
                .map(|a| a.name_in(zh).to_owned())
                .or_else(|| study.dose_level(&id).map(|l| l.name_in(zh).to_owned()))
                .unwrap_or_else(|| id.clone());
            Group {
                key: Some(id),
                name,
                colour: COLOURS[i % COLOURS.len()],
            }
        })
        .collect()
}

fn member(group: &Group, s: &AdslRow) -> bool {
    s.ittfl && (group.key.is_none() || s.arm == group.key)
}

/// A group's point at a visit: the mean, its 95% t interval (from 2 values) and n.
type Point = (f64, Option<(f64, f64)>, usize);

/// The mean, its 95% t interval and n of `values` (the interval only from 2 values).
fn mean_ci(values: &[f64]) -> Option<Point> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Some((mean, None, n));
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = stats::distributions::t_upper(0.025, (n - 1) as f64) * (var / n as f64).sqrt();
    Some((mean, Some((mean - half, mean + half)), n))
}

/// A plot's frame: the area inside the axes and the mapping of values to it.
struct Frame {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    y_min: f64,
    y_max: f64,
}

impl Frame {
    fn y(&self, v: f64) -> f64 {
        self.top + self.height * (self.y_max - v) / (self.y_max - self.y_min)
    }

    /// Axis, grid lines at nice steps, and the zero line.
    fn y_axis(&self, svg: &mut Svg, label: &str) {
        let span = self.y_max - self.y_min;
        let raw = span / 6.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude);
        let mut v = (self.y_min / step).ceil() * step;
        while v <= self.y_max + 1e-9 {
            let y = self.y(v);
            svg.line((self.left, y), (self.left + self.width, y), "#e0e0e0", 1.0);
            svg.text(self.left - 6.0, y + 4.0, "end", "", &format!("{v}"));
            v += step;
        }
        if self.y_min < 0.0 && self.y_max > 0.0 {
            let y = self.y(0.0);
            svg.line((self.left, y), (self.left + self.width, y), "#888888", 1.0);
        }
        svg.line(
            (self.left, self.top),
            (self.left, self.top + self.height),
            "#333333",
            1.0,
        );
        let mid = self.top + self.height / 2.0;
        svg.text(
            14.0,
            mid,
            "middle",
            &format!(" transform=\"rotate(-90 14 {mid:.1})\""),
            label,
        );
    }
}

/// The range of the values, widened a little and always holding zero.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi - lo < 1.0 {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.08;
    (lo - pad, hi + pad)
}

/// The widest a legend's name is drawn before it wraps.
const LEGEND_TEXT: f64 = 220.0;

/// The legend: each group's swatch and its name, wrapped to [`LEGEND_TEXT`].
struct Legend {
    entries: Vec<(&'static str, Vec<String>, bool)>,
}

impl Legend {
    fn of(groups: &[Group]) -> Legend {
        let entries = groups
            .iter()
            .map(|g| {
                let w = wrap_phrases(&g.name, Font::BODY, LEGEND_TEXT, 3);
                (g.colour, w.lines, w.truncated)
            })
            .collect();
        Legend { entries }
    }

    /// Its width from the swatch's left edge to the end of the widest name.
    fn width(&self) -> f64 {
        18.0 + self
            .entries
            .iter()
            .flat_map(|(_, lines, _)| lines)
            .map(|l| Font::BODY.width(l))
            .fold(0.0, f64::max)
    }

    fn draw(&self, svg: &mut Svg, groups: &[Group], x: f64, mut y: f64) {
        for ((colour, lines, cut), g) in self.entries.iter().zip(groups) {
            svg.rect(x, y - 9.0, 12.0, 12.0, colour, colour);
            if *cut {
                svg.open_titled_group(&g.name);
            }
            for (i, line) in lines.iter().enumerate() {
                svg.text(x + 18.0, y + 1.0 + 14.0 * i as f64, "start", "", line);
            }
            if *cut {
                svg.close_group();
            }
            y += 18.0 + 14.0 * (lines.len() as f64 - 1.0);
        }
    }
}

/// The least space between two visits' names side by side.
const LABEL_GAP: f64 = 6.0;
/// The distance between the baselines of a name's lines.
const LABEL_LEADING: f64 = 14.0;
/// The longest a slanted name is drawn before it is cut.
const SLANTED_TEXT: f64 = 150.0;
/// The least distance between two slanted names' baselines.
const SLANTED_SPACING: f64 = 15.0;

/// How the visits' names are set under the axis: level, on one line or wrapped to their
/// slot; else slanted at 45°, only every `step`-th one when even slanted they would collide,
/// each cut to [`SLANTED_TEXT`] (the whole name in a `<title>`).
enum XLabels {
    Level(Vec<Vec<String>>),
    Slanted {
        step: usize,
        names: Vec<(String, Option<String>)>,
    },
}

impl XLabels {
    fn of(names: &[String], slot: f64) -> XLabels {
        let room = slot - LABEL_GAP;
        if names.iter().all(|n| Font::BODY.width(n) <= room) {
            return XLabels::Level(names.iter().map(|n| vec![n.clone()]).collect());
        }
        let wrapped: Vec<_> = names
            .iter()
            .map(|n| wrap_phrases(n, Font::BODY, room, 3))
            .collect();
        let fits = wrapped
            .iter()
            .all(|w| !w.truncated && w.lines.iter().all(|l| Font::BODY.width(l) <= room));
        if fits {
            return XLabels::Level(wrapped.into_iter().map(|w| w.lines).collect());
        }
        let apart = slot * std::f64::consts::FRAC_1_SQRT_2;
        let step = (SLANTED_SPACING / apart).ceil().max(1.0) as usize;
        let names = names
            .iter()
            .map(|n| {
                let w = wrap(n, Font::BODY, SLANTED_TEXT, 1, "");
                let line = w.lines.into_iter().next().unwrap_or_default();
                (line, w.truncated.then(|| n.clone()))
            })
            .collect();
        XLabels::Slanted { step, names }
    }

    /// How far below the axis the names reach.
    fn depth(&self) -> f64 {
        match self {
            XLabels::Level(lines) => {
                let most = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
                18.0 + LABEL_LEADING * (most as f64 - 1.0) + 4.0
            }
            XLabels::Slanted { names, .. } => {
                let longest = names
                    .iter()
                    .map(|(n, _)| Font::BODY.width(n))
                    .fold(0.0, f64::max);
                14.0 + (longest + Font::BODY.size) * std::f64::consts::FRAC_1_SQRT_2
            }
        }
    }

    /// How far left of the first slot's left edge the names reach (slanted names hang to the
    /// left of their slots); none when level.
    fn reach_left(&self, slot: f64) -> f64 {
        match self {
            XLabels::Level(_) => 0.0,
            XLabels::Slanted { step, names } => names
                .iter()
                .enumerate()
                .step_by(*step)
                .map(|(i, (n, _))| {
                    let along = Font::BODY.width(n) + 0.9 * Font::BODY.size;
                    along * std::f64::consts::FRAC_1_SQRT_2 - 4.0 - slot * (i as f64 + 0.5)
                })
                .fold(0.0, f64::max),
        }
    }

    /// The names under the slots' centres `x(i)`, the axis at `base`.
    fn draw(&self, svg: &mut Svg, x: impl Fn(usize) -> f64, base: f64) {
        match self {
            XLabels::Level(lines) => {
                for (i, lines) in lines.iter().enumerate() {
                    for (j, line) in lines.iter().enumerate() {
                        let y = base + 18.0 + LABEL_LEADING * j as f64;
                        svg.text(x(i), y, "middle", "", line);
                    }
                }
            }
            XLabels::Slanted { step, names } => {
                for (i, (name, full)) in names.iter().enumerate().step_by(*step) {
                    let (x, y) = (x(i) + 4.0, base + 14.0);
                    if let Some(full) = full {
                        svg.open_titled_group(full);
                    }
                    svg.text(
                        x,
                        y,
                        "end",
                        &format!(" transform=\"rotate(-45 {x:.1} {y:.1})\""),
                        name,
                    );
                    if full.is_some() {
                        svg.close_group();
                    }
                }
            }
        }
    }
}

/// The mean change from baseline in total motor score at each post-baseline visit, by group,
/// with its 95% t interval.
pub fn mean_change_svg(study: &Study, data: &Datasets, zh: bool) -> String {
    by_visit_svg(study, data, zh, false)
}

/// The mean total motor score at each visit (baseline included), by group (the dose levels of
/// an open-label study: Phase I's trajectories per cohort), with its 95% t interval; the visits
/// are named by their planned day.
pub fn trajectories_svg(study: &Study, data: &Datasets, zh: bool) -> String {
    by_visit_svg(study, data, zh, true)
}

/// The mean of each visit's total motor score (`values`) or of its change, by group.
fn by_visit_svg(study: &Study, data: &Datasets, zh: bool, absolute: bool) -> String {
    let groups = groups(study, data, zh);
    let measure = |r: &super::AdisnRow| if absolute { r.aval } else { r.chg };
    let mut visits: Vec<(i32, String)> = data
        .adisn
        .iter()
        .filter(|r| r.param == Param::Tms && measure(r).is_some())
        .map(|r| (r.avisitn, r.visit_id.clone()))
        .collect();
    visits.sort();
    visits.dedup();
    let name_of = |id: &str| match (absolute, study.visit(id)) {
        (true, Some(v)) if zh => format!("第 {} 天", v.day),
        (true, Some(v)) => format!("Day {}", v.day),
        (false, Some(v)) => v.name_in(zh).to_owned(),
        (_, None) => id.to_owned(),
    };
    // Per group, per visit: mean, interval, n.
    let points: Vec<Vec<Option<Point>>> = groups
        .iter()
        .map(|g| {
            visits
                .iter()
                .map(|(_, visit)| {
                    let values: Vec<f64> = data
                        .adisn
                        .iter()
                        .filter(|r| r.param == Param::Tms && &r.visit_id == visit)
                        .filter(|r| data.adsl.get(r.subject).is_some_and(|s| member(g, s)))
                        .filter_map(measure)
                        .collect();
                    mean_ci(&values)
                })
                .collect()
        })
        .collect();
    let title = match (absolute, zh) {
        (false, true) => "总运动评分较基线的平均变化（95% 置信区间）",
        (false, false) => "Mean change from baseline in total motor score (95% CI)",
        (true, true) => "各访视平均总运动评分（95% 置信区间）",
        (true, false) => "Mean total motor score by visit (95% CI)",
    };
    let frame_width = 470.0;
    let slot = frame_width / visits.len().max(1) as f64;
    let names: Vec<String> = visits.iter().map(|(_, v)| name_of(v)).collect();
    let labels = XLabels::of(&names, slot);
    let legend = Legend::of(&groups);
    // Wide enough for the legend and for the visits' names, tall enough for the names.
    let left = 70.0f64.max(labels.reach_left(slot) + 8.0);
    let width = (left + frame_width + 20.0 + legend.width() + 20.0).max(720.0);
    let height = (45.0 + 300.0 + labels.depth() + 16.0).max(420.0);
    let mut svg = Svg::titled(width.ceil() as u32, height.ceil() as u32, title);
    let values = points.iter().flatten().flatten().flat_map(|(m, ci, _)| {
        let (lo, hi) = ci.unwrap_or((*m, *m));
        [*m, lo, hi]
    });
    let (y_min, y_max) = range(values);
    let frame = Frame {
        left,
        top: 45.0,
        width: frame_width,
        height: 300.0,
        y_min,
        y_max,
    };
    frame.y_axis(
        &mut svg,
        match (absolute, zh) {
            (false, true) => "总运动评分变化",
            (false, false) => "Change in total motor score",
            (true, true) => "总运动评分",
            (true, false) => "Total motor score",
        },
    );
    let base = frame.top + frame.height;
    svg.line(
        (frame.left, base),
        (frame.left + frame.width, base),
        "#333333",
        1.0,
    );
    if visits.is_empty() {
        svg.text(
            frame.left + frame.width / 2.0,
            frame.top + frame.height / 2.0,
            "middle",
            "",
            match (absolute, zh) {
                (false, true) => "尚无基线后的评分",
                (false, false) => "No post-baseline score yet",
                (true, true) => "尚无评分",
                (true, false) => "No score yet",
            },
        );
        return svg.end();
    }
    let x_of = |i: usize, g: usize| {
        let spread = 10.0 * (g as f64 - (groups.len() as f64 - 1.0) / 2.0);
        frame.left + slot * (i as f64 + 0.5) + spread
    };
    labels.draw(&mut svg, |i| frame.left + slot * (i as f64 + 0.5), base);
    for (gi, (g, row)) in groups.iter().zip(&points).enumerate() {
        let mut previous: Option<(f64, f64)> = None;
        for (i, point) in row.iter().enumerate() {
            let Some((mean, ci, n)) = point else {
                previous = None;
                continue;
            };
            let x = x_of(i, gi);
            let y = frame.y(*mean);
            if let Some(p) = previous {
                svg.line(p, (x, y), g.colour, 2.0);
            }
            if let Some((lo, hi)) = ci {
                svg.line((x, frame.y(*lo)), (x, frame.y(*hi)), g.colour, 1.5);
                svg.line(
                    (x - 4.0, frame.y(*lo)),
                    (x + 4.0, frame.y(*lo)),
                    g.colour,
                    1.5,
                );
                svg.line(
                    (x - 4.0, frame.y(*hi)),
                    (x + 4.0, frame.y(*hi)),
                    g.colour,
                    1.5,
                );
            }
            let _ = write!(
                svg.out,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{}\"><title>{}: {mean:.2}, n = {n}</title></circle>",
                g.colour,
                escape(&g.name)
            );
            previous = Some((x, y));
        }
    }
    legend.draw(
        &mut svg,
        &groups,
        frame.left + frame.width + 20.0,
        frame.top + 10.0,
    );
    svg.end()
}

/// Each participant's change in total motor score at the primary visit, largest first, one bar
/// each, coloured by group (no participant is named).
pub fn waterfall_svg(study: &Study, data: &Datasets, zh: bool) -> String {
    let groups = groups(study, data, zh);
    let mut bars: Vec<(f64, usize)> = data
        .adisn
        .iter()
        .filter(|r| r.param == Param::Tms && r.anl01fl)
        .filter(|r| Some(&r.visit_id) == data.primary_visit.as_ref())
        .filter_map(|r| {
            let s = data.adsl.get(r.subject)?;
            let g = groups.iter().position(|g| member(g, s))?;
            Some((r.chg?, g))
        })
        .collect();
    bars.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let title = if zh {
        "各受试者主要访视时总运动评分的变化"
    } else {
        "Change in total motor score at the primary visit, each participant"
    };
    let legend = Legend::of(&groups);
    let width = (70.0 + 470.0 + 20.0 + legend.width() + 20.0).max(720.0);
    let mut svg = Svg::titled(width.ceil() as u32, 400, title);
    let (y_min, y_max) = range(bars.iter().map(|b| b.0));
    let frame = Frame {
        left: 70.0,
        top: 45.0,
        width: 470.0,
        height: 310.0,
        y_min,
        y_max,
    };
    frame.y_axis(
        &mut svg,
        if zh {
            "总运动评分变化"
        } else {
            "Change in total motor score"
        },
    );
    if bars.is_empty() {
        svg.text(
            frame.left + frame.width / 2.0,
            frame.top + frame.height / 2.0,
            "middle",
            "",
            if zh {
                "主要访视尚无评分"
            } else {
                "No score at the primary visit yet"
            },
        );
    }
    let step = frame.width / bars.len().max(1) as f64;
    for (i, (chg, g)) in bars.iter().enumerate() {
        let (top, bottom) = (frame.y(chg.max(0.0)), frame.y(chg.min(0.0)));
        let colour = groups[*g].colour;
        svg.rect(
            frame.left + step * i as f64 + step * 0.1,
            top,
            (step * 0.8).max(0.5),
            (bottom - top).max(0.5),
            colour,
            colour,
        );
    }
    legend.draw(
        &mut svg,
        &groups,
        frame.left + frame.width + 20.0,
        frame.top + 10.0,
    );
    svg.text(
        frame.left + frame.width / 2.0,
        frame.top + frame.height + 22.0,
        "middle",
        "",
        &if zh {
            format!("受试者（n = {}），按变化从大到小排列", bars.len())
        } else {
            format!("Participants (n = {}), largest change first", bars.len())
        },
    );
    svg.end()
}

/// The AIS grade at baseline (rows) against the grade at the primary visit (columns), one
/// table per group.
pub fn ais_shift_svg(study: &Study, data: &Datasets, zh: bool) -> String {
    const GRADES: [&str; 5] = ["A", "B", "C", "D", "E"];
    let groups = groups(study, data, zh);
    let title = if zh {
        "AIS 分级由基线至主要访视的变化"
    } else {
        "AIS grade from baseline to the primary visit"
    };
    let cell = 34.0;
    let panel = cell * 6.0 + 40.0;
    let width = (40.0 + panel * groups.len() as f64).max(360.0);
    let height = 330.0;
    let mut svg = Svg::titled(width as u32, height as u32, title);
    for (gi, g) in groups.iter().enumerate() {
        let mut table = [[0usize; 5]; 5];
        for r in data.adisn.iter().filter(|r| r.param == Param::Ais) {
            if Some(&r.visit_id) != data.primary_visit.as_ref() {
                continue;
            }
            if !data.adsl.get(r.subject).is_some_and(|s| member(g, s)) {
                continue;
            }
            let (Some(from), Some(to)) = (
                GRADES.iter().position(|x| *x == r.basec),
                GRADES.iter().position(|x| *x == r.avalc),
            ) else {
                continue;
            };
            table[from][to] += 1;
        }
        let left = 40.0 + panel * gi as f64 + cell;
        let top = 84.0;
        // The group's name on one line over its table, cut to the panel (the whole in a
        // `<title>`).
        let name = wrap(&g.name, Font::BOLD, panel - 12.0, 1, "");
        if name.truncated {
            svg.open_titled_group(&g.name);
        }
        svg.text(
            left + cell * 2.5,
            48.0,
            "middle",
            " font-weight=\"bold\"",
            &name.lines.concat(),
        );
        if name.truncated {
            svg.close_group();
        }
        svg.text(
            left + cell * 2.5,
            64.0,
            "middle",
            "",
            if zh { "主要访视" } else { "Primary visit" },
        );
        let mid = top + cell * 2.5;
        svg.text(
            left - cell + 6.0,
            mid,
            "middle",
            &format!(
                " transform=\"rotate(-90 {:.1} {mid:.1})\"",
                left - cell + 6.0
            ),
            if zh { "基线" } else { "Baseline" },
        );
        for (i, grade) in GRADES.iter().enumerate() {
            let offset = cell * i as f64;
            svg.text(left + offset + cell / 2.0, top - 4.0, "middle", "", grade);
            svg.text(
                left - 6.0,
                top + offset + cell / 2.0 + 4.0,
                "end",
                "",
                grade,
            );
        }
        for (i, row) in table.iter().enumerate() {
            for (j, n) in row.iter().enumerate() {
                let (x, y) = (left + cell * j as f64, top + cell * i as f64);
                let fill = match (n, j.cmp(&i)) {
                    (0, _) => "#ffffff",
                    (_, std::cmp::Ordering::Greater) => "#d5ecd4",
                    (_, std::cmp::Ordering::Less) => "#f6d5d1",
                    _ => "#eeeeee",
                };
                svg.rect(x, y, cell, cell, fill, "#999999");
                svg.text(
                    x + cell / 2.0,
                    y + cell / 2.0 + 4.0,
                    "middle",
                    "",
                    &n.to_string(),
                );
            }
        }
    }
    svg.text(
        width / 2.0,
        height - 14.0,
        "middle",
        "",
        if zh {
            "绿色：改善至少一级；红色：加重"
        } else {
            "Green: better by one grade or more; red: worse"
        },
    );
    svg.end()
}
