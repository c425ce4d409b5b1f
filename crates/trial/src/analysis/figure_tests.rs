//! The figures' layout, read back from the SVG they write, by the estimated widths of
//! [`super::text`]: every line of the CONSORT diagram inside its box, no two boxes overlapping;
//! in the other figures no two texts colliding (the visits' names under the axis above all)
//! and every text inside the figure. In English and in Chinese, on the shipped study's names
//! and on long synthetic ones.

use super::consort::{Consort, ConsortGroup, Count};
use super::tests::{on_time, phase2, subject, value};
use super::text::Font;
use super::*;
use crate::eligibility::Reason;
use crate::study::{Bounds, Study};

/// A text element as drawn: its anchor point, alignment, font, rotation and text.
#[derive(Debug)]
struct Text {
    x: f64,
    y: f64,
    anchor: String,
    font: Font,
    rotate: f64,
    content: String,
}

#[derive(Clone, Copy, Debug)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// An attribute's value in an element's opening tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let end = at + tag[at..].find('"')?;
    Some(&tag[at..end])
}

fn number(tag: &str, name: &str) -> Option<f64> {
    attr(tag, name).map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v:?}")))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Each opening tag of `<name` and what follows it.
fn elements<'a>(svg: &'a str, name: &str) -> Vec<(&'a str, &'a str)> {
    let open = format!("<{name} ");
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find(&open) {
        let from = &rest[at..];
        let end = from.find('>').expect("a closed tag");
        out.push((&from[..end], &from[end + 1..]));
        rest = &from[end..];
    }
    out
}

fn texts(svg: &str) -> Vec<Text> {
    elements(svg, "text")
        .into_iter()
        .map(|(tag, after)| {
            let content = &after[..after.find("</text>").expect("a closed text")];
            let rotate = attr(tag, "transform").map_or(0.0, |t| {
                let angle = t.strip_prefix("rotate(").expect("a rotation");
                angle.split(' ').next().unwrap().parse().unwrap()
            });
            Text {
                x: number(tag, "x").unwrap(),
                y: number(tag, "y").unwrap(),
                anchor: attr(tag, "text-anchor").unwrap_or("start").to_owned(),
                font: Font {
                    size: number(tag, "font-size").unwrap_or(12.0),
                    bold: attr(tag, "font-weight") == Some("bold"),
                },
                rotate,
                content: unescape(content),
            }
        })
        .collect()
}

fn rects(svg: &str) -> Vec<Rect> {
    elements(svg, "rect")
        .into_iter()
        .map(|(tag, _)| Rect {
            x: number(tag, "x").unwrap_or(0.0),
            y: number(tag, "y").unwrap_or(0.0),
            w: number(tag, "width").unwrap(),
            h: number(tag, "height").unwrap(),
        })
        .collect()
}

fn size(svg: &str) -> (f64, f64) {
    let (tag, _) = elements(svg, "svg")[0];
    (
        number(tag, "width").unwrap(),
        number(tag, "height").unwrap(),
    )
}

/// Where a text's glyphs may reach, by the estimate: along its baseline the estimated width
/// (placed by its anchor), across it 0.9 em above and 0.25 em below; turned by its rotation
/// about the anchor point. The four corners.
fn corners(t: &Text) -> [(f64, f64); 4] {
    let w = t.font.width(&t.content);
    let start = match t.anchor.as_str() {
        "middle" => -w / 2.0,
        "end" => -w,
        _ => 0.0,
    };
    let (up, down) = (0.9 * t.font.size, 0.25 * t.font.size);
    let (sin, cos) = t.rotate.to_radians().sin_cos();
    [
        (start, -up),
        (start + w, -up),
        (start + w, down),
        (start, down),
    ]
    .map(|(dx, dy)| (t.x + dx * cos - dy * sin, t.y + dx * sin + dy * cos))
}

/// Whether two convex quadrilaterals overlap (by more than a hair): no axis of their edges
/// separates them.
fn overlap(a: &[(f64, f64); 4], b: &[(f64, f64); 4]) -> bool {
    for poly in [a, b] {
        for i in 0..4 {
            let (p, q) = (poly[i], poly[(i + 1) % 4]);
            let axis = (q.1 - p.1, p.0 - q.0);
            let project = |s: &[(f64, f64); 4]| {
                s.iter()
                    .map(|(x, y)| x * axis.0 + y * axis.1)
                    .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
            };
            let ((alo, ahi), (blo, bhi)) = (project(a), project(b));
            let len = (axis.0 * axis.0 + axis.1 * axis.1).sqrt();
            if ahi.min(bhi) - alo.max(blo) <= 0.5 * len {
                return false;
            }
        }
    }
    true
}

fn bounds(c: &[(f64, f64); 4]) -> Rect {
    let (x0, x1) = c.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    let (y0, y1) = c.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    Rect {
        x: x0,
        y: y0,
        w: x1 - x0,
        h: y1 - y0,
    }
}

fn inside(inner: Rect, outer: Rect, pad: f64) -> bool {
    inner.x >= outer.x + pad - 1e-6
        && inner.x + inner.w <= outer.x + outer.w - pad + 1e-6
        && inner.y >= outer.y - 1e-6
        && inner.y + inner.h <= outer.y + outer.h + 1e-6
}

/// Every text of the figure inside it, no two colliding.
fn assert_no_collision(svg: &str, what: &str) {
    let (w, h) = size(svg);
    let figure = Rect {
        x: 0.0,
        y: 0.0,
        w,
        h,
    };
    let all: Vec<(Text, [(f64, f64); 4])> = texts(svg)
        .into_iter()
        .map(|t| {
            let c = corners(&t);
            (t, c)
        })
        .collect();
    assert!(!all.is_empty(), "{what}: no text");
    for (t, c) in &all {
        assert!(
            inside(bounds(c), figure, 0.0),
            "{what}: {:?} reaches {:?}, outside the figure of {w} × {h}",
            t.content,
            bounds(c)
        );
    }
    for (i, (a, ca)) in all.iter().enumerate() {
        for (b, cb) in &all[i + 1..] {
            assert!(
                !overlap(ca, cb),
                "{what}: {:?} at ({}, {}) and {:?} at ({}, {}) collide",
                a.content,
                a.x,
                a.y,
                b.content,
                b.x,
                b.y
            );
        }
    }
}

/// Every line of the diagram but its title inside the box it starts in, clear of its borders;
/// the boxes inside the figure and apart; the title inside the figure.
fn assert_fits_its_boxes(svg: &str, what: &str) {
    let (w, h) = size(svg);
    let figure = Rect {
        x: 0.0,
        y: 0.0,
        w,
        h,
    };
    let boxes: Vec<Rect> = rects(svg)
        .into_iter()
        .filter(|r| !(r.x == 0.0 && r.y == 0.0 && r.w == w && r.h == h))
        .collect();
    assert!(boxes.len() >= 6, "{what}: {} boxes", boxes.len());
    for (i, a) in boxes.iter().enumerate() {
        assert!(
            inside(*a, figure, 0.0),
            "{what}: box {a:?} outside {w} × {h}"
        );
        for b in &boxes[i + 1..] {
            let apart =
                a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
            assert!(apart, "{what}: boxes {a:?} and {b:?} overlap");
        }
    }
    for t in texts(svg) {
        let extent = bounds(&corners(&t));
        if t.font.size > 12.0 {
            assert!(
                inside(extent, figure, 0.0),
                "{what}: the title {:?}",
                t.content
            );
            continue;
        }
        let home = boxes
            .iter()
            .find(|r| r.x <= t.x && t.x <= r.x + r.w && r.y <= t.y && t.y <= r.y + r.h)
            .unwrap_or_else(|| panic!("{what}: {:?} is in no box", t.content));
        assert!(
            inside(extent, *home, 4.0),
            "{what}: {:?} (estimated {:.1} wide, from x = {}) overflows its box {home:?}",
            t.content,
            t.font.width(&t.content),
            t.x
        );
    }
}

fn count(reason: &str, n: usize) -> Count {
    Count {
        reason: reason.into(),
        n,
    }
}

fn group(id: &str, name: &str, name_zh: Option<&str>) -> ConsortGroup {
    ConsortGroup {
        group: id.into(),
        name: name.into(),
        name_zh: name_zh.map(Into::into),
        allocated: 12,
        received: Some(11),
        not_received: Some(1),
        lost_to_follow_up: 1,
        discontinued: 2,
        discontinued_reasons: vec![
            count("participant moved to another city", 2),
            count("lost to follow-up", 1),
        ],
        analysed: 9,
        excluded_from_analysis: 3,
        excluded_reasons: vec![
            count("discontinued before the primary visit's exam", 2),
            count("no total motor score at the primary visit", 1),
        ],
    }
}

/// The flow as the demo's records give it: screen failures with the eligibility rules'
/// sentences (as `consort` words them), withdrawals with the demo's reason.
fn demo_flow(study: &Study, by_arm: bool) -> Consort {
    let consent = Reason::Consent {
        consent_date: time::macros::date!(2026 - 01 - 09),
        screening_date: time::macros::date!(2026 - 01 - 08),
    };
    let days = Reason::DaysFromInjury {
        days: 75,
        allowed: Bounds { min: 14, max: 60 },
    };
    let groups = if by_arm {
        study
            .arms
            .iter()
            .map(|a| group(&a.id, &a.name, a.name_zh.as_deref()))
            .collect()
    } else {
        vec![group("all", "All participants", Some("全部受试者"))]
    };
    Consort {
        assessed: 40,
        excluded: 7,
        excluded_reasons: vec![
            count(&format!("not eligible: {days}"), 3),
            count(&format!("not eligible: {consent}"), 1),
            count("still in screening", 1),
            count("enrolled, not yet randomised", 1),
            count(
                "withdrew before randomisation: participant moved to another city",
                1,
            ),
        ],
        randomised: 33,
        by_arm,
        groups,
    }
}

/// Long reasons of every kind: Latin prose, Chinese prose, one long word, more reasons than a
/// box lists; three groups with long names.
fn long_flow() -> Consort {
    let latin = "withdrew consent after the week 12 visit because the travel to the site for \
                 every scheduled assessment became impossible when the participant moved to a \
                 rehabilitation centre in another province far from any participating site, \
                 and asked that no further data be collected";
    let chinese =
        "受试者因转至外省康复中心继续治疗，距离各参与研究中心过远，无法按计划返回进行随访评估，\
                   经研究者与受试者及其家属充分沟通后撤回知情同意，并要求不再收集任何数据";
    let word =
        "https://trials.example.org/withdrawals/XS228-P2/SYSU3/XS228-017/consent-withdrawal-form";
    let mut many: Vec<Count> = (1..=9)
        .map(|i| {
            count(
                &format!("not eligible: rule {i} of the protocol's exclusion criteria"),
                i,
            )
        })
        .collect();
    many.insert(0, count(latin, 2));
    let mut groups: Vec<ConsortGroup> = [
        (
            "a",
            "XS228 neural precursor cells, 1.5 × 10⁸ cells in four intrathecal doses",
            "XS228 神经前体细胞，1.5×10^8 个细胞，分四次鞘内注射",
        ),
        (
            "b",
            "Placebo (inactive solution of the same volume and appearance)",
            "安慰剂（与试验药物体积及外观相同的无活性溶液）",
        ),
        ("c", "Observation only", "仅观察"),
    ]
    .iter()
    .map(|(id, name, zh)| group(id, name, Some(zh)))
    .collect();
    groups[0].discontinued_reasons = vec![count(latin, 1), count(chinese, 1), count(word, 1)];
    groups[1].excluded_reasons = many.clone();
    groups[2].discontinued_reasons = vec![count(chinese, 3)];
    Consort {
        assessed: 1234,
        excluded: 60,
        excluded_reasons: many,
        randomised: 1174,
        by_arm: true,
        groups,
    }
}

#[test]
fn every_line_of_the_consort_diagram_fits_its_box() {
    let study = phase2();
    let flows = [
        ("the demo's flow, pooled", demo_flow(&study, false)),
        ("the demo's flow, by arm", demo_flow(&study, true)),
        ("long reasons", long_flow()),
    ];
    for (what, flow) in &flows {
        for zh in [false, true] {
            let svg = figures::consort_svg(flow, zh);
            assert_fits_its_boxes(&svg, &format!("{what}, zh = {zh}"));
        }
    }
}

#[test]
fn the_consort_diagram_keeps_every_count_and_titles_what_it_cuts() {
    let flow = long_flow();
    for zh in [false, true] {
        let svg = figures::consort_svg(&flow, zh);
        let lines: Vec<String> = texts(&svg).into_iter().map(|t| t.content).collect();
        let all = lines.join("\n");
        // The totals, each on one line.
        for n in [1234, 60, 1174] {
            assert!(
                lines.iter().any(|l| l.ends_with(&format!("(n = {n})"))),
                "{n}"
            );
        }
        // Ten exclusion reasons: five listed, the other five counted together (5 + … + 9).
        let rest = if zh {
            "• 其他 5 项原因 (n = 35)"
        } else {
            "• 5 other reasons (n = 35)"
        };
        assert!(lines.iter().any(|l| l == rest), "{all}");
        // The long reason is cut, and whole in a title; the long word broken, not lost.
        assert!(all.contains('…'), "{all}");
        assert!(
            svg.contains("<g><title>withdrew consent after the week 12 visit"),
            "{svg}"
        );
        let word_lines: String = lines
            .iter()
            .skip_while(|l| !l.starts_with("• https://"))
            .take(3)
            .map(|l| l.trim_start_matches("• ").trim())
            .collect();
        assert!(
            word_lines.starts_with("https://trials.example.org/withdrawals/"),
            "{word_lines}"
        );
        // Chinese reasons break between characters, every line filled to near the width.
        if zh {
            assert!(
                lines.iter().any(|l| l.starts_with("• 受试者因转至外省")),
                "{all}"
            );
            assert!(svg.contains(" lang=\"en\">• withdrew consent"), "{svg}");
        }
    }
}

/// Participants of both arms with a total motor score at every visit of `study` (the
/// shipped schedule, or one with more visits).
fn scored(study: &Study) -> Datasets {
    let subjects: Vec<Subject> = (0..6)
        .map(|i| {
            let arm = if i % 2 == 0 { "xs228" } else { "placebo" };
            let mut s = subject(
                &format!("XS228-{i:03}"),
                Assignment::Shown(arm.into()),
                &on_time(),
            );
            s.measurements.retain(|m| m.param != Param::Tms);
            for (k, v) in study.visits.iter().enumerate() {
                let tms = 30.0 + (k * 2 + i) as f64 + if v.day > 1 { (i % 3) as f64 } else { 0.0 };
                s.measurements.push(value(&v.id, Param::Tms, tms));
            }
            s
        })
        .collect();
    derive(study, &subjects)
}

/// The shipped study with `n` more visits after week 52, long names in both languages.
fn crowded(n: usize) -> Study {
    let mut study = phase2();
    let last = study.visits.last().unwrap().clone();
    for k in 1..=n {
        let mut v = last.clone();
        v.id = format!("extension-{k}");
        v.day = last.day + 28 * k as i32;
        v.name = format!("Extension visit {k} (long-term safety follow-up)");
        v.name_zh = Some(format!("延长期第 {k} 次访视（长期安全性随访）"));
        study.visits.push(v);
    }
    study
}

#[test]
fn no_two_texts_of_the_other_figures_collide() {
    let shipped = phase2();
    let mut long_arms = phase2();
    long_arms.arms[0].name =
        "XS228 neural precursor cells, 1.5 × 10⁸ cells in four intrathecal doses".into();
    long_arms.arms[1].name_zh = Some("安慰剂（与试验药物体积及外观相同的无活性溶液）".into());
    let cases = [
        ("the shipped study", shipped),
        ("long arm names", long_arms),
        ("three more visits", crowded(3)),
        ("twenty more visits", crowded(20)),
    ];
    for (what, study) in &cases {
        let data = scored(study);
        for zh in [false, true] {
            let what = format!("{what}, zh = {zh}");
            for (figure, svg) in [
                ("mean change", figures::mean_change_svg(study, &data, zh)),
                ("trajectories", figures::trajectories_svg(study, &data, zh)),
                ("waterfall", figures::waterfall_svg(study, &data, zh)),
                ("AIS shift", figures::ais_shift_svg(study, &data, zh)),
            ] {
                assert_no_collision(&svg, &format!("{figure}, {what}"));
            }
        }
    }
}

#[test]
fn the_visits_names_wrap_then_slant_then_thin_out() {
    let study = phase2();
    let data = scored(&study);
    // The shipped names fit their slots once wrapped: every one drawn level.
    for zh in [false, true] {
        let svg = figures::mean_change_svg(&study, &data, zh);
        let labels: Vec<Text> = texts(&svg).into_iter().filter(|t| t.y > 345.0).collect();
        assert!(labels.iter().all(|t| t.rotate == 0.0), "{labels:?}");
        let primary = if zh {
            "（主要终点）"
        } else {
            "endpoint)"
        };
        assert!(
            labels.iter().any(|t| t.content.ends_with(primary)),
            "{labels:?}"
        );
    }
    // Twenty-six post-baseline visits: slanted, every other one (a slot of 18 units).
    let crowded = crowded(20);
    let data = scored(&crowded);
    for zh in [false, true] {
        let svg = figures::mean_change_svg(&crowded, &data, zh);
        let labels: Vec<Text> = texts(&svg)
            .into_iter()
            .filter(|t| t.y > 345.0 && t.rotate != 0.0)
            .collect();
        assert_eq!(labels.len(), 13, "{labels:?}");
        assert!(labels.iter().all(|t| t.rotate == -45.0));
        assert!(
            labels.iter().any(|t| t.content.ends_with('…')),
            "{labels:?}"
        );
        let (_, height) = size(&svg);
        assert!(height > 420.0, "{height}");
    }
}
