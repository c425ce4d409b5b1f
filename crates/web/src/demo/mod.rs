//! The demo: a user for every role and about 40 synthetic participants at every stage, seeded
//! through the same use cases as the API, a few adverse events among them (with the demo's own
//! terms, [`demo_terms`]); a Phase I escalation in [`escalation`]; follow-up exams drawn from
//! the natural history in [`recovery`]; lab values, an MRI read and a donor-specific antibody in
//! `labs`; the cell product's lot history and every dose given traced to a unit in `product`.

mod cases;
mod escalation;
mod labs;
mod product;
mod recovery;
mod safety;

pub use escalation::seed_escalation;
pub use recovery::{recovered_share, Recovery};
pub use safety::demo_terms;

use isncsci::synth::{Below, Injury, Rng};
use isncsci::{Anal, Exam, Level};
use store::{Actor, ListRequest, NewUser, RoleAssignment, Scope};
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
    // Every role, the manufacturer's (QC, the qualified person) included: they land on the
    // product's pages.
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

fn flat_exam(exam: &Exam) -> serde_json::Map<String, serde_json::Value> {
    isncsci::flat::fields(exam)
        .map(|(k, v)| (k, serde_json::Value::String(v.to_string())))
        .collect()
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
    // The terms are the installation's: loaded with the first study seeded.
    if store
        .terms()
        .await
        .map_err(|e| e.to_string())?
        .terms()
        .is_empty()
    {
        store
            .load_terms(&demo_terms(), &Actor::system())
            .await
            .map_err(|e| e.to_string())?;
    }
    let scope = Scope::Study(study.id.clone());
    // A randomised study: the unblinded statistician generates the concealed list (a fixed
    // seed, so that every demo is alike) before the first enrolment.
    if study.randomisation.is_some() {
        let target = study.target_enrolment.max(1) as usize;
        store
            .generate_randomisation(
                study,
                &ListRequest::new(228, target, 2 * target),
                &staff.actor(Role::DsmbStatistician),
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut rng = Rng::new(228);
    let mut events = 0;
    let mut enrolled = Vec::new();
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
        enrolled.push((p.clone(), enrolled_on));
        follow_up(app, &scope, &p, by, &drawn, today, &mut rng).await?;
        // Every fifth participant had an adverse event, once enough time has passed.
        if n % 5 == 0 && enrolled_on + Duration::days(10) <= today {
            safety::seed_event(app, &scope, &p, by, enrolled_on, events).await?;
            events += 1;
        }
        end_if_due(app, &scope, &p, n, drawn.screening_date, today).await?;
    }
    // The cell product: its lots in each state, a shipment's excursion, a late sterility
    // failure, and every participant dosed by day 1 given a unit of their kit's treatment.
    if study.randomisation.is_some() {
        product::seed_randomised(app, study, today, &staff.actor(Role::UnblindedPharmacist))
            .await?;
    }
    // Two SUSARs in the randomised study, one of them overdue.
    if study.randomisation.is_some() {
        cases::seed_susars(app, study, &scope, &staff, &enrolled, today).await?;
    }
    // Lab values (the randomised study's one grade 3 value proposes an event), its MRI read
    // and its positive donor-specific antibody.
    let randomised = study.randomisation.is_some();
    labs::seed_labs(app, study, today, randomised).await?;
    if randomised {
        labs::seed_forms(app, study, &staff.coordinators).await?;
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
        // The screening visit took place on the screening date (after consent), whoever was
        // enrolled. Later visits in the past took place, a few days either side of the
        // target; now and then a participant misses the recent ones.
        let screening = study.visit(&v.visit_id).is_some_and(|d| d.screening);
        if screening {
            // Recorded at screening, with its exam in the visit's ISNCSCI form.
            continue;
        }
        if target + Duration::days(3) >= today
            || (n % 7 == 3 && target + Duration::days(60) > today)
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
        let exam_form = study.visit(&v.visit_id).and_then(|d| {
            d.forms
                .iter()
                .find(|f| {
                    study
                        .form(f)
                        .is_some_and(|f| f.kind == trial::FormKind::Isncsci)
                })
                .cloned()
        });
        if let Some(form_id) = exam_form {
            // The visit's exam is its ISNCSCI form, saved as the worksheet saves it.
            let later = recovery.exam_at(exam, baseline_days, (on - injury_date).whole_days());
            let values = flat_exam(&later);
            let data = match service::isncsci_data(&values).map_err(|e| format!("{e:?}"))? {
                serde_json::Value::Object(map) => map,
                _ => return Err("an ISNCSCI form's values are an object".into()),
            };
            let save = store::FormSave {
                participant_id: p.id,
                visit_id: v.visit_id.clone(),
                form_id,
                data,
                status: trial::FormStatus::Complete,
                reason: None,
                eligibility: None,
            };
            store
                .save_form(scope, &save, by)
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
        Some(("withdrawn", "participant moved to another city"))
    } else if screening_date + Duration::days(380) < today {
        Some(("completed", "completed the one-year follow-up"))
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
