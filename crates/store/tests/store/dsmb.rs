//! The DSMB's part of safety in the system of record, on SQLite and PostgreSQL: an adverse
//! event's save fires a stopping rule (recorded, audited, notified), enrolment and dosing are
//! refused naming it until a DSMB member's signed decision resumes the study; concurrent saves
//! lose no firing; DLT assessments point at their adverse events; the safety tables by dose
//! level and pooled.

use std::sync::Arc;

use store::*;
use trial::safety::{AdverseEvent, AdverseEventForm, DsmbOutcome, EventContext, Term, TermTable};

use crate::common::*;
use crate::escalation::{enrolled, PHASE1};

/// The test's terms: every grade defined.
pub(crate) fn terms() -> Vec<Term> {
    ["Headache", "Aseptic meningitis", "Fever"]
        .iter()
        .enumerate()
        .map(|(i, name)| Term {
            code: format!("1000{i}"),
            name: name.to_string(),
            soc: "Nervous system disorders".into(),
            grades: [1, 2, 3, 4, 5].map(|g| Some(format!("{name} grade {g}"))),
            definition: None,
        })
        .collect()
}

/// An adverse event: `term` at `grade`, related (possible) to the product, serious by
/// hospitalisation when `serious`, beginning on `onset`.
pub(crate) fn ae(
    table: &TermTable,
    term: &str,
    grade: i64,
    serious: bool,
    onset: &str,
) -> AdverseEvent {
    AdverseEventForm {
        verbatim: term.to_lowercase(),
        term: term.into(),
        onset: onset.into(),
        end: None,
        grade: Some(grade),
        seriousness: if serious {
            vec!["hospitalisation".into()]
        } else {
            vec![]
        },
        causality_product: "possible".into(),
        causality_procedure: "not-related".into(),
        action: "dose-not-changed".into(),
        outcome: "recovering".into(),
    }
    .read(EventContext {
        terms: table,
        consent: time::macros::date!(2026 - 10 - 20),
        // The test's events run into 2027: its "today" is after them.
        today: time::macros::date!(2030 - 12 - 31),
    })
    .unwrap()
}

/// The Phase I study loaded with the test's terms.
pub(crate) async fn phase1(store: &Store) -> (trial::Study, TermTable) {
    let study = trial::Study::from_toml(PHASE1).unwrap();
    let system = Actor::system();
    store.load_study(&study, PHASE1, &system).await.unwrap();
    store.load_terms(&terms(), &system).await.unwrap();
    (study, store.terms().await.unwrap())
}

/// A participant screened, not enrolled.
async fn screened(store: &Store, study: &trial::Study, n: &str) -> i64 {
    let scope = Scope::Study(study.id.clone());
    store
        .screen(
            &scope,
            &crate::story::screening(&study.sites[0].id, &format!("S-{n}"), true),
            &Actor::system(),
        )
        .await
        .unwrap()
        .id
}

fn enrolment(id: i64, n: &str) -> Enrolment {
    Enrolment {
        participant_id: id,
        subject_id: format!("P1-{n}"),
        enrolled_on: "2026-10-25".into(),
        anchor_date: "2026-11-01".into(),
        visits: vec![],
    }
}

fn held_by(e: &StoreError, rule: &str) -> bool {
    matches!(e, StoreError::Conflict { field, message } if field == "stopping_rule" && message.contains(rule))
}

#[tokio::test]
async fn a_fired_rule_holds_enrolment_and_dosing_until_a_signed_dsmb_decision_resumes() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let (study, table) = phase1(&store).await;
        let scope = Scope::Study(study.id.clone());
        let inv = Actor::user(&user(&store, "inv").await);
        let member_user = user(&store, "member").await;
        let member = Actor::user(&member_user);
        let p0 = enrolled(&store, &study, 0, &inv).await;
        let p1 = enrolled(&store, &study, 1, &inv).await;
        store
            .assign_dose_level(&scope, &study, p0, None, None, &inv)
            .await
            .unwrap();
        // Grade 3, related: no rule fires.
        let grade3 = ae(&table, "Headache", 3, false, "2026-11-05");
        let rec = store
            .record_adverse_event(&scope, p0, &grade3, &inv)
            .await
            .unwrap();
        assert!(store
            .stopping_rule_firings(&study.id)
            .await
            .unwrap()
            .is_empty());
        // Changed to grade 4: the rule fires, in the change's write.
        let grade4 = ae(&table, "Headache", 4, false, "2026-11-05");
        store
            .change_adverse_event(&scope, p0, rec.id, &grade4, Some("worsened"), &inv)
            .await
            .unwrap();
        let fired = store.stopping_rule_firings(&study.id).await.unwrap();
        assert_eq!(fired.len(), 1);
        assert_eq!(
            (
                fired[0].rule_id.as_str(),
                fired[0].ae_ids.clone(),
                fired[0].fired_by.as_str()
            ),
            ("related-grade-4", rec.id.to_string(), "inv")
        );
        let trail = store
            .audit_of("stopping-rule", &format!("related-grade-4/{}", fired[0].id))
            .await
            .unwrap();
        assert_eq!(trail.len(), 2);
        for role in STOPPING_RULE_NOTIFIED {
            let n = store.notifications(&study.id, &[role], &inv).await.unwrap();
            assert_eq!(n.len(), 1, "{role:?}");
            assert!(n[0].kind == "stopping-rule" && n[0].message.contains("related-grade-4"));
        }
        assert!(store
            .notifications(&study.id, &[trial::Role::Investigator], &inv)
            .await
            .unwrap()
            .is_empty());
        // The same save again fires nothing new.
        store
            .change_adverse_event(
                &scope,
                p0,
                rec.id,
                &ae(&table, "Headache", 4, true, "2026-11-05"),
                Some("hospitalised"),
                &inv,
            )
            .await
            .unwrap();
        assert_eq!(
            store.stopping_rule_firings(&study.id).await.unwrap().len(),
            1
        );
        // Dosing and enrolment are refused, naming the rule; nothing is written.
        let e = store
            .assign_dose_level(&scope, &study, p1, None, None, &inv)
            .await
            .unwrap_err();
        assert!(
            held_by(&e, "related-grade-4") && e.to_string().contains("dosing"),
            "{e}"
        );
        let s = screened(&store, &study, "new").await;
        let e = store
            .enrol(&scope, &study, &enrolment(s, "new"), &inv)
            .await
            .unwrap_err();
        assert!(
            held_by(&e, "related-grade-4") && e.to_string().contains("enrolment"),
            "{e}"
        );
        assert_eq!(store.dose(&scope, p1).await.unwrap().0, None);
        assert_eq!(
            store.stopping_rules_holding(&study.id).await.unwrap()[0].0,
            "related-grade-4"
        );
        // A decision on a rule that has not fired is refused naming the fired one.
        let decide = |rule: &'static str, outcome| NewDsmbDecision {
            rule_id: rule,
            outcome,
            rationale: "reviewed the unblinded listings",
            signer: &member_user,
        };
        let e = store
            .record_dsmb_decision(
                &study.id,
                &decide("related-sae-first-6", DsmbOutcome::Continue),
                &member,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, message } if field == "rule_id" && message.contains("related-grade-4")),
            "{e}"
        );
        // Pause: still held, the refusal says the DSMB paused.
        store
            .record_dsmb_decision(
                &study.id,
                &decide("related-grade-4", DsmbOutcome::Pause),
                &member,
            )
            .await
            .unwrap();
        let e = store
            .assign_dose_level(&scope, &study, p1, None, None, &inv)
            .await
            .unwrap_err();
        assert!(
            held_by(&e, "related-grade-4") && e.to_string().contains("pause"),
            "{e}"
        );
        // Continue, signed: dosing and enrolment resume.
        let d = store
            .record_dsmb_decision(
                &study.id,
                &decide("related-grade-4", DsmbOutcome::Continue),
                &member,
            )
            .await
            .unwrap();
        assert_eq!(
            (d.outcome.as_str(), d.signer_name.as_str(), d.ae_ids.clone()),
            ("continue", "Dr member", rec.id.to_string())
        );
        assert_eq!(store.dsmb_decisions(&study.id).await.unwrap().len(), 2);
        let trail = store
            .audit_of("dsmb-decision", &format!("related-grade-4/{}", d.id))
            .await
            .unwrap();
        assert!(trail.iter().any(|r| r.field.as_deref() == Some("outcome")
            && r.new_value.as_deref() == Some("continue")
            && r.reason.as_deref() == Some("reviewed the unblinded listings")));
        store
            .assign_dose_level(&scope, &study, p1, None, None, &inv)
            .await
            .unwrap();
        store
            .enrol(&scope, &study, &enrolment(s, "new"), &inv)
            .await
            .unwrap();
        assert!(store
            .stopping_rules_holding(&study.id)
            .await
            .unwrap()
            .is_empty());
        // A new related grade 4 event fires the rule again: the decision did not review it.
        store
            .record_adverse_event(
                &scope,
                p1,
                &ae(&table, "Fever", 4, false, "2026-11-06"),
                &inv,
            )
            .await
            .unwrap();
        let e = store
            .enrol(
                &scope,
                &study,
                &enrolment(screened(&store, &study, "x").await, "x"),
                &inv,
            )
            .await
            .unwrap_err();
        assert!(held_by(&e, "related-grade-4"), "{e}");
        assert_eq!(
            store.stopping_rule_firings(&study.id).await.unwrap().len(),
            2
        );
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_adverse_event_saves_lose_no_firing() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let (study, table) = phase1(&store).await;
        let scope = Scope::Study(study.id.clone());
        let inv = Actor::user(&user(&store, "inv").await);
        let mut ids = Vec::new();
        for i in 0..3 {
            let p = enrolled(&store, &study, i, &inv).await;
            store
                .assign_dose_level(&scope, &study, p, None, None, &inv)
                .await
                .unwrap();
            ids.push(p);
        }
        // Three related SAEs at once, one per participant: the rule (2 of the first 6) must
        // fire on the events of the saves that see each other.
        let store = Arc::new(store);
        let sae = ae(&table, "Aseptic meningitis", 3, true, "2026-11-04");
        let mut tasks = Vec::new();
        for p in &ids {
            let (store, scope, inv, sae, p) =
                (store.clone(), scope.clone(), inv.clone(), sae.clone(), *p);
            tasks.push(tokio::spawn(async move {
                store.record_adverse_event(&scope, p, &sae, &inv).await
            }));
        }
        let mut events = Vec::new();
        for t in tasks {
            events.push(t.await.unwrap().unwrap().id);
        }
        events.sort_unstable();
        let fired = store.stopping_rule_firings(&study.id).await.unwrap();
        assert!(!fired.is_empty());
        assert!(fired.iter().all(|f| f.rule_id == "related-sae-first-6"));
        let all: Vec<String> = events.iter().map(i64::to_string).collect();
        assert_eq!(fired.last().unwrap().ae_ids, all.join(","));
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn a_dlt_names_its_adverse_events_and_the_tables_group_by_dose_level() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let (study, table) = phase1(&store).await;
        let scope = Scope::Study(study.id.clone());
        let inv_user = user(&store, "inv").await;
        let inv = Actor::user(&inv_user);
        let p0 = enrolled(&store, &study, 0, &inv).await;
        let p1 = enrolled(&store, &study, 1, &inv).await;
        let p2 = enrolled(&store, &study, 2, &inv).await;
        for p in [p0, p1] {
            store
                .assign_dose_level(&scope, &study, p, None, None, &inv)
                .await
                .unwrap();
        }
        // Before a dose level there is no candidate.
        assert!(store
            .dlt_candidates(&scope, &study, p2)
            .await
            .unwrap()
            .is_empty());
        let grade3 = store
            .record_adverse_event(
                &scope,
                p0,
                &ae(&table, "Aseptic meningitis", 3, false, "2026-11-10"),
                &inv,
            )
            .await
            .unwrap();
        let mild = store
            .record_adverse_event(
                &scope,
                p0,
                &ae(&table, "Headache", 1, false, "2026-11-10"),
                &inv,
            )
            .await
            .unwrap();
        let late = store
            .record_adverse_event(
                &scope,
                p0,
                &ae(&table, "Fever", 3, false, "2027-01-10"),
                &inv,
            )
            .await
            .unwrap();
        let other = store
            .record_adverse_event(
                &scope,
                p1,
                &ae(&table, "Fever", 3, false, "2026-11-10"),
                &inv,
            )
            .await
            .unwrap();
        let candidates = store.dlt_candidates(&scope, &study, p0).await.unwrap();
        let ids: Vec<i64> = candidates.iter().map(|c| c.ae_id).collect();
        assert_eq!(ids, [grade3.id]);
        let dlt = |ae_ids: Vec<i64>| NewDlt {
            participant_id: p0,
            dlt: true,
            onset_on: Some("2026-11-10".into()),
            description: "grade 3 aseptic meningitis".into(),
            assessed_on: "2026-11-11".into(),
            ae_ids,
            signer: &inv_user,
        };
        for (ae_ids, says) in [
            (vec![], "a DLT names"),
            (vec![other.id], "allowed"),
            (vec![late.id], "outside the DLT window"),
            (vec![grade3.id, grade3.id], "twice"),
        ] {
            let e = store
                .record_dlt(&scope, &study, &dlt(ae_ids), &inv)
                .await
                .unwrap_err();
            assert!(
                matches!(&e, StoreError::Invalid { field, message } if field == "ae_ids" && message.contains(says)),
                "{e}"
            );
        }
        assert_eq!(store.dose(&scope, p0).await.unwrap().1, None);
        let a = store
            .record_dlt(&scope, &study, &dlt(vec![grade3.id, mild.id]), &inv)
            .await
            .unwrap();
        let mut both = vec![grade3.id, mild.id];
        both.sort_unstable();
        assert_eq!((a.dlt, a.ae_ids.clone()), (true, both.clone()));
        let counts = store.cohort_counts(&study).await.unwrap();
        assert_eq!((counts[0].evaluable, counts[0].dlts), (1, 1));
        let trail = store
            .audit_of("dlt-assessment", &p0.to_string())
            .await
            .unwrap();
        let linked = both
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        assert!(trail.iter().any(|r| r.field.as_deref() == Some("ae_ids")
            && r.new_value.as_deref() == Some(linked.as_str())));
        // The tables: by dose level, and pooled.
        let by_level = store
            .safety_tables(&scope, &study, TableGrouping::DoseLevel)
            .await
            .unwrap();
        let groups: Vec<(&str, u32, u32)> = by_level
            .groups
            .iter()
            .map(|g| (g.group.as_str(), g.participants, g.with_any_ae))
            .collect();
        assert_eq!(groups, [("sad-1", 2, 2), (UNASSIGNED, 1, 0)]);
        let pooled = store
            .safety_tables(&scope, &study, TableGrouping::Pooled)
            .await
            .unwrap();
        assert_eq!(pooled.groups.len(), 1);
        assert_eq!(
            (pooled.groups[0].participants, pooled.groups[0].with_any_ae),
            (3, 2)
        );
        let fever = pooled.terms.iter().find(|t| t.term == "Fever").unwrap();
        assert_eq!((fever.any_grade[0], fever.by_worst_grade[0][2]), (2, 2));
    }
}
