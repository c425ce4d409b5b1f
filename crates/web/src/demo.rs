//! The demo: a user for every role and about 40 synthetic participants at every stage, seeded
//! through the same use cases as the API.

use isncsci::synth::{Below, Injury, Rng};
use isncsci::{Anal, Exam, Level};
use store::{Actor, NewUser, RoleAssignment, Scope};
use time::{Date, Duration};
use trial::Role;

use crate::service::{self, EnrolmentInput, ScreeningInput};
use crate::App;

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

fn flat_exam(exam: &Exam) -> serde_json::Map<String, serde_json::Value> {
    isncsci::flat::fields(exam)
        .map(|(k, v)| (k, serde_json::Value::String(v.to_string())))
        .collect()
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
    let system = Actor::system();
    let mut coordinators = Vec::new();
    for a in &accounts {
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
    }
    let scope = Scope::Study(study.id.clone());
    let mut rng = Rng::new(228);
    let levels = [
        Level::C4,
        Level::C5,
        Level::C6,
        Level::C7,
        Level::T4,
        Level::T10,
        Level::L1,
    ];
    for n in 0..40usize {
        let (site, by) = &coordinators[n % coordinators.len()];
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
            right: injury.side(&mut rng),
            left: injury.side(&mut rng),
            anal_contraction: Anal::No,
            anal_sensation: Anal::No,
        };
        if below != Below::Absent {
            exam.anal_sensation = Anal::Yes;
        }
        let screening_date = today - Duration::days(5 + (n as i64 * 9) % 330);
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
            site_id: site.clone(),
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
        let p = service::screen(app, &scope, &input, by)
            .await
            .map_err(|e| e.to_string())?;
        // Most eligible participants are enrolled; the last screened wait in screening.
        if !p.eligible || n >= 36 {
            continue;
        }
        let enrolled_on = screening_date + Duration::days(3);
        let enrolment = EnrolmentInput {
            subject_id: format!("XS228-{:03}", n + 1),
            enrolled_on: store::date(enrolled_on),
            anchor_date: Some(store::date(enrolled_on + Duration::days(4))),
        };
        let p = service::enrol(app, &scope, p.id, &enrolment, by)
            .await
            .map_err(|e| e.to_string())?;
        for v in store
            .visits(&scope, p.id)
            .await
            .map_err(|e| e.to_string())?
        {
            let target = store::parse_date(&v.target).unwrap_or(today);
            // Visits in the past took place, a few days either side of the target.
            if target + Duration::days(3) < today
                && !(n % 7 == 3 && target + Duration::days(60) > today)
            {
                let shift = rng.below(5) as i64 - 2;
                let on = store::date(target + Duration::days(shift));
                store
                    .record_visit(&scope, p.id, &v.visit_id, &on, by)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
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
            store
                .end_participation(&scope, &end, &investigator)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(accounts)
}
