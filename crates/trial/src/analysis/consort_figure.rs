//! The CONSORT 2025 flow diagram of the counts ([`super::consort`]) as SVG: the boxes are as
//! wide as their text needs (between a least and a greatest width) and their text is wrapped
//! to them ([`super::text`]), so a long reason grows its box downwards and the figure with
//! it. A reason longer than its lines allow ends with `…`, the whole of it in a `<title>`
//! (what a reader's pointer shows); beyond six reasons in a box, the rest are counted
//! together.

use super::consort::{Consort, Count};
use super::figures::Svg;
use super::text::{wrap, Font};

/// A line of a box: the text, whether it is recorded text (drawn `lang="en"` in a Chinese
/// figure), and the whole of the text it was cut from, when it was cut.
#[derive(Clone, Debug)]
struct Line {
    text: String,
    recorded: bool,
    full: Option<String>,
}

/// The space between a box's border and its text.
const PAD: f64 = 8.0;
/// The distance between two lines' baselines.
const LEADING: f64 = 16.0;
/// The lines a reason may take.
const REASON_LINES: usize = 3;
/// The reasons a box lists; more are counted together on the last line.
const REASONS: usize = 6;
/// The space around the figure.
const MARGIN: f64 = 20.0;
/// The space between two boxes one above the other.
const GAP: f64 = 30.0;

fn height(lines: usize) -> f64 {
    14.0 + LEADING * lines as f64
}

/// A paragraph of a box to be wrapped: its text, its hanging indent, the lines it may take,
/// whether it is recorded text.
struct Para {
    text: String,
    indent: &'static str,
    max_lines: usize,
    recorded: bool,
}

impl Para {
    fn label(text: String) -> Para {
        Para {
            text,
            indent: "",
            max_lines: 4,
            recorded: false,
        }
    }

    /// Its width on one line.
    fn natural(&self) -> f64 {
        Font::BODY.width(&self.text)
    }

    fn lines(&self, width: f64) -> Vec<Line> {
        let wrapped = wrap(&self.text, Font::BODY, width, self.max_lines, self.indent);
        let full = wrapped.truncated.then(|| {
            let text = self.text.strip_prefix("• ").unwrap_or(&self.text);
            text.replace('\u{a0}', " ")
        });
        wrapped
            .lines
            .into_iter()
            .map(|text| Line {
                text,
                recorded: self.recorded,
                full: full.clone(),
            })
            .collect()
    }
}

/// A box's paragraphs wrapped to the text's width.
fn lay_out(paras: &[Para], text_width: f64) -> Vec<Line> {
    paras.iter().flat_map(|p| p.lines(text_width)).collect()
}

/// The box's width for its paragraphs: wide enough for the widest on one line, within
/// `least..=most`.
fn box_width(paras: &[Para], least: f64, most: f64) -> f64 {
    let natural = paras.iter().map(Para::natural).fold(0.0, f64::max);
    (natural + 2.0 * PAD).ceil().clamp(least, most)
}

/// The Chinese of a reason the CONSORT flow words itself ([`super::consort`]), `None` for a
/// reason recorded in the study.
fn reason_zh(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "still in screening" => "仍在筛选中",
        "discontinued before the primary visit's exam" => "在主要访视检查前中止",
        "no total motor score at the primary visit" => "主要访视无运动总分",
        _ => return None,
    })
}

/// `(n = N)` kept on one line.
fn count(n: usize) -> String {
    format!("(n\u{a0}=\u{a0}{n})")
}

/// The reasons as bulleted paragraphs: one the analysis words itself in the figure's
/// language; one recorded in the study (an eligibility rule's sentence, a withdrawal reason as
/// typed) as recorded, marked as such in a Chinese figure. Past [`REASONS`], the rest are
/// counted together.
fn reasons(list: &[Count], zh: bool) -> Vec<Para> {
    let shown = if list.len() > REASONS {
        REASONS - 1
    } else {
        list.len()
    };
    let mut out: Vec<Para> = list[..shown]
        .iter()
        .map(|r| {
            let (text, recorded) = match (zh, reason_zh(&r.reason)) {
                (true, Some(cn)) => (cn.to_owned(), false),
                (true, None) => (r.reason.clone(), true),
                (false, _) => (r.reason.clone(), false),
            };
            Para {
                text: format!("• {} {}", text.trim(), count(r.n)),
                indent: "   ",
                max_lines: REASON_LINES,
                recorded,
            }
        })
        .collect();
    let rest = &list[shown..];
    if !rest.is_empty() {
        let n: usize = rest.iter().map(|r| r.n).sum();
        out.push(Para {
            text: if zh {
                format!("• 其他 {} 项原因 {}", rest.len(), count(n))
            } else {
                format!("• {} other reasons {}", rest.len(), count(n))
            },
            indent: "   ",
            max_lines: REASON_LINES,
            recorded: false,
        });
    }
    out
}

/// A box placed: its corner, width and lines.
struct Placed {
    x: f64,
    y: f64,
    w: f64,
    lines: Vec<Line>,
}

impl Placed {
    fn bottom(&self) -> f64 {
        self.y + height(self.lines.len())
    }
}

/// The CONSORT 2025 flow diagram of the counts.
pub fn consort_svg(c: &Consort, zh: bool) -> String {
    let t = |en: &'static str, cn: &'static str| if zh { cn } else { en };
    let assessed = vec![Para::label(format!(
        "{} {}",
        t("Assessed for eligibility", "评估是否符合入选条件"),
        count(c.assessed)
    ))];
    let mut excluded = vec![Para::label(format!(
        "{} {}",
        t("Excluded", "排除"),
        count(c.excluded)
    ))];
    excluded.extend(reasons(&c.excluded_reasons, zh));
    let randomised = vec![Para::label(format!(
        "{} {}",
        t("Randomised", "随机化"),
        count(c.randomised)
    ))];
    // Each group's three boxes: allocation, follow-up, analysis.
    let columns: Vec<[Vec<Para>; 3]> = c
        .groups
        .iter()
        .map(|g| {
            let name = match (zh, &g.name_zh) {
                (true, Some(cn)) => cn.as_str(),
                _ => g.name.as_str(),
            };
            let mut allocation = vec![
                Para::label(format!("{}: {name}", t("Allocated", "分配至"))),
                Para::label(count(g.allocated)),
                Para::label(match g.received {
                    Some(n) => format!(
                        "{} {}",
                        t("Received allocated product", "接受了分配的产品"),
                        count(n)
                    ),
                    None => format!(
                        "{}: {}",
                        t("Received allocated product", "接受了分配的产品"),
                        t("not recorded", "未记录")
                    ),
                }),
            ];
            if let Some(n) = g.not_received {
                allocation.push(Para::label(format!(
                    "{} {}",
                    t("Did not receive it", "未接受"),
                    count(n)
                )));
            }
            let mut follow = vec![
                Para::label(format!(
                    "{} {}",
                    t("Lost to follow-up", "失访"),
                    count(g.lost_to_follow_up)
                )),
                Para::label(format!(
                    "{} {}",
                    t("Discontinued", "中止"),
                    count(g.discontinued)
                )),
            ];
            follow.extend(reasons(&g.discontinued_reasons, zh));
            let mut analysed = vec![
                Para::label(format!(
                    "{} {}",
                    t("Analysed", "纳入分析"),
                    count(g.analysed)
                )),
                Para::label(format!(
                    "{} {}",
                    t("Excluded from analysis", "排除于分析"),
                    count(g.excluded_from_analysis)
                )),
            ];
            analysed.extend(reasons(&g.excluded_reasons, zh));
            [allocation, follow, analysed]
        })
        .collect();

    // Widths: the central boxes, the excluded box beside them, the groups' columns (all as
    // wide as the widest needs).
    let top_w = box_width(&assessed, 260.0, 360.0).max(box_width(&randomised, 260.0, 360.0));
    let excluded_w = box_width(&excluded, 220.0, 380.0);
    let group_w = columns
        .iter()
        .flatten()
        .map(|paras| box_width(paras, 230.0, 320.0))
        .fold(230.0, f64::max);
    let col_w = group_w + 20.0;
    let n_columns = columns.len().max(1) as f64;
    let width = [
        620.0,
        col_w * n_columns + 2.0 * MARGIN,
        2.0 * (40.0 + excluded_w + MARGIN),
        top_w + 2.0 * MARGIN,
    ]
    .into_iter()
    .fold(0.0, f64::max)
    .ceil();
    let center = width / 2.0;

    // Places, top to bottom.
    let text_w = |w: f64| w - 2.0 * PAD;
    let assessed = Placed {
        x: center - top_w / 2.0,
        y: 40.0,
        w: top_w,
        lines: lay_out(&assessed, text_w(top_w)),
    };
    let excluded = Placed {
        x: center + 40.0,
        y: assessed.bottom() + 25.0,
        w: excluded_w,
        lines: lay_out(&excluded, text_w(excluded_w)),
    };
    let randomised = Placed {
        x: center - top_w / 2.0,
        y: excluded.bottom() + 25.0,
        w: top_w,
        lines: lay_out(&randomised, text_w(top_w)),
    };
    let col_left = (width - col_w * n_columns) / 2.0;
    let laid: Vec<Vec<Vec<Line>>> = columns
        .iter()
        .map(|boxes| boxes.iter().map(|p| lay_out(p, text_w(group_w))).collect())
        .collect();
    // A row's boxes are as tall as its tallest, so the rows line up across the groups.
    let mut row_top = randomised.bottom() + 40.0;
    let mut rows: Vec<(f64, f64)> = Vec::new();
    for row in 0..3 {
        let lines = laid.iter().map(|col| col[row].len()).max().unwrap_or(1);
        let h = height(lines);
        rows.push((row_top, h));
        row_top += h + GAP;
    }
    let bottom = rows.last().map_or(row_top, |(y, h)| y + h) + MARGIN;

    let mut svg = Svg::titled(
        width as u32,
        bottom.ceil() as u32,
        t("CONSORT flow diagram", "CONSORT 流程图"),
    );
    // Arrows: assessed → randomised, the branch to excluded, randomised → each group's boxes.
    let ink = "#333333";
    svg.line(
        (center, assessed.bottom()),
        (center, randomised.y),
        ink,
        1.2,
    );
    let branch = excluded.y + 12.0;
    svg.line((center, branch), (excluded.x, branch), ink, 1.2);
    for (i, _) in laid.iter().enumerate() {
        let x = col_left + col_w * i as f64 + col_w / 2.0;
        svg.line((center, randomised.bottom()), (x, rows[0].0), ink, 1.2);
        for pair in rows.windows(2) {
            svg.line((x, pair[0].0 + pair[0].1), (x, pair[1].0), ink, 1.2);
        }
    }
    for b in [&assessed, &excluded, &randomised] {
        draw(&mut svg, b.x, b.y, b.w, height(b.lines.len()), &b.lines);
    }
    for (i, col) in laid.iter().enumerate() {
        let x = col_left + col_w * i as f64 + 10.0;
        for ((y, h), lines) in rows.iter().zip(col) {
            draw(&mut svg, x, *y, group_w, *h, lines);
        }
    }
    svg.end()
}

/// A box and its lines; the lines of a cut paragraph together in a group titled with its
/// whole text.
fn draw(svg: &mut Svg, x: f64, y: f64, w: f64, h: f64, lines: &[Line]) {
    svg.rect(x, y, w, h, "#ffffff", "#333333");
    let mut open: Option<&str> = None;
    for (i, line) in lines.iter().enumerate() {
        if open.is_some() && open != line.full.as_deref() {
            svg.close_group();
            open = None;
        }
        if open.is_none() {
            if let Some(full) = &line.full {
                svg.open_titled_group(full);
                open = Some(full.as_str());
            }
        }
        let extra = if line.recorded { " lang=\"en\"" } else { "" };
        svg.text(
            x + PAD,
            y + 18.0 + LEADING * i as f64,
            "start",
            extra,
            &line.text,
        );
    }
    if open.is_some() {
        svg.close_group();
    }
}
