//! The subject-level domains: demographics (DM), adverse events (AE), disposition (DS), subject
//! visits (SV) and concomitant medication (CM).

use trial::safety::{ActionTaken, Causality, Outcome, Seriousness};
use trial::FormKind;

use super::subject::{Context, Subject};
use super::table::{Char, Num, Table};
use super::{form_date, text_of, Problem};
use crate::xpt::Dataset;

/// The dataset label of DM in a blinded export, which says that the arms are left out.
pub const BLINDED_DM_LABEL: &str = "Demographics (blinded: no ARM/ACTARM)";

/// DM: one record per enrolled participant.
pub(crate) fn dm(cx: &Context<'_>) -> Dataset {
    let label = if cx.unblinded {
        "Demographics"
    } else {
        BLINDED_DM_LABEL
    };
    let mut t = Table::new(
        "DM",
        label,
        &[
            ("STUDYID", "Study Identifier", Char),
            ("DOMAIN", "Domain Abbreviation", Char),
            ("USUBJID", "Unique Subject Identifier", Char),
            ("SUBJID", "Subject Identifier for the Study", Char),
            ("RFSTDTC", "Subject Reference Start Date/Time", Char),
            ("RFICDTC", "Date/Time of Informed Consent", Char),
            ("RFPENDTC", "Date/Time of End of Participation", Char),
            ("SITEID", "Study Site Identifier", Char),
            ("BRTHDTC", "Date/Time of Birth", Char),
            ("AGE", "Age", Num),
            ("AGEU", "Age Units", Char),
            ("SEX", "Sex", Char),
            ("ARMCD", "Planned Arm Code", Char),
            ("ARM", "Description of Planned Arm", Char),
            ("ACTARMCD", "Actual Arm Code", Char),
            ("ACTARM", "Description of Actual Arm", Char),
            ("COUNTRY", "Country", Char),
        ],
    );
    for s in cx.subjects.values() {
        let p = s.participant;
        let age = store::parse_date(&p.date_of_birth)
            .zip(store::parse_date(&p.consent_date))
            .map(|(birth, consent)| f64::from(trial::age_in_years(birth, consent)));
        let (code, name) = match (&s.arm, cx.unblinded) {
            (Some(a), true) => (a.code.as_str(), a.name.as_str()),
            (None, true) => ("NOTASSGN", "Not Assigned"),
            (_, false) => ("", ""),
        };
        let country = cx
            .study
            .site(&p.site_id)
            .map_or(String::new(), |site| country(&site.country));
        t.add(|r| {
            head(r, cx, s, "DM");
            r.text("SUBJID", s.subjid)
                .text("RFSTDTC", s.reference.map(store::date).unwrap_or_default())
                .text("RFICDTC", &p.consent_date)
                .text("RFPENDTC", p.ended_on.clone().unwrap_or_default())
                .text("SITEID", &p.site_id)
                .text("BRTHDTC", &p.date_of_birth)
                .num("AGE", age)
                .text("AGEU", if age.is_some() { "YEARS" } else { "" })
                .text("SEX", sex(&p.sex))
                .text("ARMCD", code)
                .text("ARM", name)
                .text("ACTARMCD", code)
                .text("ACTARM", name)
                .text("COUNTRY", country);
        });
    }
    t.dataset()
}

/// SEX from the stored word.
pub(crate) fn sex(stored: &str) -> &'static str {
    match stored {
        "male" => "M",
        "female" => "F",
        _ => "U",
    }
}

/// COUNTRY (ISO 3166-1 alpha-3) from a site's two-letter code; another code as given.
pub(crate) fn country(code: &str) -> String {
    const ALPHA3: [(&str, &str); 12] = [
        ("AU", "AUS"),
        ("CA", "CAN"),
        ("CN", "CHN"),
        ("DE", "DEU"),
        ("FR", "FRA"),
        ("GB", "GBR"),
        ("HK", "HKG"),
        ("JP", "JPN"),
        ("KR", "KOR"),
        ("SG", "SGP"),
        ("TW", "TWN"),
        ("US", "USA"),
    ];
    ALPHA3
        .iter()
        .find(|(two, _)| two.eq_ignore_ascii_case(code))
        .map_or_else(|| code.to_ascii_uppercase(), |(_, three)| three.to_string())
}

/// STUDYID, DOMAIN and USUBJID of a subject's record.
pub(crate) fn head(r: &mut super::table::Row<'_>, cx: &Context<'_>, s: &Subject<'_>, domain: &str) {
    r.text("STUDYID", &cx.study.id)
        .text("DOMAIN", domain)
        .text("USUBJID", &s.usubjid);
}

/// AEREL of the investigator's causality to the product.
pub(crate) fn relationship(c: Causality) -> &'static str {
    match c {
        Causality::NotRelated => "NOT RELATED",
        Causality::Unlikely => "UNLIKELY RELATED",
        Causality::Possible => "POSSIBLY RELATED",
        Causality::Probable => "PROBABLY RELATED",
        Causality::Definite => "RELATED",
    }
}

/// AEACN.
pub(crate) fn action(a: ActionTaken) -> &'static str {
    match a {
        ActionTaken::DoseNotChanged => "DOSE NOT CHANGED",
        ActionTaken::DoseReduced => "DOSE REDUCED",
        ActionTaken::DoseDelayed => "DRUG INTERRUPTED",
        ActionTaken::DrugWithdrawn => "DRUG WITHDRAWN",
        ActionTaken::NotApplicable => "NOT APPLICABLE",
        ActionTaken::Unknown => "UNKNOWN",
    }
}

/// AEOUT.
pub(crate) fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Recovered => "RECOVERED/RESOLVED",
        Outcome::Recovering => "RECOVERING/RESOLVING",
        Outcome::NotRecovered => "NOT RECOVERED/NOT RESOLVED",
        Outcome::RecoveredWithSequelae => "RECOVERED/RESOLVED WITH SEQUELAE",
        Outcome::Fatal => "FATAL",
        Outcome::Unknown => "UNKNOWN",
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// AE: every adverse event of an enrolled participant, by subject in the order recorded.
pub(crate) fn ae(cx: &Context<'_>, data: &store::SubmissionData) -> Result<Dataset, Problem> {
    let mut t = Table::new(
        "AE",
        "Adverse Events",
        &[
            ("STUDYID", "Study Identifier", Char),
            ("DOMAIN", "Domain Abbreviation", Char),
            ("USUBJID", "Unique Subject Identifier", Char),
            ("AESEQ", "Sequence Number", Num),
            ("AESPID", "Sponsor-Defined Identifier", Char),
            ("AETERM", "Reported Term for the Adverse Event", Char),
            ("AELLT", "Lowest Level Term", Char),
            ("AELLTCD", "Lowest Level Term Code", Num),
            ("AEDECOD", "Dictionary-Derived Term", Char),
            ("AEBODSYS", "Body System or Organ Class", Char),
            ("AESER", "Serious Event", Char),
            ("AEACN", "Action Taken with Study Treatment", Char),
            ("AEREL", "Causality", Char),
            ("AEOUT", "Outcome of Adverse Event", Char),
            ("AESCONG", "Congenital Anomaly or Birth Defect", Char),
            ("AESDISAB", "Persist or Signif Disability/Incapacity", Char),
            ("AESDTH", "Results in Death", Char),
            ("AESHOSP", "Requires or Prolongs Hospitalization", Char),
            ("AESLIFE", "Is Life Threatening", Char),
            ("AESMIE", "Other Medically Important Serious Event", Char),
            ("AETOXGR", "Standard Toxicity Grade", Char),
            ("EPOCH", "Epoch", Char),
            ("AESTDTC", "Start Date/Time of Adverse Event", Char),
            ("AEENDTC", "End Date/Time of Adverse Event", Char),
            ("AESTDY", "Study Day of Start of Adverse Event", Num),
            ("AEENDY", "Study Day of End of Adverse Event", Num),
        ],
    );
    for s in cx.subjects.values() {
        let events = data
            .adverse_events
            .iter()
            .filter(|e| e.participant_id == s.participant.id);
        for (seq, record) in events.enumerate() {
            let e = &record.event;
            let code = if e.meddra_code.is_empty() {
                None
            } else {
                Some(e.meddra_code.parse::<u64>().map_err(|_| Problem {
                    dataset: "AE".into(),
                    variable: Some("AELLTCD".into()),
                    record: Some(cx.before.get("AE").copied().unwrap_or(0) + t.len() + 1),
                    message: format!(
                        "the MedDRA code {:?} of adverse event {} is not a number",
                        e.meddra_code, record.id
                    ),
                })? as f64)
            };
            let start = e.onset.to_string();
            let end = e.end.map(|d| d.to_string()).unwrap_or_default();
            let criterion = |c: Seriousness| yes_no(e.meets(c));
            t.add(|r| {
                head(r, cx, s, "AE");
                r.num("AESEQ", Some((seq + 1) as f64))
                    .text("AESPID", record.id.to_string())
                    .text("AETERM", &e.verbatim)
                    .text("AELLT", &e.term)
                    .num("AELLTCD", code)
                    .text("AEDECOD", &e.term)
                    .text("AEBODSYS", &e.soc)
                    .text("AESER", yes_no(e.is_serious()))
                    .text("AEACN", action(e.action))
                    .text("AEREL", relationship(e.causality_product))
                    .text("AEOUT", outcome(e.outcome))
                    .text("AESCONG", criterion(Seriousness::CongenitalAnomaly))
                    .text("AESDISAB", criterion(Seriousness::Disability))
                    .text("AESDTH", criterion(Seriousness::Death))
                    .text("AESHOSP", criterion(Seriousness::Hospitalisation))
                    .text("AESLIFE", criterion(Seriousness::LifeThreatening))
                    .text("AESMIE", criterion(Seriousness::MedicallyImportant))
                    .text("AETOXGR", e.grade.to_string())
                    .text("EPOCH", cx.epoch(s, &start))
                    .num("AESTDY", cx.day(s, &start))
                    .num("AEENDY", cx.day(s, &end))
                    .text("AESTDTC", start)
                    .text("AEENDTC", end);
            });
        }
    }
    Ok(t.dataset())
}

/// DS: each enrolled participant's consent, and the end of participation when it ended. The
/// store keeps the reason as written, not coded: DSTERM is that reason, DSDECOD `COMPLETED`
/// or, for a withdrawal, `OTHER`.
pub(crate) fn ds(cx: &Context<'_>) -> Dataset {
    let mut t = Table::new(
        "DS",
        "Disposition",
        &[
            ("STUDYID", "Study Identifier", Char),
            ("DOMAIN", "Domain Abbreviation", Char),
            ("USUBJID", "Unique Subject Identifier", Char),
            ("DSSEQ", "Sequence Number", Num),
            ("DSTERM", "Reported Term for the Disposition Event", Char),
            ("DSDECOD", "Standardized Disposition Term", Char),
            ("DSCAT", "Category for Disposition Event", Char),
            ("EPOCH", "Epoch", Char),
            ("DSSTDTC", "Start Date/Time of Disposition Event", Char),
            ("DSSTDY", "Study Day of Start of Disposition Event", Num),
        ],
    );
    for s in cx.subjects.values() {
        let p = s.participant;
        let mut events = vec![(
            "INFORMED CONSENT OBTAINED".to_string(),
            "INFORMED CONSENT OBTAINED",
            "PROTOCOL MILESTONE",
            p.consent_date.clone(),
        )];
        if let Some(on) = &p.ended_on {
            let decod = if p.status == trial::ParticipantStatus::Completed {
                "COMPLETED"
            } else {
                "OTHER"
            };
            let term = p.end_reason.clone().unwrap_or_else(|| decod.to_string());
            events.push((term, decod, "DISPOSITION EVENT", on.clone()));
        }
        for (seq, (term, decod, cat, on)) in events.into_iter().enumerate() {
            t.add(|r| {
                head(r, cx, s, "DS");
                r.num("DSSEQ", Some((seq + 1) as f64))
                    .text("DSTERM", term)
                    .text("DSDECOD", decod)
                    .text("DSCAT", cat)
                    .text("EPOCH", cx.epoch(s, &on))
                    .num("DSSTDY", cx.day(s, &on))
                    .text("DSSTDTC", on);
            });
        }
    }
    t.dataset()
}

/// SV: every visit that took place, in schedule order.
pub(crate) fn sv(cx: &Context<'_>, data: &store::SubmissionData) -> Dataset {
    let mut t = Table::new(
        "SV",
        "Subject Visits",
        &[
            ("STUDYID", "Study Identifier", Char),
            ("DOMAIN", "Domain Abbreviation", Char),
            ("USUBJID", "Unique Subject Identifier", Char),
            ("VISITNUM", "Visit Number", Num),
            ("VISIT", "Visit Name", Char),
            ("VISITDY", "Planned Study Day of Visit", Num),
            ("EPOCH", "Epoch", Char),
            ("SVSTDTC", "Start Date/Time of Visit", Char),
            ("SVENDTC", "End Date/Time of Visit", Char),
            ("SVSTDY", "Study Day of Start of Visit", Num),
            ("SVENDY", "Study Day of End of Visit", Num),
        ],
    );
    for s in cx.subjects.values() {
        let mut visits: Vec<_> = data
            .visits
            .iter()
            .filter(|v| v.participant_id == s.participant.id)
            .filter_map(|v| Some((cx.visit(&v.visit_id)?, v.done_on.as_deref()?)))
            .collect();
        visits.sort_by_key(|((number, _), _)| *number);
        for ((number, def), on) in visits {
            t.add(|r| {
                head(r, cx, s, "SV");
                let day = cx.day(s, on);
                r.num("VISITNUM", Some(number as f64))
                    .text("VISIT", super::subject::ascii(&def.name))
                    .num("VISITDY", Some(f64::from(def.day)))
                    .text("EPOCH", cx.epoch(s, on))
                    .text("SVSTDTC", on)
                    .text("SVENDTC", on)
                    .num("SVSTDY", day)
                    .num("SVENDY", day);
            });
        }
    }
    t.dataset()
}

/// CMROUTE from the definition's route word.
pub(crate) fn route(word: &str) -> String {
    match word {
        "inhaled" => "RESPIRATORY (INHALATION)".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// CM: every concomitant medication form, one record each.
pub(crate) fn cm(cx: &Context<'_>, data: &store::SubmissionData) -> Dataset {
    let mut t = Table::new(
        "CM",
        "Concomitant Medications",
        &[
            ("STUDYID", "Study Identifier", Char),
            ("DOMAIN", "Domain Abbreviation", Char),
            ("USUBJID", "Unique Subject Identifier", Char),
            ("CMSEQ", "Sequence Number", Num),
            ("CMTRT", "Reported Name of Drug, Med, or Therapy", Char),
            ("CMINDC", "Indication", Char),
            ("CMDOSE", "Dose per Administration", Num),
            ("CMDOSU", "Dose Units", Char),
            ("CMDOSFRQ", "Dosing Frequency per Interval", Char),
            ("CMROUTE", "Route of Administration", Char),
            ("VISITNUM", "Visit Number", Num),
            ("VISIT", "Visit Name", Char),
            ("EPOCH", "Epoch", Char),
            ("CMSTDTC", "Start Date/Time of Medication", Char),
            ("CMENDTC", "End Date/Time of Medication", Char),
            ("CMSTDY", "Study Day of Start of Medication", Num),
            ("CMENDY", "Study Day of End of Medication", Num),
            ("CMENRTPT", "End Relative to Reference Time Point", Char),
            ("CMENTPT", "End Reference Time Point", Char),
        ],
    );
    for s in cx.subjects.values() {
        let forms = super::forms_of(cx, data, s, FormKind::ConcomitantMedication);
        for (i, (form, (number, visit))) in forms.into_iter().enumerate() {
            let values = &form.data;
            let start = text_of(values.get("start_date"));
            let end = text_of(values.get("end_date"));
            let ongoing = values.get("ongoing").and_then(|v| v.as_bool()) == Some(true);
            let collected = form_date(cx, form);
            let seq = (i + 1) as f64;
            t.add(|r| {
                head(r, cx, s, "CM");
                r.num("CMSEQ", Some(seq))
                    .text("CMTRT", text_of(values.get("medication")))
                    .text("CMINDC", text_of(values.get("indication")))
                    .num("CMDOSE", values.get("dose").and_then(|v| v.as_f64()))
                    .text(
                        "CMDOSU",
                        super::subject::ascii(&text_of(values.get("dose_unit"))),
                    )
                    .text("CMDOSFRQ", text_of(values.get("frequency")))
                    .text("CMROUTE", route(&text_of(values.get("route"))))
                    .num("VISITNUM", Some(number as f64))
                    .text("VISIT", super::subject::ascii(&visit.name))
                    .text("EPOCH", cx.epoch(s, &start))
                    .num("CMSTDY", cx.day(s, &start))
                    .num("CMENDY", cx.day(s, &end))
                    .text("CMSTDTC", start)
                    .text("CMENDTC", end)
                    .text("CMENRTPT", if ongoing { "ONGOING" } else { "" })
                    .text(
                        "CMENTPT",
                        if ongoing {
                            collected.unwrap_or_default()
                        } else {
                            String::new()
                        },
                    );
            });
        }
    }
    t.dataset()
}
