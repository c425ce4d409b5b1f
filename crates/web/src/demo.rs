//! The demo: a user for every role and about 40 synthetic participants at every stage, seeded
//! through the same use cases as the API.

use isncsci::synth::{Below, Injury, Rng};
use isncsci::{
    Anal, Classification, Exam, Grade, Level, LevelResult, MotorLevel, MotorValue, SensoryValue,
    Side,
};
use store::{Actor, NewUser, RoleAssignment, Scope};
use time::{Date, Duration};
use trial::Role;

use crate::app::App;
use crate::service::{self, EnrolmentInput, ScreeningInput};

/// A demo account, printed for the person trying the demo.
#[derive(Clone, Debug)]
pub struct DemoUser {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Role.
    pub role: Role,
    /// Site, for site roles.
    pub site: Option<String>,
}

/// The demo accounts of a study: one per role (site roles at the first site), and a
/// coordinator at each other site.
pub fn users(study: &trial::Study) -> Vec<DemoUser> {
    let first = study.sites.first().map(|s| s.id.clone());
    let mut out: Vec<DemoUser> = Role::ALL
        .iter()
        .map(|role| DemoUser {
            username: role.as_str().replace('_', "-"),
            password: format!("demo-{}", role.as_str().replace('_', "-")),
            role: *role,
            site: role.is_site_scoped().then(|| first.clone()).flatten(),
        })
        .collect();
    for site in study.sites.iter().skip(1) {
        let name = format!("crc-{}", site.id.to_lowercase());
        out.push(DemoUser {
            password: format!("demo-{name}"),
            username: name,
            role: Role::Crc,
            site: Some(site.id.clone()),
        });
    }
    out
}

/// How an exam changes over the year after injury without the therapy, from the natural
/// history in domain.md §2: conversion of the AIS grade (A 25%, B 73%, C 75%, D none within
/// the year) and motor score gains (cervical UEMS about 8 ± 6 points; LEMS A 2.3 ± 7.4, B 8.8 ±
/// 13.9), most of it in the first three months.
#[derive(Clone, Debug)]
pub struct Recovery {
    /// The baseline grade.
    pub grade: Grade,
    /// Whether the grade converts within the year.
    pub converts: bool,
    /// The share of the year's recovery at which it converts.
    pub converts_at: f64,
    /// Upper-extremity motor points gained by one year.
    pub uems_gain: f64,
    /// Lower-extremity motor points gained by one year.
    pub lems_gain: f64,
    /// Without a conversion, motor function returns no further down than this level (three
    /// below the motor level: further would make the injury motor incomplete).
    pub reach: Option<Level>,
}

fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn normal(rng: &mut Rng, mean: f64, sd: f64) -> f64 {
    // Box–Muller.
    let (u1, u2) = (uniform(rng), uniform(rng));
    mean + sd * (-2.0 * (u1.max(1e-12)).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The share of the first year's recovery reached `days` after injury.
pub fn recovered_share(days: i64) -> f64 {
    let share = |d: f64| 1.0 - (-d / 60.0).exp();
    share(days.max(0) as f64) / share(365.0)
}

impl Recovery {
    /// Draws a participant's course from the baseline classification.
    pub fn draw(baseline: &Classification, rng: &mut Rng) -> Recovery {
        let grade = baseline.ais.iter().next().map_or(Grade::A, |(g, _)| g);
        let cervical = matches!(baseline.neurological_level.first(), Some(LevelResult::Level(l)) if l <= Level::T1);
        let (p, lems) = match grade {
            Grade::A => (0.25, (2.3, 7.4)),
            Grade::B => (0.73, (8.8, 13.9)),
            Grade::C => (0.75, (15.0, 10.0)),
            Grade::D => (0.0, (6.0, 5.0)),
            Grade::E => (0.0, (0.0, 0.0)),
        };
        let uems = match (cervical, grade) {
            (false, _) | (_, Grade::E) => (0.0, 0.0),
            (true, Grade::A) => (7.8, 6.5),
            (true, _) => (8.8, 6.1),
        };
        let mut recovery = Recovery {
            grade,
            converts: rng.chance(p),
            converts_at: 0.15 + 0.55 * uniform(rng),
            uems_gain: normal(rng, uems.0, uems.1).max(0.0),
            lems_gain: normal(rng, lems.0, lems.1).max(0.0),
            reach: None,
        };
        if !recovery.converts {
            let motor_level = [&baseline.right_motor, &baseline.left_motor]
                .iter()
                .filter_map(|l| match l.first() {
                    Some(LevelResult::Level(level)) => Some(level.index()),
                    _ => None,
                })
                .min();
            recovery.reach = motor_level.and_then(|i| Level::from_index(i + 3));
        }
        recovery
    }

    /// The exam `days` after injury, from the baseline exam taken `baseline_days` after injury.
    pub fn exam_at(&self, baseline: &Exam, baseline_days: i64, days: i64) -> Exam {
        let start = recovered_share(baseline_days);
        let share = ((recovered_share(days) - start) / (1.0 - start).max(1e-9)).clamp(0.0, 1.0);
        let mut exam = baseline.clone();
        let within = |m: &&MotorLevel| self.reach.is_none_or(|r| m.level() <= r);
        let upper: Vec<MotorLevel> = MotorLevel::ALL[..5]
            .iter()
            .filter(within)
            .copied()
            .collect();
        let lower: Vec<MotorLevel> = MotorLevel::ALL[5..]
            .iter()
            .filter(within)
            .copied()
            .collect();
        add_motor(&mut exam, &upper, (self.uems_gain * share).round() as u32);
        add_motor(&mut exam, &lower, (self.lems_gain * share).round() as u32);
        // Sensation returns a dermatome or two below the level.
        for side in Side::BOTH {
            let s = exam.side_mut(side);
            for _ in 0..(2.0 * share).round() as usize {
                if let Some(l) = Level::DERMATOMES
                    .into_iter()
                    .find(|l| s.touch(*l).grade() == Some(0))
                {
                    s.set_touch(l, SensoryValue::parse("1").unwrap_or(SensoryValue::NORMAL));
                    s.set_prick(l, SensoryValue::parse("1").unwrap_or(SensoryValue::NORMAL));
                }
            }
        }
        if self.converts && share >= self.converts_at {
            match self.grade {
                Grade::A => {
                    exam.right.set_touch(
                        Level::S4_5,
                        SensoryValue::parse("1").unwrap_or(SensoryValue::NORMAL),
                    );
                    exam.anal_sensation = Anal::Yes;
                }
                Grade::B => exam.anal_contraction = Anal::Yes,
                Grade::C => add_motor(&mut exam, &MotorLevel::ALL, 6),
                _ => {}
            }
        }
        exam
    }
}

/// Adds motor points, one at a time, to the most rostral muscle below normal, alternating sides.
fn add_motor(exam: &mut Exam, muscles: &[MotorLevel], points: u32) {
    for point in 0..points {
        let side = exam.side_mut(if point % 2 == 0 {
            Side::Right
        } else {
            Side::Left
        });
        let Some(m) = muscles
            .iter()
            .find(|m| side.motor(**m).grade().is_some_and(|g| g < 5))
        else {
            continue;
        };
        let grade = side.motor(*m).grade().unwrap_or(0) + 1;
        side.motor[m.index()] =
            MotorValue::new(Some(grade), isncsci::Flag::None).unwrap_or(MotorValue::NORMAL);
    }
}

fn flat_exam(exam: &Exam) -> serde_json::Map<String, serde_json::Value> {
    isncsci::flat::fields(exam)
        .map(|(k, v)| (k, serde_json::Value::String(v.to_string())))
        .collect()
}

struct ClassifiedExamParts {
    raw: String,
    classification: String,
}

fn classified(exam: &Exam) -> ClassifiedExamParts {
    let mut raw = String::new();
    isncsci::flat::json::write_exam(exam, None, &mut raw);
    ClassifiedExamParts {
        raw,
        classification: service::classification_json(&exam.classify()).to_string(),
    }
}

/// The demo's people in a study: the coordinators by site, and one account per role.
struct Staff {
    coordinators: Vec<(String, Actor)>,
    actors: Vec<(Role, Actor)>,
}

impl Staff {
    /// The account of a role (the system when there is none).
    fn actor(&self, role: Role) -> Actor {
        self.actors
            .iter()
            .find(|(r, _)| *r == role)
            .map_or_else(Actor::system, |(_, a)| a.clone())
    }
}

/// Seeds the study with the demo accounts and participants, unless it was seeded before.
/// Returns the accounts.
pub async fn seed(app: &App, study_id: &str, today: Date) -> Result<Vec<DemoUser>, String> {
    let study = app.study(study_id).map_err(|e| e.to_string())?;
    let accounts = users(study);
    let store = &app.store;
    if store
        .user_by_name(&accounts[0].username)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(accounts);
    }
    let staff = create_accounts(app, study, &accounts).await?;
    let scope = Scope::Study(study.id.clone());
    // A randomised study: the unblinded statistician generates the concealed list (a fixed
    // seed, so that every demo is alike) before the first enrolment.
    if study.randomisation.is_some() {
        let target = study.target_enrolment.max(1) as usize;
        store
            .generate_randomisation(
                study,
                228,
                target,
                2 * target,
                &staff.actor(Role::DsmbStatistician),
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut rng = Rng::new(228);
    for n in 0..40usize {
        let (site, by) = &staff.coordinators[n % staff.coordinators.len()];
        let drawn = draw_screening(n, site, today, &mut rng);
        let p = service::screen(app, &scope, &drawn.input, by)
            .await
            .map_err(|e| e.to_string())?;
        // Most eligible participants are enrolled; the last screened wait in screening.
        if !p.eligible || n >= 36 {
            continue;
        }
        let enrolled_on = drawn.screening_date + Duration::days(3);
        let enrolment = EnrolmentInput {
            subject_id: format!("XS228-{:03}", n + 1),
            enrolled_on: store::date(enrolled_on),
            anchor_date: Some(store::date(enrolled_on + Duration::days(4))),
        };
        let p = service::enrol(app, &scope, p.id, &enrolment, by)
            .await
            .map_err(|e| e.to_string())?;
        if study.randomisation.is_some() {
            allocate(app, &scope, &p, by, &staff).await?;
        }
        follow_up(app, &scope, &p, by, &drawn, today, &mut rng).await?;
        end_if_due(app, &scope, &p, n, drawn.screening_date, today).await?;
    }
    Ok(accounts)
}

/// Creates the demo accounts with their roles in the study.
async fn create_accounts(
    app: &App,
    study: &trial::Study,
    accounts: &[DemoUser],
) -> Result<Staff, String> {
    let store = &app.store;
    let system = Actor::system();
    let mut coordinators = Vec::new();
    let mut actors = Vec::new();
    for a in accounts {
        let full_name = format!("Demo {}", a.role.label());
        let user = store
            .create_user(
                &NewUser {
                    username: a.username.clone(),
                    full_name,
                    password_hash: store::password::hash(&a.password),
                    language: "en".into(),
                },
                &system,
            )
            .await
            .map_err(|e| e.to_string())?;
        let assignment = RoleAssignment {
            user_id: user.id,
            study_id: study.id.clone(),
            role: a.role,
            site_id: a.site.clone(),
        };
        store
            .assign_role(&assignment, &system)
            .await
            .map_err(|e| e.to_string())?;
        if a.role == Role::Crc {
            coordinators.push((a.site.clone().unwrap_or_default(), Actor::user(&user)));
        }
        actors.push((a.role, Actor::user(&user)));
    }
    Ok(Staff {
        coordinators,
        actors,
    })
}

/// A screening drawn for the demo, with its exam and dates.
struct Drawn {
    n: usize,
    input: ScreeningInput,
    exam: Exam,
    screening_date: Date,
    injury_date: Date,
}

/// The `n`th demo screening at a site.
fn draw_screening(n: usize, site: &str, today: Date, rng: &mut Rng) -> Drawn {
    let levels = [
        Level::C4,
        Level::C5,
        Level::C6,
        Level::C7,
        Level::T4,
        Level::T10,
        Level::L1,
    ];
    // Injury-shaped exams, mostly within the criteria (C4–L2, AIS A–C); a few are not.
    let level = if n % 9 == 8 {
        Level::C2
    } else {
        levels[rng.below(levels.len())]
    };
    let below = match rng.below(3) {
        0 => Below::Absent,
        1 => Below::SensorySpared,
        _ => Below::MotorSpared(1 + rng.below(2) as u8),
    };
    let injury = Injury {
        level,
        zone: rng.below(3),
        below,
    };
    let mut exam = Exam {
        right: injury.side(rng),
        left: injury.side(rng),
        anal_contraction: Anal::No,
        anal_sensation: Anal::No,
    };
    if below != Below::Absent {
        exam.anal_sensation = Anal::Yes;
    }
    let screening_date = today - Duration::days(5 + (n as i64 * 13) % 470);
    let injury_date = screening_date
        - Duration::days(if n % 11 == 10 {
            90
        } else {
            15 + rng.below(40) as i64
        });
    let age_years = if n % 13 == 12 {
        17
    } else {
        20 + rng.below(44) as i64
    };
    let dob = screening_date - Duration::days(age_years * 365 + 40);
    let input = ScreeningInput {
        site_id: site.to_string(),
        screening_number: format!("S{:03}", n + 1),
        sex: if rng.chance(0.8) {
            "male".into()
        } else {
            "female".into()
        },
        date_of_birth: store::date(dob),
        injury_date: store::date(injury_date),
        consent_date: store::date(screening_date - Duration::days(1)),
        screening_date: store::date(screening_date),
        exam: flat_exam(&exam),
    };
    Drawn {
        n,
        input,
        exam,
        screening_date,
        injury_date,
    }
}

/// Randomises a participant at enrolment; the unblinded pharmacist of the first site dispenses
/// the kits there; one participant is unblinded in an emergency.
async fn allocate(
    app: &App,
    scope: &Scope,
    p: &store::Participant,
    by: &Actor,
    staff: &Staff,
) -> Result<(), String> {
    let study = app.study(scope.study()).map_err(|e| e.to_string())?;
    let store = &app.store;
    let a = service::randomise_for(app, scope, p.id, by)
        .await
        .map_err(|e| e.to_string())?;
    if Some(&p.site_id) == study.sites.first().map(|s| &s.id) {
        store
            .dispense_kit(
                scope,
                p.id,
                &a.kit_number,
                &staff.actor(Role::UnblindedPharmacist),
            )
            .await
            .map_err(|e| e.to_string())?;
        if a.sequence == 7 {
            store
                .emergency_unblind(
                    scope,
                    p.id,
                    "suspected anaphylaxis after dosing: the treating physician must know the product",
                    &staff.actor(Role::Investigator),
                )
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The visits that took place (a few days either side of the target, now and then outside
/// the window or missed), each with its exam drawn from the participant's recovery.
async fn follow_up(
    app: &App,
    scope: &Scope,
    p: &store::Participant,
    by: &Actor,
    drawn: &Drawn,
    today: Date,
    rng: &mut Rng,
) -> Result<(), String> {
    let study = app.study(scope.study()).map_err(|e| e.to_string())?;
    let store = &app.store;
    let (exam, injury_date, n) = (&drawn.exam, drawn.injury_date, drawn.n);
    let recovery = Recovery::draw(&exam.classify(), rng);
    let baseline_days = (drawn.screening_date - injury_date).whole_days();
    for v in store.visits(scope, p.id).await.map_err(|e| e.to_string())? {
        let target = store::parse_date(&v.target).unwrap_or(today);
        // Visits in the past took place, a few days either side of the target; now and
        // then a participant misses the recent ones (never screening: they were enrolled).
        let screening = study.visit(&v.visit_id).is_some_and(|d| d.screening);
        if target + Duration::days(3) >= today
            || (n % 7 == 3 && !screening && target + Duration::days(60) > today)
        {
            continue;
        }
        // Mostly inside the window; now and then a few days outside (a protocol deviation).
        let (earliest, latest) = (
            store::parse_date(&v.earliest).unwrap_or(target),
            store::parse_date(&v.latest).unwrap_or(target),
        );
        let on = if rng.chance(0.9) {
            let span = (latest - earliest).whole_days().clamp(0, 6);
            (earliest.max(target - Duration::days(3))
                + Duration::days(rng.below(span as usize + 1) as i64))
            .min(latest)
        } else {
            latest + Duration::days(1 + rng.below(4) as i64)
        };
        store
            .record_visit(scope, p.id, &v.visit_id, &store::date(on), by)
            .await
            .map_err(|e| e.to_string())?;
        let with_exam = study.visit(&v.visit_id).is_some_and(|d| {
            !d.screening
                && d.forms.iter().any(|f| {
                    study
                        .form(f)
                        .is_some_and(|f| f.kind == trial::FormKind::Isncsci)
                })
        });
        if with_exam {
            let later = recovery.exam_at(exam, baseline_days, (on - injury_date).whole_days());
            let ClassifiedExamParts {
                raw,
                classification,
            } = classified(&later);
            let new = store::NewExam {
                participant_id: p.id,
                visit_id: v.visit_id.clone(),
                examined_on: store::date(on),
                raw,
                classification,
            };
            store
                .add_exam(scope, &new, by)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Ends the participation of some: one in ten withdrawn, those past the one-year follow-up
/// completed.
async fn end_if_due(
    app: &App,
    scope: &Scope,
    p: &store::Participant,
    n: usize,
    screening_date: Date,
    today: Date,
) -> Result<(), String> {
    let ending = if n % 10 == 4 {
        Some((
            store::status::WITHDRAWN,
            "participant moved to another city",
        ))
    } else if screening_date + Duration::days(380) < today {
        Some((store::status::COMPLETED, "completed the one-year follow-up"))
    } else {
        None
    };
    if let Some((status, reason)) = ending {
        let investigator = Actor::system();
        let end = store::Ending {
            participant_id: p.id,
            status: status.into(),
            on: store::date(today - Duration::days(2)),
            reason: reason.into(),
        };
        app.store
            .end_participation(scope, &end, &investigator)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Seeds a dose-escalation study with the demo accounts of the randomised study (each role
/// given in this study too, site roles at its sites) and a 3+3 escalation in progress: three
/// at the first level without DLT, six at the second with one DLT (expanded), and the first
/// participant of the third level inside the DLT window.
pub async fn seed_escalation(
    app: &App,
    study_id: &str,
    accounts: &[DemoUser],
    today: Date,
) -> Result<(), String> {
    let study = app.study(study_id).map_err(|e| e.to_string())?;
    let store = &app.store;
    let scope = Scope::Study(study.id.clone());
    if !store
        .participants(&scope)
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(());
    }
    let (crc, inv) = give_roles(app, study, accounts).await?;
    let (Some(crc), Some(inv), Some(site)) = (crc, inv, study.sites.first()) else {
        return Err(format!(
            "study {study_id} needs a coordinator and an investigator"
        ));
    };
    let cohort = Cohort {
        scope: &scope,
        site: &site.id,
        by: Actor::user(&crc),
        signer: Actor::user(&inv),
        inv: &inv,
        window: i64::from(study.dlt_window_days.unwrap_or(28)),
        today,
    };
    let mut rng = Rng::new(1);
    // (days ago of the first dose, DLT onset day when there is one)
    let plan: [(i64, Option<i64>); 10] = [
        (300, None),
        (290, None),
        (285, None),
        (220, None),
        (215, Some(9)),
        (210, None),
        (150, None),
        (145, None),
        (140, None),
        (6, None),
    ];
    for (n, (ago, dlt)) in plan.into_iter().enumerate() {
        let dosed = Dosed {
            n,
            first_dose: today - Duration::days(ago),
            dlt,
        };
        escalation_participant(app, &cohort, &dosed, &mut rng).await?;
    }
    Ok(())
}

/// Gives each demo account its role in the study (site roles at its sites); the coordinator and
/// the investigator.
async fn give_roles(
    app: &App,
    study: &trial::Study,
    accounts: &[DemoUser],
) -> Result<(Option<store::User>, Option<store::User>), String> {
    let store = &app.store;
    let system = Actor::system();
    let (mut crc, mut inv) = (None, None);
    for a in accounts {
        let Some(user) = store
            .user_by_name(&a.username)
            .await
            .map_err(|e| e.to_string())?
        else {
            continue;
        };
        let site = match &a.site {
            Some(site) if study.site(site).is_none() => continue,
            site => site.clone(),
        };
        let assignment = RoleAssignment {
            user_id: user.id,
            study_id: study.id.clone(),
            role: a.role,
            site_id: site,
        };
        store
            .assign_role(&assignment, &system)
            .await
            .map_err(|e| e.to_string())?;
        match a.role {
            Role::Crc => crc = Some(user),
            Role::Investigator => inv = Some(user),
            _ => {}
        }
    }
    Ok((crc, inv))
}

/// A participant of the escalation: when the first dose was given, and the onset day of a DLT.
struct Dosed {
    n: usize,
    first_dose: Date,
    dlt: Option<i64>,
}

/// What the participants of the demo escalation share: the coordinator who screens and enrols,
/// the investigator who signs the DLT assessments, the DLT window.
struct Cohort<'a> {
    scope: &'a Scope,
    site: &'a str,
    by: Actor,
    signer: Actor,
    inv: &'a store::User,
    window: i64,
    today: Date,
}

/// Screens, enrols and doses one participant of the escalation at the level the rule allows,
/// and records the DLT assessment once due.
async fn escalation_participant(
    app: &App,
    cohort: &Cohort<'_>,
    dosed: &Dosed,
    rng: &mut Rng,
) -> Result<(), String> {
    let (scope, by) = (cohort.scope, &cohort.by);
    let study = app.study(scope.study()).map_err(|e| e.to_string())?;
    let store = &app.store;
    let Dosed { n, first_dose, .. } = *dosed;
    let screening_date = first_dose - Duration::days(7);
    let injury = Injury {
        level: Level::C6,
        zone: 0,
        below: Below::SensorySpared,
    };
    let mut exam = Exam {
        right: injury.side(rng),
        left: injury.side(rng),
        anal_contraction: Anal::No,
        anal_sensation: Anal::Yes,
    };
    exam.anal_sensation = Anal::Yes;
    let input = ScreeningInput {
        site_id: cohort.site.to_string(),
        screening_number: format!("P1-S{:02}", n + 1),
        sex: if n % 4 == 0 { "female" } else { "male" }.into(),
        date_of_birth: store::date(screening_date - Duration::days(365 * (25 + n as i64 * 3))),
        injury_date: store::date(screening_date - Duration::days(20)),
        consent_date: store::date(screening_date - Duration::days(1)),
        screening_date: store::date(screening_date),
        exam: flat_exam(&exam),
    };
    let p = service::screen(app, scope, &input, by)
        .await
        .map_err(|e| e.to_string())?;
    if !p.eligible {
        return Err(format!(
            "demo participant {} is not eligible",
            input.screening_number
        ));
    }
    let enrolment = EnrolmentInput {
        subject_id: format!("XS228-P1-{:02}", n + 1),
        enrolled_on: store::date(screening_date + Duration::days(3)),
        anchor_date: Some(store::date(first_dose)),
    };
    let p = service::enrol(app, scope, p.id, &enrolment, by)
        .await
        .map_err(|e| e.to_string())?;
    let dose = store
        .assign_dose_level(scope, study, p.id, None, None, by)
        .await
        .map_err(|e| e.to_string())?;
    let level = study
        .dose_level(&dose.level_id)
        .map_or(1, |l| i64::from(l.last_dose_day()));
    if let Some(assessment) = dlt_assessment(cohort, dosed, p.id, level) {
        store
            .record_dlt(scope, study, &assessment, &cohort.signer)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The DLT assessment of a participant whose last dose is on `last_dose_day`: a DLT with its
/// onset, none once the window is over, or none yet.
fn dlt_assessment<'a>(
    cohort: &Cohort<'a>,
    dosed: &Dosed,
    participant_id: i64,
    last_dose_day: i64,
) -> Option<store::NewDlt<'a>> {
    let (first_dose, inv) = (dosed.first_dose, cohort.inv);
    let window_end = first_dose + Duration::days(last_dose_day - 1 + cohort.window);
    match dosed.dlt {
        Some(day) => Some(store::NewDlt {
            participant_id,
            dlt: true,
            onset_on: Some(store::date(first_dose + Duration::days(day - 1))),
            description: "grade 3 aseptic meningitis (CTCAE v5.0), resolved".into(),
            assessed_on: store::date(first_dose + Duration::days(day + 1)),
            signer: inv,
        }),
        None if window_end <= cohort.today => Some(store::NewDlt {
            participant_id,
            dlt: false,
            onset_on: None,
            description: "no dose-limiting toxicity in the window".into(),
            assessed_on: store::date(window_end),
            signer: inv,
        }),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simulated one-year outcomes, classified by the engine, match the natural history the
    /// model was drawn from (domain.md §2).
    #[test]
    fn a_year_of_simulated_recovery_matches_the_published_figures() {
        let mut rng = Rng::new(7);
        let mut tally = std::collections::BTreeMap::<&str, (u32, u32, f64)>::new();
        for n in 0..3000 {
            let (below, name) = match n % 3 {
                0 => (Below::Absent, "A"),
                1 => (Below::SensorySpared, "B"),
                _ => (Below::MotorSpared(1), "C"),
            };
            let injury = Injury {
                level: Level::C5,
                zone: 1,
                below,
            };
            let mut exam = Exam {
                right: injury.side(&mut rng),
                left: injury.side(&mut rng),
                anal_contraction: Anal::No,
                anal_sensation: Anal::No,
            };
            if below != Below::Absent {
                exam.anal_sensation = Anal::Yes;
            }
            if below == (Below::MotorSpared(1)) {
                exam.anal_contraction = Anal::Yes;
            }
            let baseline = exam.classify();
            if baseline.ais.to_string() != name {
                continue;
            }
            let recovery = Recovery::draw(&baseline, &mut rng);
            let year = recovery.exam_at(&exam, 20, 365).classify();
            let converted = year
                .ais
                .iter()
                .next()
                .is_some_and(|(g, _)| g.letter() > name);
            let gain = year.totals.upper_motor.0.unwrap_or(0) as f64
                - baseline.totals.upper_motor.0.unwrap_or(0) as f64;
            let t = tally.entry(name).or_default();
            *t = (t.0 + 1, t.1 + u32::from(converted), t.2 + gain);
        }
        let rate = |g: &str| tally[g].1 as f64 / tally[g].0 as f64;
        let mean_gain = |g: &str| tally[g].2 / tally[g].0 as f64;
        assert!(
            (0.15..=0.35).contains(&rate("A")),
            "A converts {:.2}",
            rate("A")
        );
        assert!(
            (0.60..=0.85).contains(&rate("B")),
            "B converts {:.2}",
            rate("B")
        );
        assert!(
            (4.0..=12.0).contains(&mean_gain("A")),
            "UEMS gain A {:.1}",
            mean_gain("A")
        );
        assert!(tally.values().all(|t| t.0 > 300), "{tally:?}");
    }

    #[test]
    fn most_recovery_happens_in_the_first_three_months() {
        assert!(recovered_share(90) > 0.75 && recovered_share(90) < 0.85);
        assert!(recovered_share(270) > 0.98);
        assert!((recovered_share(365) - 1.0).abs() < 1e-9);
    }
}
