//! The case narrative of a SUSAR's expedited report, in English and Simplified Chinese: as plain
//! text (the E2B(R3) H.1 narrative and the H.5.r Chinese summary) and as a readable HTML page,
//! both built from the same [`Case`]. Every value in the HTML is escaped.

use super::date::PartialDate;
use super::e2b::{escape_xml, Case};
use super::event::{ActionTaken, Causality, Expectedness, Outcome, Seriousness};
use crate::eligibility::Sex;

/// The language of a narrative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Language {
    /// Both, English first.
    pub const ALL: [Language; 2] = [Language::En, Language::Zh];

    /// `en` or `zh`.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh",
        }
    }

    /// The language `code` names (`en`, `zh`), or `None`.
    pub fn parse(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }

    fn html_lang(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh-Hans",
        }
    }
}

fn seriousness(l: Language, s: Seriousness) -> &'static str {
    match (l, s) {
        (Language::En, Seriousness::Death) => "resulted in death",
        (Language::En, Seriousness::LifeThreatening) => "life-threatening",
        (Language::En, Seriousness::Hospitalisation) => "required or prolonged hospitalisation",
        (Language::En, Seriousness::Disability) => "persistent or significant disability",
        (Language::En, Seriousness::CongenitalAnomaly) => "congenital anomaly or birth defect",
        (Language::En, Seriousness::MedicallyImportant) => "other medically important event",
        (Language::Zh, Seriousness::Death) => "导致死亡",
        (Language::Zh, Seriousness::LifeThreatening) => "危及生命",
        (Language::Zh, Seriousness::Hospitalisation) => "导致住院或住院时间延长",
        (Language::Zh, Seriousness::Disability) => "导致永久或严重的残疾或功能丧失",
        (Language::Zh, Seriousness::CongenitalAnomaly) => "先天性异常或出生缺陷",
        (Language::Zh, Seriousness::MedicallyImportant) => "其他重要医学事件",
    }
}

fn causality(l: Language, c: Causality) -> &'static str {
    match (l, c) {
        (Language::En, Causality::NotRelated) => "not related",
        (Language::En, Causality::Unlikely) => "unlikely related",
        (Language::En, Causality::Possible) => "possibly related",
        (Language::En, Causality::Probable) => "probably related",
        (Language::En, Causality::Definite) => "definitely related",
        (Language::Zh, Causality::NotRelated) => "无关",
        (Language::Zh, Causality::Unlikely) => "可能无关",
        (Language::Zh, Causality::Possible) => "可能有关",
        (Language::Zh, Causality::Probable) => "很可能有关",
        (Language::Zh, Causality::Definite) => "肯定有关",
    }
}

fn outcome(l: Language, o: Outcome) -> &'static str {
    match (l, o) {
        (Language::En, Outcome::Recovered) => "recovered",
        (Language::En, Outcome::Recovering) => "recovering",
        (Language::En, Outcome::NotRecovered) => "not recovered",
        (Language::En, Outcome::RecoveredWithSequelae) => "recovered with sequelae",
        (Language::En, Outcome::Fatal) => "fatal",
        (Language::En, Outcome::Unknown) => "unknown",
        (Language::Zh, Outcome::Recovered) => "痊愈",
        (Language::Zh, Outcome::Recovering) => "好转中",
        (Language::Zh, Outcome::NotRecovered) => "未好转",
        (Language::Zh, Outcome::RecoveredWithSequelae) => "痊愈伴后遗症",
        (Language::Zh, Outcome::Fatal) => "死亡",
        (Language::Zh, Outcome::Unknown) => "未知",
    }
}

fn action(l: Language, a: ActionTaken) -> &'static str {
    match (l, a) {
        (Language::En, ActionTaken::DoseNotChanged) => "dose not changed",
        (Language::En, ActionTaken::DoseReduced) => "dose reduced",
        (Language::En, ActionTaken::DoseDelayed) => "dosing delayed or interrupted",
        (Language::En, ActionTaken::DrugWithdrawn) => "product withdrawn",
        (Language::En, ActionTaken::NotApplicable) => "not applicable",
        (Language::En, ActionTaken::Unknown) => "unknown",
        (Language::Zh, ActionTaken::DoseNotChanged) => "剂量未改变",
        (Language::Zh, ActionTaken::DoseReduced) => "减少剂量",
        (Language::Zh, ActionTaken::DoseDelayed) => "延迟或中断给药",
        (Language::Zh, ActionTaken::DrugWithdrawn) => "停用试验用药品",
        (Language::Zh, ActionTaken::NotApplicable) => "不适用",
        (Language::Zh, ActionTaken::Unknown) => "未知",
    }
}

fn expectedness(l: Language, e: Expectedness) -> &'static str {
    match (l, e) {
        (Language::En, Expectedness::Expected) => "expected (listed)",
        (Language::En, Expectedness::Unexpected) => "unexpected (not listed)",
        (Language::Zh, Expectedness::Expected) => "预期的（已列出）",
        (Language::Zh, Expectedness::Unexpected) => "非预期的（未列出）",
    }
}

fn sex(l: Language, s: Option<Sex>) -> &'static str {
    match (l, s) {
        (Language::En, Some(Sex::Male)) => "male",
        (Language::En, Some(Sex::Female)) => "female",
        (Language::En, Some(Sex::Other)) => "other",
        (Language::En, None) => "sex not known",
        (Language::Zh, Some(Sex::Male)) => "男性",
        (Language::Zh, Some(Sex::Female)) => "女性",
        (Language::Zh, Some(Sex::Other)) => "其他",
        (Language::Zh, None) => "性别未知",
    }
}

fn partial(d: PartialDate) -> String {
    d.to_string()
}

/// The narrative's parts, in order: each a heading and its sentences.
fn sections(case: &Case, l: Language) -> Vec<(&'static str, String)> {
    let e = &case.event;
    let p = &case.patient;
    let report = if case.report.is_initial() {
        match l {
            Language::En => "initial report".to_string(),
            Language::Zh => "首次报告".to_string(),
        }
    } else {
        match l {
            Language::En => format!("follow-up report {}", case.report.number),
            Language::Zh => format!("第 {} 次随访报告", case.report.number),
        }
    };
    let criteria: Vec<&str> = e.seriousness.iter().map(|s| seriousness(l, *s)).collect();
    let end = e.end.map(partial);
    let first_knowledge = case
        .report
        .first_received
        .to_offset(time::UtcOffset::UTC)
        .date()
        .to_string();
    let sponsor = case.sponsor_causality;
    match l {
        Language::En => {
            let age = p
                .age_years
                .map_or("Age not known".to_string(), |a| format!("{a}-year-old"));
            let dose = case
                .product
                .first_dose
                .map_or(String::new(), |d| format!(" on {d}"));
            let amount = case
                .product
                .dose
                .as_deref()
                .map_or(String::new(), |d| format!(", dose {d}"));
            vec![
                (
                    "Case",
                    format!(
                        "Safety report {}, {report}. Study {} ({}), sponsor {}. The sponsor first \
                         knew of the case on {first_knowledge} (UTC).",
                        case.safety_report_id(),
                        case.study.id,
                        case.study.registry,
                        case.study.sponsor
                    ),
                ),
                (
                    "Patient",
                    format!(
                        "{age} {} participant {} at {} ({}), reported by the investigator{}.",
                        sex(l, p.sex),
                        p.subject_id,
                        case.source.site,
                        case.source.country,
                        case.source
                            .name
                            .as_deref()
                            .map_or(String::new(), |n| format!(" {n}"))
                    ),
                ),
                (
                    "Treatment",
                    format!(
                        "Investigational product: {} ({} route{amount}){dose}. Actual \
                         treatment as unblinded for this report: {}.",
                        case.product.product, case.product.route, case.product.treatment
                    ),
                ),
                (
                    "Event",
                    format!(
                        "Onset {}: \"{}\", coded as {} (MedDRA {} {}, {}), CTCAE grade {}. \
                         Serious: {}. Action taken: {}. Outcome: {}{}.",
                        partial(e.onset),
                        e.verbatim,
                        e.term,
                        case.meddra_version,
                        e.meddra_code,
                        e.soc,
                        e.grade,
                        criteria.join("; "),
                        action(l, e.action),
                        outcome(l, e.outcome),
                        end.map_or(String::new(), |d| format!(", ended {d}"))
                    ),
                ),
                (
                    "Assessment",
                    format!(
                        "Investigator: {} to the product, {} to the procedure (lumbar \
                         puncture). Sponsor: {}. Expectedness: {}.",
                        causality(l, e.causality_product),
                        causality(l, e.causality_procedure),
                        sponsor.map_or("not yet assessed", |c| causality(l, c)),
                        expectedness(l, case.expectedness)
                    ),
                ),
            ]
        }
        Language::Zh => {
            let age = p
                .age_years
                .map_or("年龄未知".to_string(), |a| format!("{a} 岁"));
            let dose = case
                .product
                .first_dose
                .map_or(String::new(), |d| format!("，给药日期 {d}"));
            let amount = case
                .product
                .dose
                .as_deref()
                .map_or(String::new(), |d| format!("，剂量 {d}"));
            vec![
                (
                    "病例",
                    format!(
                        "安全性报告 {}，{report}。研究 {}（{}），申办者 {}。申办者首次获知\
                         本病例的日期为 {first_knowledge}（UTC）。",
                        case.safety_report_id(),
                        case.study.id,
                        case.study.registry,
                        case.study.sponsor
                    ),
                ),
                (
                    "受试者",
                    format!(
                        "{age}{}受试者 {}，研究中心 {}（{}），由研究者{}报告。",
                        sex(l, p.sex),
                        p.subject_id,
                        case.source.site,
                        case.source.country,
                        case.source
                            .name
                            .as_deref()
                            .map_or(String::new(), |n| format!(" {n} "))
                    ),
                ),
                (
                    "治疗",
                    format!(
                        "试验用药品：{}（给药途径：{}{amount}）{dose}。为本报告揭盲的实际\
                         治疗：{}。",
                        case.product.product, case.product.route, case.product.treatment
                    ),
                ),
                (
                    "事件",
                    format!(
                        "发生日期 {}：“{}”，编码为 {}（MedDRA {} {}，{}），CTCAE {} 级。\
                         严重性：{}。对试验用药品采取的措施：{}。转归：{}{}。",
                        partial(e.onset),
                        e.verbatim,
                        e.term,
                        case.meddra_version,
                        e.meddra_code,
                        e.soc,
                        e.grade,
                        criteria.join("；"),
                        action(l, e.action),
                        outcome(l, e.outcome),
                        end.map_or(String::new(), |d| format!("，结束日期 {d}"))
                    ),
                ),
                (
                    "评估",
                    format!(
                        "研究者：与试验用药品{}，与操作（腰椎穿刺）{}。申办者：{}。预期性：{}。",
                        causality(l, e.causality_product),
                        causality(l, e.causality_procedure),
                        sponsor.map_or("尚未评估", |c| causality(l, c)),
                        expectedness(l, case.expectedness)
                    ),
                ),
            ]
        }
    }
}

/// The narrative as plain text, one paragraph per part (H.1 in English; H.5.r in Chinese).
pub fn narrative_text(case: &Case, language: Language) -> String {
    let mut parts: Vec<String> = sections(case, language)
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    if let Some(comments) = &case.sender_comments {
        parts.push(match language {
            Language::En => format!("Sender's comments: {comments}"),
            Language::Zh => format!("报告者意见：{comments}"),
        });
    }
    parts.join("\n")
}

/// The narrative as a whole HTML page in `language`, every value escaped.
pub fn narrative_html(case: &Case, language: Language) -> String {
    let title = match language {
        Language::En => format!("SUSAR narrative — {}", case.message_id()),
        Language::Zh => format!("SUSAR 病例叙述 — {}", case.message_id()),
    };
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>body{{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.5}}\
         h2{{font-size:1.1em;margin-bottom:0.2em}}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        language.html_lang(),
        escape_xml(&title),
        escape_xml(&title)
    );
    for (heading, text) in sections(case, language) {
        out.push_str(&format!(
            "<h2>{}</h2>\n<p>{}</p>\n",
            escape_xml(heading),
            escape_xml(&text)
        ));
    }
    if let Some(comments) = &case.sender_comments {
        let heading = match language {
            Language::En => "Sender's comments",
            Language::Zh => "报告者意见",
        };
        out.push_str(&format!(
            "<h2>{}</h2>\n<p>{}</p>\n",
            escape_xml(heading),
            escape_xml(comments)
        ));
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::e2b::tests::case;
    use super::*;

    #[test]
    fn both_languages_tell_the_case() {
        let case = case();
        let en = narrative_text(&case, Language::En);
        assert!(en.contains("CN-SCITRIAL-XS228-P2-AE42, initial report"));
        assert!(en.contains("34-year-old female participant SYSU3-007"));
        assert!(en.contains("Actual treatment as unblinded for this report: XS228."));
        assert!(en.contains("Onset 2026-03: \"meningitis-like <headache> & fever\""));
        assert!(en.contains("CTCAE grade 4"));
        assert!(en.contains("life-threatening; required or prolonged hospitalisation"));
        assert!(en.contains(
            "Investigator: possibly related to the product, probably related to the procedure"
        ));
        assert!(en.contains("Sponsor: probably related. Expectedness: unexpected"));
        let zh = narrative_text(&case, Language::Zh);
        assert!(zh.contains("首次报告"));
        assert!(zh.contains("34 岁女性受试者 SYSU3-007"));
        assert!(zh.contains("CTCAE 4 级"));
        assert!(zh.contains("危及生命；导致住院或住院时间延长"));
        assert!(zh.contains("申办者：很可能有关"));
        let mut follow = case.clone();
        follow.report.number = 2;
        follow.sponsor_causality = None;
        assert!(narrative_text(&follow, Language::En).contains("follow-up report 2"));
        assert!(narrative_text(&follow, Language::En).contains("Sponsor: not yet assessed"));
        assert!(narrative_text(&follow, Language::Zh).contains("第 2 次随访报告"));
    }

    #[test]
    fn the_html_escapes_every_value() {
        let case = case();
        for language in Language::ALL {
            let html = narrative_html(&case, language);
            assert!(html.starts_with("<!DOCTYPE html>"));
            assert!(!html.contains("<headache>") && !html.contains("<Wei>"));
            assert!(html.contains("&lt;headache&gt; &amp; fever"));
        }
        assert!(narrative_html(&case, Language::Zh).contains("lang=\"zh-Hans\""));
        assert_eq!(Language::parse("zh"), Some(Language::Zh));
        assert_eq!(Language::parse("fr"), None);
    }
}
