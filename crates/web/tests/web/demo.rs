//! The seeded demo of both studies as a monitor would check it, on both databases: screening
//! after consent, the screening visit done on the screening date of everyone enrolled, visits
//! only where the schedule puts them (in their window or a few days out, never in the future or
//! after the participation ended), single-dose participants with a single-dose plan, few visits
//! left due or overdue, and each DLT assessment's form saying what the cohort view says.

use store::Scope;
use trial::{DoseSchedule, ParticipantStatus, VisitStatus};

use crate::common::{self, Demo, PHASE1, PHASE2};

#[tokio::test]
async fn the_seeded_demo_is_one_a_monitor_would_accept() {
    let today = time::OffsetDateTime::now_utc().date();
    // Copies of the demo seeded once per run: the seeding below finds it and returns the
    // accounts.
    for db in common::demo_databases("scitrial_demo", Demo::BothStudies, today).await {
        let (sql, app, _) = common::demo_app(db.url(), today).await;
        let date = |s: &str| store::parse_date(s).unwrap_or_else(|| panic!("{s}"));
        for study_id in ["XS228-P2", "XS228-P1"] {
            let study = &app.studies[study_id];
            let scope = Scope::Study(study_id.into());
            let doses = sql.doses(&scope).await.unwrap_or_default();
            let mut open_visits = 0;
            let participants = sql.participants(&scope).await.unwrap();
            assert!(participants.len() >= 10, "{study_id}");
            for p in &participants {
                let who = format!("{study_id} {}", p.screening_number);
                assert!(
                    date(&p.consent_date) <= date(&p.screening_date),
                    "{who}: screened before consent"
                );
                let visits = sql.visits(&scope, p.id).await.unwrap();
                if p.enrolled_on.is_none() {
                    // Before enrolment, only the screening visit, done on the screening date.
                    assert!(
                        visits.len() == 1
                            && study
                                .visit(&visits[0].visit_id)
                                .is_some_and(|d| d.screening)
                            && visits[0].done_on.as_deref() == Some(p.screening_date.as_str()),
                        "{who}: visits before enrolment: {visits:?}"
                    );
                    continue;
                }
                // Visits only where the schedule puts them: the participant's dose schedule.
                let schedule = doses
                    .iter()
                    .find(|(d, _)| d.participant_id == p.id)
                    .and_then(|(d, _)| study.dose_level(&d.level_id))
                    .map(|l| l.schedule);
                if !study.dose_levels.is_empty() {
                    assert!(schedule.is_some(), "{who}: no dose level");
                }
                let expected: Vec<&str> = study
                    .visits
                    .iter()
                    .filter(|v| match (v.dose_schedule, schedule) {
                        (Some(only), Some(s)) => only == s,
                        _ => true,
                    })
                    .map(|v| v.id.as_str())
                    .collect();
                let planned: Vec<&str> = visits.iter().map(|v| v.visit_id.as_str()).collect();
                assert_eq!(planned, expected, "{who}: the visit plan");
                if schedule == Some(DoseSchedule::Single) {
                    assert!(
                        !planned.contains(&"day-15") && !planned.contains(&"day-43"),
                        "{who}: a single-dose participant with multiple-dose visits"
                    );
                }
                for v in &visits {
                    let def = study.visit(&v.visit_id).unwrap();
                    let planned_visit = trial::PlannedVisit {
                        visit_id: v.visit_id.clone(),
                        name: v.name.clone(),
                        day: def.day,
                        target: date(&v.target),
                        earliest: date(&v.earliest),
                        latest: date(&v.latest),
                    };
                    let done = v.done_on.as_deref().map(date);
                    let status = trial::visit_status(&planned_visit, today, done);
                    let at = format!("{who} {}", v.visit_id);
                    if def.screening {
                        // Screened on the screening date, after consent, never due again.
                        assert_eq!(
                            v.done_on.as_deref(),
                            Some(p.screening_date.as_str()),
                            "{at}"
                        );
                        assert_eq!(status, VisitStatus::Done, "{at}");
                    }
                    if let Some(done) = done {
                        assert!(done >= date(&p.consent_date), "{at}: before consent");
                        assert!(done <= today, "{at}: in the future");
                        assert!(
                            done >= date(&v.earliest) - time::Duration::days(3)
                                && done <= date(&v.latest) + time::Duration::days(4),
                            "{at}: {done} far from its window {} to {}",
                            v.earliest,
                            v.latest
                        );
                        if let Some(ended) = &p.ended_on {
                            assert!(done <= date(ended), "{at}: after the end");
                        }
                    }
                    if p.status == ParticipantStatus::Enrolled
                        && matches!(status, VisitStatus::Due | VisitStatus::Overdue)
                    {
                        open_visits += 1;
                    }
                }
            }
            // A visit or so due per participant in follow-up, not the whole schedule.
            let following = participants
                .iter()
                .filter(|p| p.status == ParticipantStatus::Enrolled)
                .count();
            assert!(
                open_visits <= following + 2,
                "{study_id}: {open_visits} visits due or overdue for {following} participants"
            );
            // Each DLT assessment: its form on the participant's page says the same.
            for (dose, assessment) in &doses {
                let Some(a) = assessment else { continue };
                let forms = sql.forms(&scope, dose.participant_id).await.unwrap();
                let form = forms
                    .iter()
                    .find(|f| f.data.get("dlt_observed").is_some())
                    .unwrap_or_else(|| panic!("participant {}: no DLT form", dose.participant_id));
                assert_eq!(form.data["dlt_observed"], a.dlt, "{form:?}");
                assert_eq!(form.status, Some(trial::FormStatus::Complete), "{form:?}");
            }
        }
        // The participant page of the DLT the cohort view counts shows its form saved, and no
        // visit of the other dose schedule.
        let served = web::App::new(
            sql.clone(),
            &[PHASE2.to_string(), PHASE1.to_string()],
            false,
        )
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(web::serve(listener, served));
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let r = http
            .post(format!("{base}/api/login"))
            .json(
                &serde_json::json!({ "username": "data-manager", "password": "demo-data-manager" }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        let p1 = Scope::Study("XS228-P1".into());
        let dlt = sql
            .doses(&p1)
            .await
            .unwrap()
            .into_iter()
            .find(|(_, a)| a.as_ref().is_some_and(|a| a.dlt))
            .expect("a DLT in the demo")
            .0;
        let page = http
            .get(format!(
                "{base}/studies/XS228-P1/participants/{}",
                dlt.participant_id
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let after = page
            .split("Dose-limiting toxicity assessment")
            .nth(1)
            .unwrap_or_else(|| panic!("no DLT form: {page}"));
        let badge = after.split("class=\"badge ").nth(1).unwrap();
        assert!(!badge.starts_with("not-started"), "{badge}");
        assert!(!page.contains("Day 43 (MAD dose 4)"), "{page}");
    }
}
