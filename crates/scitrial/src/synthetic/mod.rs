//! `scitrial export synthetic`: a database of the Phase II study with many synthetic enrolled
//! participants, for the benchmarks of the exports (`bench/export.sh`) and of the analysis
//! (`bench/analysis.sh`). Each participant is screened with an eligible synthetic ISNCSCI exam
//! (AIS A, B or C; saved as the screening visit's form), enrolled, randomised and given
//! a baseline vital-signs form that is then corrected once with a reason, all through the same
//! service functions and store writes the pages use, so every row has its audit trail. With
//! `--follow-up` the participants were screened about seven months ago and have their visits
//! up to week 24 with their exams (`follow_up.rs`).
//!
//! Each participant's draws come from a generator seeded with their number, and the
//! enrolments and randomisations are made in the order of the subject ids: the same command
//! gives the same participants, arms and values.

mod follow_up;

use std::future::Future;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use isncsci::synth::{Below, Injury, Rng};
use isncsci::{Anal, Exam, Grade, Level};
use serde_json::json;
use store::{Actor, NewUser, RoleAssignment, Scope};
use time::{Date, Duration};
use trial::{FormStatus, Role};
use web::service::{self, EnrolmentInput, ScreeningInput};

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

/// Days before today that the first participant with a follow-up was enrolled: week 24's
/// window (day 169, 14 days after) is then past for everyone.
const FOLLOW_UP_DAYS: i64 = 200;
/// Concurrent tasks.
const TASKS: usize = 16;

/// A participant's screening: the exam and the dates.
struct Screening {
    exam: Exam,
    injury_date: Date,
    screened_on: Date,
    enrolled_on: Date,
}

/// Fills the database at `url` (made when missing) with `participants` participants; with
/// `follow_up`, with their visits up to week 24.
pub async fn seed(url: &str, participants: usize, follow_up: bool) -> Result<()> {
    if participants == 0 {
        bail!("--participants must be positive");
    }
    let store = Arc::new(store::open(url).await?);
    let app = Arc::new(
        web::App::new(store.clone(), &[PHASE2.to_string()], false)
            .await
            .map_err(|e| anyhow!("loading the study: {e}"))?,
    );
    let study = app.studies["XS228-P2"].clone();
    let site = study.sites[0].id.clone();
    let by = user(&store, &study.id, "synthetic", Role::Crc, &site).await?;
    let pharmacist = if follow_up {
        user(
            &store,
            &study.id,
            "pharmacist",
            Role::UnblindedPharmacist,
            &site,
        )
        .await?
    } else {
        Actor::system()
    };
    let list = store::ListRequest::new(2019, participants, 2 * participants);
    store
        .generate_randomisation(&study, &list, &Actor::system())
        .await?;
    let today = time::OffsetDateTime::now_utc().date();
    let screenings: Arc<Vec<Screening>> = Arc::new(
        (0..participants)
            .map(|n| screening(n, today, follow_up))
            .collect(),
    );
    // Screening, concurrently.
    let ids = each(participants, {
        let (app, by, site, screenings) =
            (app.clone(), by.clone(), site.clone(), screenings.clone());
        move |n| {
            let (app, by, site, screenings) =
                (app.clone(), by.clone(), site.clone(), screenings.clone());
            async move { screen(&app, &site, n, &screenings[n], &by).await }
        }
    })
    .await?;
    // Enrolment and randomisation, one at a time in the order of the subject ids.
    let scope = Scope::Study(study.id.clone());
    for (n, id) in ids.iter().enumerate() {
        let enrolled_on = screenings[n].enrolled_on;
        let enrolment = EnrolmentInput {
            subject_id: format!("{:05}", n + 1),
            enrolled_on: store::date(enrolled_on),
            anchor_date: Some(store::date(enrolled_on + Duration::days(1))),
        };
        service::enrol(&app, &scope, *id, &enrolment, &by)
            .await
            .map_err(|e| anyhow!("enrolling {}: {e}", n + 1))?;
        service::randomise_for(&app, &scope, *id, &by)
            .await
            .map_err(|e| anyhow!("randomising {}: {e}", n + 1))?;
    }
    // The baseline vital signs and the follow-up, concurrently.
    let ids = Arc::new(ids);
    each(participants, move |n| {
        let (app, by, pharmacist, screenings, ids) = (
            app.clone(),
            by.clone(),
            pharmacist.clone(),
            screenings.clone(),
            ids.clone(),
        );
        async move {
            let scope = Scope::Study("XS228-P2".into());
            vital_signs(&app, &scope, n, ids[n], &by).await?;
            if follow_up {
                let s = &screenings[n];
                let start = follow_up::Start {
                    participant_id: ids[n],
                    exam: &s.exam,
                    injury_date: s.injury_date,
                    screened_on: s.screened_on,
                };
                let mut rng = Rng::new(FOLLOW_UP_SEED + n as u64);
                follow_up::follow_up(&app, &scope, &start, &mut rng, &by, &pharmacist)
                    .await
                    .map_err(|e| anyhow!("following up {}: {e}", n + 1))?;
            }
            Ok(())
        }
    })
    .await?;
    println!(
        "{participants} synthetic participants of XS228-P2{} in {url}",
        if follow_up {
            ", followed up to week 24,"
        } else {
            ""
        }
    );
    Ok(())
}

/// The seed of the screening draws (participant `n` draws from this plus `n`).
const SCREENING_SEED: u64 = 19 << 32;
/// The seed of the follow-up draws.
const FOLLOW_UP_SEED: u64 = 24 << 32;

/// Runs `f` for `0..count` in [`TASKS`] concurrent tasks; its values in order.
async fn each<T, F, Fut>(count: usize, f: F) -> Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<T>> + Send,
{
    let tasks = TASKS.min(count);
    let mut running = Vec::new();
    for t in 0..tasks {
        let f = f.clone();
        running.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for n in (t..count).step_by(tasks) {
                out.push((n, f(n).await?));
            }
            Ok::<_, anyhow::Error>(out)
        }));
    }
    let mut all = Vec::with_capacity(count);
    for task in running {
        all.extend(task.await??);
    }
    all.sort_by_key(|(n, _)| *n);
    Ok(all.into_iter().map(|(_, v)| v).collect())
}

/// An account with one role at the site.
async fn user(
    store: &store::Store,
    study: &str,
    name: &str,
    role: Role,
    site: &str,
) -> Result<Actor> {
    let system = Actor::system();
    let user = store
        .create_user(
            &NewUser {
                username: name.into(),
                full_name: format!("Synthetic {}", role.label()),
                password_hash: store::password::hash("synthetic participants"),
                language: "en".into(),
            },
            &system,
        )
        .await?;
    store
        .assign_role(
            &RoleAssignment {
                user_id: user.id,
                study_id: study.to_owned(),
                role,
                site_id: Some(site.to_owned()),
            },
            &system,
        )
        .await?;
    Ok(Actor::user(&user))
}

/// Participant `n`'s screening exam (eligible: AIS A, B or C, level C5 to T10) and dates.
fn screening(n: usize, today: Date, follow_up: bool) -> Screening {
    let mut rng = Rng::new(SCREENING_SEED + n as u64);
    let exam = loop {
        let level = rng.pick(&[Level::C5, Level::C6, Level::C7, Level::T4, Level::T10]);
        let below = match rng.below(4) {
            0 | 1 => Below::Absent,
            2 => Below::SensorySpared,
            _ => Below::MotorSpared(1),
        };
        let injury = Injury {
            level,
            zone: rng.below(2),
            below,
        };
        let exam = Exam {
            right: injury.side(&mut rng),
            left: injury.side(&mut rng),
            anal_contraction: Anal::No,
            anal_sensation: if below == Below::Absent {
                Anal::No
            } else {
                Anal::Yes
            },
        };
        let grades: Vec<Grade> = exam.classify().ais.iter().map(|(g, _)| g).collect();
        if let [Grade::A | Grade::B | Grade::C] = grades[..] {
            break exam;
        }
    };
    let enrolled_on = if follow_up {
        today - Duration::days(FOLLOW_UP_DAYS + (n % 60) as i64)
    } else {
        today
    };
    let screened_on = enrolled_on - Duration::days(3);
    Screening {
        exam,
        injury_date: screened_on - Duration::days(20),
        screened_on,
        enrolled_on,
    }
}

/// Screens participant `n`: their id.
async fn screen(app: &web::App, site: &str, n: usize, s: &Screening, by: &Actor) -> Result<i64> {
    let scope = Scope::Study("XS228-P2".into());
    let input = ScreeningInput {
        site_id: site.to_string(),
        screening_number: format!("S{:05}", n + 1),
        sex: if n.is_multiple_of(3) {
            "female"
        } else {
            "male"
        }
        .into(),
        date_of_birth: store::date(s.screened_on - Duration::days(9000 + (n % 7000) as i64)),
        injury_date: store::date(s.injury_date),
        consent_date: store::date(s.screened_on),
        screening_date: store::date(s.screened_on),
        exam: follow_up::flat(&s.exam),
    };
    let p = service::screen(app, &scope, &input, by)
        .await
        .map_err(|e| anyhow!("screening {}: {e}", n + 1))?;
    Ok(p.id)
}

/// Saves participant `n`'s baseline vital signs, then corrects them once with a reason.
async fn vital_signs(app: &web::App, scope: &Scope, n: usize, id: i64, by: &Actor) -> Result<()> {
    let mut values = json!({"systolic_bp": 100 + n % 60, "diastolic_bp": 60 + n % 30,
        "heart_rate": 50 + n % 50, "respiratory_rate": 12 + n % 8, "temperature": 36.5,
        "weight": 70.25});
    for (reason, heart_rate) in [
        (None, 50 + n % 50),
        (Some("transcription error"), 51 + n % 50),
    ] {
        values["heart_rate"] = json!(heart_rate);
        app.store
            .save_form(
                scope,
                &store::FormSave {
                    participant_id: id,
                    visit_id: "baseline".into(),
                    form_id: "vital-signs".into(),
                    data: values.as_object().cloned().unwrap_or_default(),
                    status: FormStatus::Complete,
                    reason: reason.map(String::from),
                    eligibility: None,
                },
                by,
            )
            .await?;
    }
    Ok(())
}
