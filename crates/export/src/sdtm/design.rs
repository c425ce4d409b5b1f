//! The trial design domains, from the study definition: trial summary (TS), arms (TA),
//! elements (TE), visits (TV) and inclusion criteria (TI). They name the arms of the design,
//! never who is in which.

use trial::{ArmKind, Blinding, Design, Phase, Study};

use super::subject::{arm_of, ascii, Arm};
use super::table::{Char, Num, Table};
use crate::xpt::{Dataset, MAX_TEXT};

/// The arms of the design: a randomised study's arms, or a dose escalation's levels.
pub(crate) fn arms(study: &Study) -> Vec<Arm> {
    let ids: Vec<&str> = match study.design {
        Design::Randomised => study.arms.iter().map(|a| a.id.as_str()).collect(),
        Design::DoseEscalation => study.dose_levels.iter().map(|l| l.id.as_str()).collect(),
    };
    ids.into_iter().filter_map(|id| arm_of(study, id)).collect()
}

/// A text cut into pieces of at most 200 bytes, at character boundaries (TSVAL, TSVAL1, …).
pub(crate) fn pieces(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for c in text.chars() {
        if out
            .last()
            .is_some_and(|p| p.len() + c.len_utf8() > MAX_TEXT)
        {
            out.push(String::new());
        }
        if let Some(p) = out.last_mut() {
            p.push(c);
        }
    }
    out
}

fn phase(p: Phase) -> &'static str {
    match p {
        Phase::One => "PHASE I TRIAL",
        Phase::OneTwo => "PHASE I/II TRIAL",
        Phase::Two => "PHASE II TRIAL",
        Phase::Three => "PHASE III TRIAL",
        Phase::Four => "PHASE IV TRIAL",
    }
}

/// The study day `by` days after `day` (negative: before), with no day 0.
pub(crate) fn shift_day(day: i32, by: i64) -> i64 {
    let offset = if day >= 1 {
        i64::from(day) - 1
    } else {
        i64::from(day)
    } + by;
    if offset >= 0 {
        offset + 1
    } else {
        offset
    }
}

/// TS: the trial's parameters; `subjects` is the number of participants in DM and
/// `first_consent` the earliest consent among them.
pub(crate) fn ts(study: &Study, subjects: usize, first_consent: Option<&str>) -> Dataset {
    let mut params: Vec<(&str, &str, String)> = vec![
        ("TITLE", "Trial Title", ascii(&study.title)),
        (
            "TPHASE",
            "Trial Phase Classification",
            phase(study.phase).into(),
        ),
        ("REGID", "Registry Identifier", study.registry.clone()),
        ("STYPE", "Study Type", "INTERVENTIONAL".into()),
        (
            "TBLIND",
            "Trial Blinding Schema",
            match study.blinding {
                Blinding::OpenLabel => "OPEN LABEL".into(),
                Blinding::DoubleBlind => "DOUBLE BLIND".into(),
            },
        ),
        (
            "RANDOM",
            "Trial is Randomized",
            if study.design == Design::Randomised {
                "Y".into()
            } else {
                "N".into()
            },
        ),
        (
            "TCNTRL",
            "Control Type",
            if study.arms.iter().any(|a| a.kind == ArmKind::Placebo) {
                "PLACEBO".into()
            } else {
                "NONE".into()
            },
        ),
        (
            "NARMS",
            "Planned Number of Arms",
            arms(study).len().to_string(),
        ),
        (
            "PLANSUB",
            "Planned Number of Subjects",
            study.target_enrolment.to_string(),
        ),
        ("ACTSUB", "Actual Number of Subjects", subjects.to_string()),
    ];
    if let Some(age) = study.eligibility.age_years {
        params.push((
            "AGEMIN",
            "Planned Minimum Age of Subjects",
            format!("P{}Y", age.min),
        ));
        params.push((
            "AGEMAX",
            "Planned Maximum Age of Subjects",
            format!("P{}Y", age.max),
        ));
    }
    params.push(("SEXPOP", "Sex of Participants", "BOTH".into()));
    for a in study.arms.iter().filter(|a| a.kind == ArmKind::Active) {
        params.push((
            "TRT",
            "Investigational Therapy or Treatment",
            ascii(&a.name),
        ));
    }
    if let Some(first) = first_consent {
        params.push(("SSTDTC", "Study Start Date", first.to_string()));
    }
    let longest = params
        .iter()
        .map(|(.., v)| pieces(v).len())
        .max()
        .unwrap_or(1);
    const EXTRA: [&str; 4] = ["TSVAL1", "TSVAL2", "TSVAL3", "TSVAL4"];
    let mut columns = vec![
        ("STUDYID", "Study Identifier", Char),
        ("DOMAIN", "Domain Abbreviation", Char),
        ("TSSEQ", "Sequence Number", Num),
        ("TSPARMCD", "Trial Summary Parameter Short Name", Char),
        ("TSPARM", "Trial Summary Parameter", Char),
        ("TSVAL", "Parameter Value", Char),
    ];
    for name in EXTRA.iter().take(longest.saturating_sub(1)) {
        columns.push((name, "Parameter Value (continued)", Char));
    }
    let mut t = Table::new("TS", "Trial Summary", &columns);
    for (i, (code, name, value)) in params.iter().enumerate() {
        let seq = params[..i].iter().filter(|(c, ..)| c == code).count() + 1;
        t.add(|r| {
            r.text("STUDYID", &study.id)
                .text("DOMAIN", "TS")
                .num("TSSEQ", Some(seq as f64))
                .text("TSPARMCD", *code)
                .text("TSPARM", *name);
            let parts = pieces(value);
            // A value longer than the columns allow keeps its rest in the last one, where the
            // transport check refuses it, naming the record.
            let (first, rest) = parts.split_at(1);
            r.text("TSVAL", first[0].clone());
            for (j, part) in rest.iter().enumerate() {
                if let Some(name) = EXTRA.get(j) {
                    r.text(name, part.clone());
                }
            }
        });
    }
    t.dataset()
}

/// The elements: screening, one per arm, follow-up: (ETCD, ELEMENT, TESTRL, TEENRL, EPOCH).
fn elements(study: &Study) -> Vec<(String, String, String, String, &'static str)> {
    let mut out = vec![(
        "SCRN".to_string(),
        "Screening".to_string(),
        "Informed consent".to_string(),
        "First dose (study day 1)".to_string(),
        "SCREENING",
    )];
    for a in arms(study) {
        out.push((
            a.code.chars().take(8).collect(),
            a.name.clone(),
            "First dose (study day 1)".into(),
            format!("End of study day {} (the last dose)", a.last_dose_day),
            "TREATMENT",
        ));
    }
    out.push((
        "FU".into(),
        "Follow-up".into(),
        "The day after the last dose".into(),
        "End of participation".into(),
        "FOLLOW-UP",
    ));
    out
}

/// TE: the trial's elements.
pub(crate) fn te(study: &Study) -> Dataset {
    let mut t = Table::new(
        "TE",
        "Trial Elements",
        &[
            ("STUDYID", "Study Identifier", Char),
            ("DOMAIN", "Domain Abbreviation", Char),
            ("ETCD", "Element Code", Char),
            ("ELEMENT", "Description of Element", Char),
            ("TESTRL", "Rule for Start of Element", Char),
            ("TEENRL", "Rule for End of Element", Char),
        ],
    );
    for (code, name, start, end, _) in elements(study) {
        t.add(|r| {
            r.text("STUDYID", &study.id)
                .text("DOMAIN", "TE")
                .text("ETCD", code)
                .text("ELEMENT", name)
                .text("TESTRL", start)
                .text("TEENRL", end);
        });
    }
    t.dataset()
}

/// TA: each arm's elements in order: screening, its treatment, follow-up.
pub(crate) fn ta(study: &Study) -> Dataset {
    let mut t = Table::new(
        "TA",
        "Trial Arms",
        &[
            ("STUDYID", "Study Identifier", Char),
            ("DOMAIN", "Domain Abbreviation", Char),
            ("ARMCD", "Planned Arm Code", Char),
            ("ARM", "Description of Planned Arm", Char),
            ("TAETORD", "Planned Order of Element within Arm", Num),
            ("ETCD", "Element Code", Char),
            ("ELEMENT", "Description of Element", Char),
            ("EPOCH", "Epoch", Char),
        ],
    );
    let all = elements(study);
    for arm in arms(study) {
        let code: String = arm.code.chars().take(8).collect();
        let own = all
            .iter()
            .filter(|(c, ..)| *c == "SCRN" || *c == code || *c == "FU");
        for (order, (etcd, element, _, _, epoch)) in own.enumerate() {
            t.add(|r| {
                r.text("STUDYID", &study.id)
                    .text("DOMAIN", "TA")
                    .text("ARMCD", &arm.code)
                    .text("ARM", &arm.name)
                    .num("TAETORD", Some((order + 1) as f64))
                    .text("ETCD", etcd)
                    .text("ELEMENT", element)
                    .text("EPOCH", *epoch);
            });
        }
    }
    t.dataset()
}

/// TV: each planned visit with its window; a visit of one dose schedule only, once per arm of
/// that schedule.
pub(crate) fn tv(study: &Study) -> Dataset {
    let mut t = Table::new(
        "TV",
        "Trial Visits",
        &[
            ("STUDYID", "Study Identifier", Char),
            ("DOMAIN", "Domain Abbreviation", Char),
            ("VISITNUM", "Visit Number", Num),
            ("VISIT", "Visit Name", Char),
            ("VISITDY", "Planned Study Day of Visit", Num),
            ("ARMCD", "Planned Arm Code", Char),
            ("TVSTRL", "Visit Start Rule", Char),
            ("TVENRL", "Visit End Rule", Char),
        ],
    );
    for (i, v) in study.visits.iter().enumerate() {
        let arms: Vec<String> = match v.dose_schedule {
            None => vec![String::new()],
            Some(schedule) => study
                .dose_levels
                .iter()
                .filter(|l| l.schedule == schedule)
                .map(|l| super::subject::code_of(&l.id))
                .collect(),
        };
        for arm in arms {
            t.add(|r| {
                r.text("STUDYID", &study.id)
                    .text("DOMAIN", "TV")
                    .num("VISITNUM", Some((i + 1) as f64))
                    .text("VISIT", ascii(&v.name))
                    .num("VISITDY", Some(f64::from(v.day)))
                    .text("ARMCD", arm)
                    .text(
                        "TVSTRL",
                        format!(
                            "Study day {}",
                            shift_day(v.day, -i64::from(v.window_before))
                        ),
                    )
                    .text(
                        "TVENRL",
                        format!("Study day {}", shift_day(v.day, i64::from(v.window_after))),
                    );
            });
        }
    }
    t.dataset()
}

/// TI: the inclusion criteria the definition computes eligibility from.
pub(crate) fn ti(study: &Study) -> Dataset {
    let mut t = Table::new(
        "TI",
        "Trial Inclusion/Exclusion Criteria",
        &[
            ("STUDYID", "Study Identifier", Char),
            ("DOMAIN", "Domain Abbreviation", Char),
            ("IETESTCD", "Incl/Excl Criterion Short Name", Char),
            ("IETEST", "Inclusion/Exclusion Criterion", Char),
            ("IECAT", "Inclusion/Exclusion Category", Char),
            ("TIVERS", "Protocol Criteria Versions", Char),
        ],
    );
    let e = &study.eligibility;
    let mut criteria = Vec::new();
    if let Some(a) = e.age_years {
        criteria.push(format!("Age {} to {} years at screening", a.min, a.max));
    }
    if let Some(n) = e.nli {
        criteria.push(format!(
            "Neurological level of injury {} to {}",
            n.from.name().replace('_', "-"),
            n.to.name().replace('_', "-")
        ));
    }
    if let Some(grades) = &e.ais {
        let letters: Vec<&str> = grades.iter().map(|g| g.letter()).collect();
        criteria.push(format!("AIS grade {} at screening", letters.join(", ")));
    }
    if let Some(d) = e.days_from_injury_to_screening {
        criteria.push(format!(
            "{} to {} days from injury to screening",
            d.min, d.max
        ));
    }
    criteria.push("Informed consent on or before screening".into());
    for (i, text) in criteria.into_iter().enumerate() {
        t.add(|r| {
            r.text("STUDYID", &study.id)
                .text("DOMAIN", "TI")
                .text("IETESTCD", format!("INCL{:02}", i + 1))
                .text("IETEST", text)
                .text("IECAT", "INCLUSION")
                .text("TIVERS", study.protocol_version.clone().unwrap_or_default());
        });
    }
    t.dataset()
}
