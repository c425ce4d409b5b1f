//! `scitrial export synthetic`: a database of the Phase II study with many synthetic enrolled
//! participants, for the benchmark of the exports (`bench/export.sh`). Each participant is
//! screened with an eligible synthetic ISNCSCI exam (saved as the screening visit's form),
//! enrolled (and so randomised) and given a baseline vital-signs form that is then corrected
//! once with a reason, all through the same service functions and store writes the pages use,
//! so every row has its audit trail.

use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use isncsci::synth::{Below, Injury, Rng};
use isncsci::{Anal, Exam, Level};
use serde_json::{json, Map, Value};
use store::{Actor, NewUser, RoleAssignment, Scope};
use trial::{FormStatus, Role};
use web::service::{self, EnrolmentInput, ScreeningInput};

const PHASE2: &str = include_str!("../../../studies/xs228-phase2.toml");

/// Fills the database at `url` (made when missing) with `participants` participants, `tasks`
/// at a time.
pub async fn seed(url: &str, participants: usize) -> Result<()> {
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
    let system = Actor::system();
    let user = store
        .create_user(
            &NewUser {
                username: "synthetic".into(),
                full_name: "Synthetic Coordinator".into(),
                password_hash: store::password::hash("synthetic participants"),
                language: "en".into(),
            },
            &system,
        )
        .await?;
    let site = study.sites[0].id.clone();
    store
        .assign_role(
            &RoleAssignment {
                user_id: user.id,
                study_id: study.id.clone(),
                role: Role::Crc,
                site_id: Some(site.clone()),
            },
            &system,
        )
        .await?;
    let list = store::ListRequest::new(2019, participants, 2 * participants);
    store.generate_randomisation(&study, &list, &system).await?;
    let by = Actor::user(&user);
    let today = time::OffsetDateTime::now_utc().date();
    let tasks = 16.min(participants);
    let mut running = Vec::new();
    for t in 0..tasks {
        let (app, by, site) = (app.clone(), by.clone(), site.clone());
        running.push(tokio::spawn(async move {
            let mut rng = Rng::new(19 + t as u64);
            for n in (t..participants).step_by(tasks) {
                one(&app, &site, n, &mut rng, today, &by).await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in running {
        task.await??;
    }
    println!("{participants} synthetic participants of XS228-P2 in {url}");
    Ok(())
}

/// Screens, enrols and fills the baseline vital signs of participant `n`.
async fn one(
    app: &web::App,
    site: &str,
    n: usize,
    rng: &mut Rng,
    today: time::Date,
    by: &Actor,
) -> Result<()> {
    let scope = Scope::Study("XS228-P2".into());
    let level = rng.pick(&[Level::C5, Level::C6, Level::C7, Level::T4, Level::T10]);
    let injury = Injury {
        level,
        zone: rng.below(2),
        below: Below::Absent,
    };
    let exam = Exam {
        right: injury.side(rng),
        left: injury.side(rng),
        anal_contraction: Anal::No,
        anal_sensation: Anal::No,
    };
    let flat: Map<String, Value> = isncsci::flat::fields(&exam)
        .map(|(k, v)| (k, Value::String(v.to_string())))
        .collect();
    let screened_on = today - time::Duration::days(3);
    let input = ScreeningInput {
        site_id: site.to_string(),
        screening_number: format!("S{:05}", n + 1),
        sex: if n.is_multiple_of(3) {
            "female"
        } else {
            "male"
        }
        .into(),
        date_of_birth: store::date(screened_on - time::Duration::days(9000 + (n % 7000) as i64)),
        injury_date: store::date(screened_on - time::Duration::days(20)),
        consent_date: store::date(screened_on),
        screening_date: store::date(screened_on),
        exam: flat,
    };
    let p = service::screen(app, &scope, &input, by)
        .await
        .map_err(|e| anyhow!("screening {}: {e}", n + 1))?;
    let enrolment = EnrolmentInput {
        subject_id: format!("{:05}", n + 1),
        enrolled_on: store::date(today),
        anchor_date: Some(store::date(today + time::Duration::days(1))),
    };
    let p = service::enrol(app, &scope, p.id, &enrolment, by)
        .await
        .map_err(|e| anyhow!("enrolling {}: {e}", n + 1))?;
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
                &scope,
                &store::FormSave {
                    participant_id: p.id,
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
