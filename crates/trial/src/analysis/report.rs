//! The report of the analyses, as HTML in English or Simplified Chinese: the populations, the
//! primary analysis, the secondary and sensitivity analyses, the CONSORT flow and the figures
//! (SVG inline), from [`Results`] as computed — pooled or by arm, as the results are. The same
//! fragment is the web page's body and, wrapped with its style by [`report_document`], the
//! self-contained file `scitrial analysis` writes. Every text is escaped.

use std::fmt::Write as _;

use super::figures::{self, escape};
use super::{
    ByArm, ChangeAnalysis, Consort, Conversion, Datasets, Effect, Outcome, Pooled, PooledRate,
    Results,
};
use crate::study::Study;

/// The figures of a report, as SVG documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    /// Mean change in total motor score by visit, with 95% intervals.
    pub mean_change: String,
    /// Each participant's change at the primary visit.
    pub waterfall: String,
    /// AIS grade shift from baseline to the primary visit.
    pub ais_shift: String,
    /// The CONSORT flow diagram (when its counts are there).
    pub consort: Option<String>,
}

impl Figures {
    /// The figures of the datasets (and of the flow's counts), in a language.
    pub fn of(study: &Study, data: &Datasets, consort: Option<&Consort>, zh: bool) -> Figures {
        Figures {
            mean_change: figures::mean_change_svg(study, data, zh),
            waterfall: figures::waterfall_svg(study, data, zh),
            ais_shift: figures::ais_shift_svg(study, data, zh),
            consort: consort.map(|c| figures::consort_svg(c, zh)),
        }
    }
}

/// The report's words: (English, Chinese).
fn w(zh: bool, en: &'static str, cn: &'static str) -> &'static str {
    if zh {
        cn
    } else {
        en
    }
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "–".to_owned()
    }
}

fn p_value(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".to_owned()
    } else {
        format!("{p:.3}")
    }
}

fn arm_name(study: &Study, id: &str, zh: bool) -> String {
    study
        .arm(id)
        .map_or_else(|| id.to_owned(), |a| a.name_in(zh).to_owned())
}

fn effect_text(study: &Study, e: &Effect, zh: bool) -> String {
    format!(
        "{} − {}: {} (95% CI {} to {}), p = {}, n = {} ({} + {})",
        arm_name(study, &e.active, zh),
        arm_name(study, &e.control, zh),
        num(e.estimate),
        num(e.ci_lower),
        num(e.ci_upper),
        p_value(e.p_value),
        e.n,
        e.n_active,
        e.n_control
    )
}

fn pooled_text(p: &Pooled, zh: bool) -> String {
    format!(
        "{}: {} (SD {}; 95% CI {} to {}), n = {}",
        w(zh, "All participants, mean change", "全部受试者，平均变化"),
        num(p.mean),
        num(p.sd),
        num(p.ci_lower),
        num(p.ci_upper),
        p.n
    )
}

fn not_computed(why: &str, zh: bool) -> String {
    format!("{}: {why}", w(zh, "Not computed", "未计算"))
}

fn change_text(study: &Study, a: &ChangeAnalysis, zh: bool) -> String {
    match a {
        Outcome::Computed(ByArm::Arms(e)) => effect_text(study, e, zh),
        Outcome::Computed(ByArm::Pooled(p)) => pooled_text(p, zh),
        Outcome::NotComputed { not_computed: why } => not_computed(why, zh),
    }
}

fn conversion_text(study: &Study, a: &Outcome<ByArm<Conversion, PooledRate>>, zh: bool) -> String {
    match a {
        Outcome::Computed(ByArm::Arms(c)) => {
            let mut text = format!(
                "{} {}/{}, {} {}/{}; {}: {} (95% CI {} to {})",
                arm_name(study, &c.active, zh),
                c.responders_active,
                c.n_active,
                arm_name(study, &c.control, zh),
                c.responders_control,
                c.n_control,
                w(zh, "risk difference", "率差"),
                num(c.risk_difference),
                num(c.ci_lower),
                num(c.ci_upper)
            );
            match &c.cmh {
                Outcome::Computed(m) => {
                    let _ = write!(text, "; CMH p = {}", p_value(m.p_value));
                }
                Outcome::NotComputed { not_computed: why } => {
                    let _ = write!(text, "; CMH: {why}");
                }
            }
            text
        }
        Outcome::Computed(ByArm::Pooled(r)) => format!(
            "{}: {}/{} = {} (95% CI {} to {})",
            w(zh, "All participants", "全部受试者"),
            r.responders,
            r.n,
            num(r.rate),
            num(r.ci_lower),
            num(r.ci_upper)
        ),
        Outcome::NotComputed { not_computed: why } => not_computed(why, zh),
    }
}

/// The report as an HTML fragment (a `<div class="report">`), in English or Chinese.
pub fn report_html(
    study: &Study,
    results: &Results,
    figures: &Figures,
    note: &str,
    zh: bool,
) -> String {
    let mut out = String::new();
    let by_arm = results.unblinded;
    let _ = write!(
        out,
        "<div class=\"report\" lang=\"{}\" data-by-arm=\"{by_arm}\"><h1>{}</h1><p class=\"report-study\">{}</p><p class=\"report-note\" data-grouping=\"{}\">{}</p>",
        if zh { "zh-Hans" } else { "en" },
        w(zh, "Report of the analyses", "统计分析报告"),
        escape(study.title_in(zh)),
        if by_arm { "arm" } else { "pooled" },
        escape(if by_arm {
            w(zh, "Results by arm.", "按组别列出的结果。")
        } else {
            w(
                zh,
                "Pooled results: the arms are not shown (blinded).",
                "合并结果：不显示组别（盲态）。",
            )
        }),
    );
    if !note.is_empty() {
        let _ = write!(out, "<p class=\"report-lock\">{}</p>", escape(note));
    }
    let p = &results.populations;
    let _ = write!(
        out,
        "<h2>{}</h2><table class=\"grid\" data-table=\"populations\"><tbody><tr><th scope=\"row\">{}</th><td class=\"num\">{}</td></tr><tr><th scope=\"row\">{}</th><td class=\"num\">{}</td></tr><tr><th scope=\"row\">{}</th><td class=\"num\">{}</td></tr><tr><th scope=\"row\">{}</th><td class=\"num\">{}</td></tr></tbody></table>",
        w(zh, "Populations", "分析人群"),
        w(zh, "Enrolled", "入组"),
        p.enrolled,
        w(zh, "Intention to treat", "意向性治疗人群"),
        p.itt,
        w(zh, "Safety", "安全性人群"),
        p.safety,
        w(zh, "Per protocol", "符合方案人群"),
        p.per_protocol
    );
    let rows: [(&str, String); 6] = [
        (
            w(
                zh,
                "Primary: change in total motor score at the primary visit (ANCOVA on arm, baseline and the strata)",
                "主要终点：主要访视时总运动评分的变化（以组别、基线和分层因素为协变量的协方差分析）",
            ),
            change_text(study, &results.primary, zh),
        ),
        (
            w(zh, "AIS conversion by at least one grade", "AIS 分级改善至少一级"),
            conversion_text(study, &results.secondary.ais_conversion, zh),
        ),
        (
            w(zh, "Change in UEMS", "上肢运动评分变化"),
            change_text(study, &results.secondary.uems, zh),
        ),
        (
            w(zh, "Change in LEMS", "下肢运动评分变化"),
            change_text(study, &results.secondary.lems, zh),
        ),
        (
            w(zh, "Change in SCIM III", "SCIM III 变化"),
            change_text(study, &results.secondary.scim3, zh),
        ),
        (
            w(zh, "Per protocol (sensitivity)", "符合方案人群（敏感性分析）"),
            change_text(study, &results.sensitivity.per_protocol, zh),
        ),
    ];
    let _ = write!(
        out,
        "<h2>{}</h2><table class=\"grid\" data-table=\"analyses\"><tbody>",
        w(zh, "Analyses", "统计分析")
    );
    for (i, (label, text)) in rows.iter().enumerate() {
        let _ = write!(
            out,
            "<tr data-analysis=\"{i}\"><th scope=\"row\">{}</th><td>{}</td></tr>",
            escape(label),
            escape(text)
        );
    }
    out.push_str("</tbody></table>");
    if let Some(c) = &results.consort {
        let _ = write!(
            out,
            "<h2>{}</h2><table class=\"grid\" data-table=\"consort\"><tbody><tr><th scope=\"row\">{}</th><td class=\"num\" data-consort=\"assessed\">{}</td></tr><tr><th scope=\"row\">{}</th><td class=\"num\" data-consort=\"excluded\">{}</td></tr><tr><th scope=\"row\">{}</th><td class=\"num\" data-consort=\"randomised\">{}</td></tr></tbody></table>",
            w(zh, "Participant flow (CONSORT)", "受试者流程（CONSORT）"),
            w(zh, "Assessed for eligibility", "评估是否符合入选条件"),
            c.assessed,
            w(zh, "Excluded", "排除"),
            c.excluded,
            w(zh, "Randomised", "随机化"),
            c.randomised
        );
    }
    let mut figure = |caption: &str, svg: &str, kind: &str| {
        let _ = write!(
            out,
            "<figure data-figure=\"{kind}\">{svg}<figcaption>{}</figcaption></figure>",
            escape(caption)
        );
    };
    if let Some(svg) = &figures.consort {
        figure(
            w(zh, "CONSORT flow diagram", "CONSORT 流程图"),
            svg,
            "consort",
        );
    }
    figure(
        w(
            zh,
            "Mean change in total motor score by visit",
            "各访视总运动评分平均变化",
        ),
        &figures.mean_change,
        "mean-change",
    );
    figure(
        w(
            zh,
            "Individual changes at the primary visit",
            "主要访视时的个体变化",
        ),
        &figures.waterfall,
        "waterfall",
    );
    figure(
        w(zh, "AIS grade shift", "AIS 分级变化"),
        &figures.ais_shift,
        "ais-shift",
    );
    out.push_str("</div>");
    out
}

/// The report as a self-contained HTML document (its style inline, nothing fetched).
pub fn report_document(study: &Study, body: &str, zh: bool) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} — {}</title><style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}table{{border-collapse:collapse;margin:0.5rem 0 1.5rem}}th,td{{border:1px solid #ccc;padding:0.3rem 0.6rem;text-align:left;vertical-align:top}}td.num{{text-align:right}}figure{{margin:1.5rem 0}}svg{{max-width:100%;height:auto}}</style></head><body>{body}</body></html>\n",
        if zh { "zh-Hans" } else { "en" },
        escape(study.title_in(zh)),
        w(zh, "Report of the analyses", "统计分析报告"),
    )
}
