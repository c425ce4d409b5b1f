//! What every domain needs of a participant: USUBJID, the reference start date (the first
//! dose, day 1), the treatment when the export includes it, and from them study days
//! (`--DY`, as `trial::study_day` counts them: no day 0), epochs and visits by the schedule.

use std::collections::{BTreeMap, HashMap};

use store::{Participant, SubmissionData};
use time::Date;
use trial::{Anchor, Study, VisitDef};

/// A participant's treatment as SDTM writes it: the arm's (or dose level's) code and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Arm {
    /// ARMCD: the definition's id in capitals without punctuation (`XS228`, `SAD1`).
    pub code: String,
    /// ARM: the definition's name.
    pub name: String,
    /// The day of the last dose (1 for a single dose).
    pub last_dose_day: i32,
}

/// An enrolled participant (one with a subject id), as the domains see them.
#[derive(Debug)]
pub(crate) struct Subject<'a> {
    /// The stored participant.
    pub participant: &'a Participant,
    /// SUBJID.
    pub subjid: &'a str,
    /// USUBJID: `STUDYID-SUBJID`.
    pub usubjid: String,
    /// RFSTDTC: day 1 of the schedule (the first dose).
    pub reference: Option<Date>,
    /// The treatment, when the export includes it.
    pub arm: Option<Arm>,
}

/// The study, its enrolled participants and the dates of their visits.
pub(crate) struct Context<'a> {
    /// The study definition.
    pub study: &'a Study,
    /// Enrolled participants by id, in id order.
    pub subjects: BTreeMap<i64, Subject<'a>>,
    /// When each visit took place, by participant and visit.
    pub visit_dates: HashMap<(i64, &'a str), Date>,
    /// Whether the export includes treatments.
    pub unblinded: bool,
    /// The records of each domain made before these (by an export's earlier batches), so
    /// that a refused record is numbered in the whole dataset.
    pub before: HashMap<&'static str, usize>,
}

/// ARMCD of a definition id: capitals and digits only.
pub(crate) fn code_of(id: &str) -> String {
    id.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A name from the definition in the plain ASCII a transport file's text should be: the few
/// signs definitions use (`×`, `°`, `µ`, dashes) written out.
pub(crate) fn ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '×' => out.push('x'),
            '°' => {}
            '\u{b5}' | '\u{3bc}' => out.push('u'),
            '–' | '—' => out.push('-'),
            c => out.push(c),
        }
    }
    out
}

/// The treatment named by an arm's or dose level's id.
pub(crate) fn arm_of(study: &Study, id: &str) -> Option<Arm> {
    if let Some(a) = study.arm(id) {
        return Some(Arm {
            code: code_of(&a.id),
            name: ascii(&a.name),
            last_dose_day: 1,
        });
    }
    study.dose_level(id).map(|l| Arm {
        code: code_of(&l.id),
        name: ascii(&l.name),
        last_dose_day: l.last_dose_day(),
    })
}

impl<'a> Context<'a> {
    /// The context of `data`; treatments are taken only when `data` holds them.
    pub(crate) fn new(study: &'a Study, data: &'a SubmissionData) -> Context<'a> {
        let treatments: HashMap<i64, &str> = data
            .treatments
            .iter()
            .flatten()
            .map(|t| (t.participant_id, t.id.as_str()))
            .collect();
        let subjects = data
            .participants
            .iter()
            .filter_map(|p| {
                let subjid = p.subject_id.as_deref()?;
                let reference = match study.anchor {
                    Anchor::FirstDose => p.anchor_date.as_deref(),
                    Anchor::Injury => p.enrolled_on.as_deref(),
                }
                .and_then(store::parse_date);
                let arm = treatments.get(&p.id).and_then(|id| arm_of(study, id));
                Some((
                    p.id,
                    Subject {
                        participant: p,
                        subjid,
                        usubjid: format!("{}-{subjid}", study.id),
                        reference,
                        arm,
                    },
                ))
            })
            .collect();
        let visit_dates = data
            .visits
            .iter()
            .filter_map(|v| {
                let on = store::parse_date(v.done_on.as_deref()?)?;
                Some(((v.participant_id, v.visit_id.as_str()), on))
            })
            .collect();
        Context {
            study,
            subjects,
            visit_dates,
            unblinded: data.treatments.is_some(),
            before: HashMap::new(),
        }
    }

    /// VISITNUM (the visit's place in the schedule, from 1) and its definition.
    pub(crate) fn visit(&self, id: &str) -> Option<(usize, &'a VisitDef)> {
        let study: &'a Study = self.study;
        study
            .visits
            .iter()
            .enumerate()
            .find(|(_, v)| v.id == id)
            .map(|(i, v)| (i + 1, v))
    }

    /// --DY of an ISO 8601 date: only for a complete date of a subject with a reference.
    pub(crate) fn day(&self, s: &Subject<'_>, dtc: &str) -> Option<f64> {
        let date = store::parse_date(dtc)?;
        Some(f64::from(trial::study_day(s.reference?, date)))
    }

    /// EPOCH of a complete date: SCREENING before day 1, TREATMENT from day 1 to the last
    /// dose, FOLLOW-UP after; empty when the date is partial or the subject has no day 1.
    pub(crate) fn epoch(&self, s: &Subject<'_>, dtc: &str) -> &'static str {
        let Some(day) = self.day(s, dtc) else {
            return "";
        };
        let last = s.arm.as_ref().map_or(1, |a| a.last_dose_day);
        epoch_of(day as i64, last)
    }
}

/// The epoch of a study day, the last dose on `last_dose_day`.
pub(crate) fn epoch_of(day: i64, last_dose_day: i32) -> &'static str {
    if day < 1 {
        "SCREENING"
    } else if day <= i64::from(last_dose_day) {
        "TREATMENT"
    } else {
        "FOLLOW-UP"
    }
}
