//! The report of the analyses, as HTML in English or Simplified Chinese: the populations, the
//! primary analysis, the secondary and sensitivity analyses, the CONSORT flow and the figures
//! (SVG inline), from [`Results`] as computed — pooled or by arm, as the results are. The same
//! fragment is the web page's body and, wrapped with its style by [`report_document`], the
//! self-contained file `scitrial analysis` writes. Every text is escaped.

use std::fmt::Write as _;

use super::figures::{self, escape};
use super::phase1::{EscalationState, Phase1};
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
    /// The mean total motor score by visit per dose level (a study with dose levels).
    pub trajectories: Option<String>,
    /// Whether the figures are in Chinese (their files' names end in `.zh`).
    pub zh: bool,
    /// Where the report links each figure's PNG: the text its file's name follows (`""`: beside
    /// the report; a page's path ending in `/`); none: no link.
    pub png_links: Option<String>,
}

impl Figures {
    /// The figures of the datasets (and of the flow's counts), in a language.
    pub fn of(study: &Study, data: &Datasets, consort: Option<&Consort>, zh: bool) -> Figures {
        Figures {
            mean_change: figures::mean_change_svg(study, data, zh),
            waterfall: figures::waterfall_svg(study, data, zh),
            ais_shift: figures::ais_shift_svg(study, data, zh),
            consort: consort.map(|c| figures::consort_svg(c, zh)),
            trajectories: (!study.dose_levels.is_empty())
                .then(|| figures::trajectories_svg(study, data, zh)),
            zh,
            png_links: None,
        }
    }

    /// The same figures, the report linking each one's PNG at `prefix` + its file's name.
    #[must_use]
    pub fn with_png_links(self, prefix: &str) -> Figures {
        Figures {
            png_links: Some(prefix.to_owned()),
            ..self
        }
    }

    /// Each figure there is with the stem of its files' names (`consort-flow`, `mean-change`,
    /// `waterfall`, `ais-shift`, `trajectories`), in the report's order.
    pub fn named(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::with_capacity(5);
        if let Some(svg) = &self.consort {
            out.push(("consort-flow", svg.as_str()));
        }
        out.push(("mean-change", self.mean_change.as_str()));
        out.push(("waterfall", self.waterfall.as_str()));
        out.push(("ais-shift", self.ais_shift.as_str()));
        if let Some(svg) = &self.trajectories {
            out.push(("trajectories", svg.as_str()));
        }
        out
    }

    /// The name of a figure's file: its stem, `.zh` for Chinese, then the extension.
    pub fn file_name(&self, stem: &str, extension: &str) -> String {
        format!("{stem}{}.{extension}", if self.zh { ".zh" } else { "" })
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
    escape(&format!(
        "{} − {}: {} ({}), p = {}, n = {} ({} + {})",
        arm_name(study, &e.active, zh),
        arm_name(study, &e.control, zh),
        num(e.estimate),
        ci(zh, e.ci_lower, e.ci_upper),
        p_value(e.p_value),
        e.n,
        e.n_active,
        e.n_control
    ))
}

fn pooled_text(p: &Pooled, zh: bool) -> String {
    escape(&format!(
        "{}: {} ({} {}; {}), n = {}",
        w(zh, "All participants, mean change", "全部受试者，平均变化"),
        num(p.mean),
        w(zh, "SD", "标准差"),
        num(p.sd),
        ci(zh, p.ci_lower, p.ci_upper),
        p.n
    ))
}

/// The 95% interval, in words.
fn ci(zh: bool, lower: f64, upper: f64) -> String {
    if zh {
        format!("95% 置信区间 {} 至 {}", num(lower), num(upper))
    } else {
        format!("95% CI {} to {}", num(lower), num(upper))
    }
}

/// Why an analysis was not computed, as HTML: the reason, as the statistics give it, is
/// marked as English text in the Chinese report.
fn why_html(why: &str, zh: bool) -> String {
    if zh {
        format!("<span lang=\"en\">{}</span>", escape(why))
    } else {
        escape(why)
    }
}

fn not_computed(why: &str, zh: bool) -> String {
    format!("{}: {}", w(zh, "Not computed", "未计算"), why_html(why, zh))
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
                "{} {}/{}, {} {}/{}; {}: {} ({})",
                arm_name(study, &c.active, zh),
                c.responders_active,
                c.n_active,
                arm_name(study, &c.control, zh),
                c.responders_control,
                c.n_control,
                w(zh, "risk difference", "率差"),
                num(c.risk_difference),
                ci(zh, c.ci_lower, c.ci_upper)
            );
            match &c.cmh {
                Outcome::Computed(m) => {
                    let _ = write!(text, "; CMH p = {}", p_value(m.p_value));
                    escape(&text)
                }
                Outcome::NotComputed { not_computed: why } => {
                    format!("{}; CMH: {}", escape(&text), why_html(why, zh))
                }
            }
        }
        Outcome::Computed(ByArm::Pooled(r)) => escape(&format!(
            "{}: {}/{} = {} ({})",
            w(zh, "All participants", "全部受试者"),
            r.responders,
            r.n,
            num(r.rate),
            ci(zh, r.ci_lower, r.ci_upper)
        )),
        Outcome::NotComputed { not_computed: why } => not_computed(why, zh),
    }
}

fn imputation_text(study: &Study, a: &super::imputation::MultipleImputation, zh: bool) -> String {
    let (plan, head) = match a {
        Outcome::Computed(ByArm::Arms(e)) => (
            &e.plan,
            format!(
                "{} − {}: {} ({}), p = {}, n = {}",
                arm_name(study, &e.active, zh),
                arm_name(study, &e.control, zh),
                num(e.result.estimate),
                ci(zh, e.result.ci_lower, e.result.ci_upper),
                p_value(e.result.p_value),
                e.result.n
            ),
        ),
        Outcome::Computed(ByArm::Pooled(p)) => (
            &p.plan,
            format!(
                "{}: {} ({}), n = {}",
                w(zh, "All participants, mean change", "全部受试者，平均变化"),
                num(p.mean),
                ci(zh, p.ci_lower, p.ci_upper),
                p.n
            ),
        ),
        Outcome::NotComputed { not_computed: why } => return not_computed(why, zh),
    };
    escape(&format!(
        "{head}; {} {}, {} {}, {} {} ({} {})",
        w(zh, "observed", "观测"),
        plan.observed,
        w(zh, "imputed", "插补"),
        plan.imputed,
        w(zh, "imputations", "插补次数"),
        plan.imputations,
        w(zh, "seed", "随机种子"),
        plan.seed
    ))
}

fn decision_text(d: crate::escalation::Decision, zh: bool) -> &'static str {
    use crate::escalation::Decision;
    match d {
        Decision::Escalate => w(zh, "escalate", "递增"),
        Decision::Expand => w(zh, "expand to six", "扩至 6 例"),
        Decision::Stop => w(zh, "stop: too toxic", "停止：毒性过大"),
        Decision::NeedMore => w(zh, "cohort not complete", "队列未完成"),
    }
}

/// Phase I's section: the dose levels' table and where the escalation stands.
fn phase1_html(out: &mut String, study: &Study, p: &Phase1, zh: bool) {
    let level_name = |id: &str| {
        study
            .dose_level(id)
            .map_or_else(|| id.to_owned(), |l| l.name_in(zh).to_owned())
    };
    let state = match (p.escalation, &p.mtd, &p.next_level) {
        (EscalationState::MtdEstablished, Some(mtd), _) => format!(
            "{}: {}",
            w(zh, "Maximum tolerated dose", "最大耐受剂量"),
            level_name(mtd)
        ),
        (EscalationState::Ongoing, _, Some(next)) => format!(
            "{}: {}",
            w(
                zh,
                "Maximum tolerated dose not yet established; the 3+3 rule enrols at",
                "尚未确定最大耐受剂量；按 3+3 规则下一步入组剂量组",
            ),
            level_name(next)
        ),
        (EscalationState::NoTolerableDose, ..) => w(
            zh,
            "The lowest dose level was too toxic: no tolerated dose",
            "最低剂量组毒性过大：无可耐受剂量",
        )
        .to_owned(),
        _ => w(zh, "The study defines no dose levels", "本研究未定义剂量组").to_owned(),
    };
    let _ = write!(
        out,
        "<h2>{}</h2><p data-escalation=\"{}\">{}</p><table class=\"grid\" data-table=\"phase1\"><thead><tr>",
        w(zh, "Dose escalation (Phase I)", "剂量递增（I 期）"),
        serde_json::to_value(p.escalation)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        escape(&state)
    );
    let heads = [
        w(zh, "Dose level", "剂量组"),
        w(zh, "Participants", "受试者"),
        w(zh, "Assessed for DLT", "已评估剂量限制性毒性"),
        w(zh, "DLTs", "剂量限制性毒性"),
        w(zh, "3+3 decision", "3+3 决定"),
        w(zh, "Adverse events", "不良事件"),
        w(zh, "With any adverse event", "发生任何不良事件的受试者"),
        w(zh, "Serious adverse events", "严重不良事件"),
        w(
            zh,
            "With a serious adverse event",
            "发生严重不良事件的受试者",
        ),
        w(zh, "Related to the product", "与产品相关"),
        w(zh, "Events by grade 1–5", "各等级事件数（1–5 级）"),
        w(
            zh,
            "Participants by worst grade 1–5",
            "按最严重等级的受试者数（1–5 级）",
        ),
    ];
    for h in heads {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    let grades = |g: &[u32; 5]| g.iter().map(u32::to_string).collect::<Vec<_>>().join(" / ");
    for l in &p.levels {
        let _ = write!(
            out,
            "<tr data-level=\"{}\"><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\" data-dlts=\"{}\">{}</td><td data-decision=\"{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&l.level),
            escape(&level_name(&l.level)),
            l.participants,
            l.evaluable,
            l.dlts,
            l.dlts,
            l.decision.as_str(),
            escape(decision_text(l.decision, zh)),
            l.events,
            l.with_any_ae,
            l.serious_events,
            l.with_sae,
            l.related_events,
            grades(&l.events_by_grade),
            grades(&l.participants_by_worst_grade)
        );
    }
    out.push_str("</tbody></table>");
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
    let rows: [(&str, String); 7] = [
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
        (
            w(
                zh,
                "Multiple imputation of missing week-24 changes (sensitivity; Rubin's rules)",
                "第 24 周缺失变化值的多重插补（敏感性分析；鲁宾规则）",
            ),
            imputation_text(study, &results.sensitivity.multiple_imputation, zh),
        ),
    ];
    if let Some(p) = &results.phase1 {
        phase1_html(&mut out, study, p, zh);
    }
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
            text
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
    let named = figures.named();
    for (stem, svg) in &named {
        let (kind, caption) = match *stem {
            "consort-flow" => ("consort", w(zh, "CONSORT flow diagram", "CONSORT 流程图")),
            "mean-change" => (
                "mean-change",
                w(
                    zh,
                    "Mean change in total motor score by visit",
                    "各访视总运动评分平均变化",
                ),
            ),
            "waterfall" => (
                "waterfall",
                w(
                    zh,
                    "Individual changes at the primary visit",
                    "主要访视时的个体变化",
                ),
            ),
            "ais-shift" => ("ais-shift", w(zh, "AIS grade shift", "AIS 分级变化")),
            _ => (
                "trajectories",
                w(
                    zh,
                    "Total motor score by visit per dose level",
                    "各剂量组各访视总运动评分",
                ),
            ),
        };
        let link = figures
            .png_links
            .as_ref()
            .map_or_else(String::new, |prefix| {
                let file = figures.file_name(stem, "png");
                format!(
                    " <a class=\"figure-png\" href=\"{}\" download=\"{}\">{}</a>",
                    escape(&format!("{prefix}{file}")),
                    escape(&file),
                    w(zh, "PNG image", "PNG 图片")
                )
            });
        let _ = write!(
            out,
            "<figure data-figure=\"{kind}\">{svg}<figcaption>{}{link}</figcaption></figure>",
            escape(caption)
        );
    }
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
