//! The figures' estimate of text widths ([`trial::analysis::text`]) against the fonts: laid out
//! by the renderer that draws the PNGs, no text of a sample (every printable ASCII character,
//! regular and bold; Chinese; the figures' words) and no text of the CONSORT diagram, in
//! English and Chinese, with long reasons, is wider than its estimate. With the layout's own
//! checks on the estimate (`trial`'s `figure_tests`: every line inside its box, no two texts
//! colliding), the drawn text keeps inside its boxes too.
//!
//! The machine's `sans-serif` (Liberation Sans when installed) is checked, and under
//! `SCITRIAL_REQUIRE_FONTS` (CI installs fonts-liberation, fonts-dejavu-core and
//! fonts-wqy-microhei) also Liberation Sans and DejaVu Sans by name: the wider fonts a browser
//! may draw `sans-serif` with.

use export::png::{fonts, text_extents};
use trial::analysis::figures::consort_svg;
use trial::analysis::text::Font;
use trial::analysis::{Consort, ConsortGroup, Count};

/// The text, escaped for SVG.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Checks every text of `svg` as laid out against the estimate; returns how many.
fn check(svg: &str, what: &str) -> usize {
    let extents = text_extents(svg).unwrap();
    for e in &extents {
        let estimate = Font {
            size: f64::from(e.size),
            bold: e.bold,
        }
        .width(&e.text);
        assert!(
            f64::from(e.width) <= estimate + 0.01 * f64::from(e.size),
            "{what}: {:?} ({} {}) is laid out {:.2} wide, estimated {estimate:.2}",
            e.text,
            e.size,
            if e.bold { "bold" } else { "regular" },
            e.width
        );
    }
    extents.len()
}

fn samples() -> Vec<String> {
    let mut out: Vec<String> = (0x21u8..0x7f).map(|c| char::from(c).to_string()).collect();
    out.extend(
        [
            "Assessed for eligibility (n = 1234)",
            "WWWWWWWWWW mmmmmmmmmm @@@@@ %%%%% ##### 0123456789",
            "Week 24 (primary endpoint)",
            "not eligible: consent on 2026-01-09 is after the screening date 2026-01-08",
            "• Placebo (inactive solution) – 5×10^7 cells ≥ 1 · 90°",
            "评估是否符合入选条件 (n = 40)",
            "第 24 周（主要终点）",
            "受试者因转至外省康复中心继续治疗，无法按计划返回进行随访评估。",
            "XS228 细胞注射液 / 安慰剂（无活性溶液）…",
            "Émile Müller, Ærø, Œuvre, façade",
        ]
        .map(String::from),
    );
    out
}

fn sample_svg(family: &str) -> String {
    let mut svg =
        String::from("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\" height=\"8000\">");
    let mut y = 20;
    for (size, weight) in [(12, "normal"), (12, "bold"), (15, "normal")] {
        for text in samples() {
            svg.push_str(&format!(
                "<text x=\"10\" y=\"{y}\" font-family=\"{family}\" font-size=\"{size}\" font-weight=\"{weight}\">{}</text>",
                escaped(&text)
            ));
            y += 20;
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Whether the fonts are checked: there, or required (and then they must be).
fn fonts_checked() -> bool {
    let found = fonts();
    let required = std::env::var_os("SCITRIAL_REQUIRE_FONTS").is_some();
    if found.latin && found.chinese {
        return true;
    }
    assert!(
        !required,
        "SCITRIAL_REQUIRE_FONTS is set but the fonts draw no Latin or no Chinese: {found:?}"
    );
    eprintln!("note: no fonts for Latin and Chinese text: the estimate is not checked");
    false
}

#[test]
fn no_sample_is_laid_out_wider_than_its_estimate() {
    if !fonts_checked() {
        return;
    }
    let mut families = vec!["sans-serif"];
    if std::env::var_os("SCITRIAL_REQUIRE_FONTS").is_some() {
        families.extend(["Liberation Sans", "DejaVu Sans"]);
    }
    for family in families {
        let n = check(&sample_svg(family), family);
        assert_eq!(n, 3 * samples().len(), "{family}");
    }
}

fn count(reason: &str, n: usize) -> Count {
    Count {
        reason: reason.into(),
        n,
    }
}

/// A flow whose reasons are long, in both scripts, and one a single long word.
fn long_flow() -> Consort {
    let latin = "withdrew consent after the week 12 visit because travelling to the site for \
                 every assessment became impossible when the participant moved to a \
                 rehabilitation centre in another province";
    let chinese =
        "受试者因转至外省康复中心继续治疗，距离各参与研究中心过远，无法按计划返回进行随访评估，\
                   经充分沟通后撤回知情同意";
    let group = |id: &str, name: &str, zh: &str| ConsortGroup {
        group: id.into(),
        name: name.into(),
        name_zh: Some(zh.into()),
        allocated: 120,
        received: Some(118),
        not_received: Some(2),
        lost_to_follow_up: 3,
        discontinued: 4,
        discontinued_reasons: vec![
            count(latin, 2),
            count(chinese, 1),
            count(
                "https://trials.example.org/withdrawals/XS228-P2/SYSU3/XS228-017/form",
                1,
            ),
        ],
        analysed: 110,
        excluded_from_analysis: 10,
        excluded_reasons: vec![
            count("discontinued before the primary visit's exam", 7),
            count("no total motor score at the primary visit", 3),
        ],
    };
    Consort {
        assessed: 400,
        excluded: 160,
        excluded_reasons: (1..=8)
            .map(|i| count(&format!("not eligible: {latin} ({i})"), i))
            .collect(),
        randomised: 240,
        by_arm: true,
        groups: vec![
            group("xs228", "XS228", "XS228 细胞注射液"),
            group(
                "placebo",
                "Placebo (inactive solution)",
                "安慰剂（无活性溶液）",
            ),
        ],
    }
}

#[test]
fn the_consort_diagrams_text_is_laid_out_no_wider_than_estimated() {
    if !fonts_checked() {
        return;
    }
    for zh in [false, true] {
        let svg = consort_svg(&long_flow(), zh);
        let n = check(&svg, if zh { "zh" } else { "en" });
        assert!(n > 30, "{n} texts");
    }
}
