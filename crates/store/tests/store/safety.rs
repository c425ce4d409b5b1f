//! Adverse events in the system of record, on SQLite and PostgreSQL: the terms loaded in one
//! audited write, events recorded and changed with a reason (audited field by field), refusals
//! that write nothing, and site scoping.

use store::*;
use trial::safety::{AdverseEvent, AdverseEventForm, EventContext, Term, TermTable};

use crate::common::*;
use crate::story::screening;

/// An audit row of a change: field, old value, new value, reason.
type Update<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

fn term(code: &str, name: &str, grades: [bool; 5]) -> Term {
    Term {
        code: code.into(),
        name: name.into(),
        soc: "General disorders".into(),
        grades: [1, 2, 3, 4, 5].map(|g| grades[g - 1].then(|| format!("{name} grade {g}"))),
        definition: None,
    }
}

fn terms() -> Vec<Term> {
    vec![
        term("10016558", "Fever", [true; 5]),
        term("10019211", "Headache", [true, true, true, false, false]),
    ]
}

/// A participant screened at site `site` (index), enrolled when `enrol`.
async fn participant(
    store: &Store,
    study: &trial::Study,
    site: usize,
    n: &str,
    enrol: bool,
) -> i64 {
    let scope = Scope::Study(study.id.clone());
    let by = Actor::system();
    let site = &study.sites[site].id;
    let p = store
        .screen(&scope, &screening(site, &format!("S-{n}"), true), &by)
        .await
        .unwrap();
    if enrol {
        store
            .enrol(
                &scope,
                study,
                &Enrolment {
                    participant_id: p.id,
                    subject_id: format!("XS-{n}"),
                    enrolled_on: "2026-10-25".into(),
                    anchor_date: "2026-11-01".into(),
                    visits: vec![],
                },
                &by,
            )
            .await
            .unwrap();
    }
    p.id
}

fn event(
    table: &TermTable,
    term: &str,
    grade: i64,
    outcome: &str,
    end: Option<&str>,
) -> AdverseEvent {
    AdverseEventForm {
        verbatim: format!("{term} after dosing"),
        term: term.into(),
        onset: "2026-11".into(),
        end: end.map(String::from),
        grade: Some(grade),
        seriousness: vec![],
        causality_product: "possible".into(),
        causality_procedure: "not-related".into(),
        action: "dose-not-changed".into(),
        outcome: outcome.into(),
    }
    .read(EventContext {
        terms: table,
        consent: time::macros::date!(2026 - 10 - 20),
        today: time::macros::date!(2026 - 12 - 31),
    })
    .unwrap()
}

/// The Phase II study with its list (enrolment needs it) and the test's terms.
async fn phase2(store: &Store) -> (trial::Study, TermTable) {
    let study = trial::Study::from_toml(PHASE2).unwrap();
    let system = Actor::system();
    store.load_study(&study, PHASE2, &system).await.unwrap();
    store
        .generate_randomisation(&study, &ListRequest::new(7, 12, 40), &system)
        .await
        .unwrap();
    store.load_terms(&terms(), &system).await.unwrap();
    (study, store.terms().await.unwrap())
}

#[tokio::test]
async fn terms_load_in_one_audited_write_and_replace_the_old() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        assert!(store.terms().await.unwrap().terms().is_empty());
        let by = Actor::user(&user(&store, "op").await);
        assert_eq!(store.load_terms(&terms(), &by).await.unwrap(), 2);
        let table = store.terms().await.unwrap();
        assert_eq!(table.terms(), &terms()[..]);
        assert_eq!(table.find("headache").unwrap().defined_grades(), [1, 2, 3]);
        let rows = store.audit_of("ae-terms", "ctcae").await.unwrap();
        assert_eq!(rows.len(), 1);
        let value = rows[0].new_value.clone().unwrap();
        assert!(value.starts_with("2 terms, sha256 "), "{value}");
        assert_eq!(value.len(), "2 terms, sha256 ".len() + 64);
        // A name twice (ignoring case): refused, and the terms stay as they were.
        let mut twice = terms();
        twice.push(term("1", "FEVER", [true; 5]));
        let e = store.load_terms(&twice, &by).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, message } if field == "terms" && message.contains("FEVER")),
            "{e}"
        );
        assert_eq!(store.terms().await.unwrap().terms().len(), 2);
        assert_eq!(store.audit_of("ae-terms", "ctcae").await.unwrap().len(), 1);
        // Loading again replaces them, with another digest.
        store.load_terms(&terms()[..1], &by).await.unwrap();
        assert_eq!(store.terms().await.unwrap().terms().len(), 1);
        let rows = store.audit_of("ae-terms", "ctcae").await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_ne!(rows[0].new_value, rows[1].new_value);
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn adverse_events_are_recorded_changed_with_a_reason_and_scoped_by_site() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let (study, table) = phase2(&store).await;
        let crc = Actor::user(&user(&store, "crc").await);
        let all = Scope::Study(study.id.clone());
        let site_a = Scope::Sites {
            study: study.id.clone(),
            sites: vec![study.sites[0].id.clone()],
        };
        let site_b = Scope::Sites {
            study: study.id.clone(),
            sites: vec![study.sites[1].id.clone()],
        };
        let p = participant(&store, &study, 0, "1", true).await;
        let fever = event(&table, "Fever", 2, "recovering", None);
        let recorded = store
            .record_adverse_event(&site_a, p, &fever, &crc)
            .await
            .unwrap();
        assert_eq!(
            (
                recorded.participant_id,
                &recorded.event,
                recorded.recorded_by.as_str()
            ),
            (p, &fever, "crc")
        );
        let record = format!("{p}/ae/{}", recorded.id);
        let created = store.audit_of("adverse-event", &record).await.unwrap();
        let fields: Vec<&str> = created.iter().filter_map(|r| r.field.as_deref()).collect();
        // Every field with a value (the end is empty while the event goes on).
        assert_eq!(
            fields,
            [
                "verbatim",
                "term",
                "meddra_code",
                "soc",
                "onset",
                "grade",
                "serious",
                "seriousness",
                "causality_product",
                "causality_procedure",
                "action",
                "outcome"
            ]
        );
        assert!(created
            .iter()
            .all(|r| r.action == "create" && r.chain == study.id));

        // A change without a reason: refused, nothing written.
        let worse = event(&table, "Fever", 3, "recovered", Some("2026-11-20"));
        for reason in [None, Some("  ")] {
            let e = store
                .change_adverse_event(&site_a, p, recorded.id, &worse, reason, &crc)
                .await
                .unwrap_err();
            assert!(
                matches!(&e, StoreError::Invalid { field, .. } if field == "reason"),
                "{e}"
            );
        }
        assert_eq!(
            store
                .adverse_event(&all, p, recorded.id)
                .await
                .unwrap()
                .event,
            fever
        );
        assert_eq!(
            store
                .audit_of("adverse-event", &record)
                .await
                .unwrap()
                .len(),
            created.len()
        );
        // With a reason: each changed field, old and new value, with the reason.
        let changed = store
            .change_adverse_event(
                &site_a,
                p,
                recorded.id,
                &worse,
                Some("source checked"),
                &crc,
            )
            .await
            .unwrap();
        assert_eq!(changed.event, worse);
        let rows = store.audit_of("adverse-event", &record).await.unwrap();
        let updates: Vec<Update> = rows[created.len()..]
            .iter()
            .map(|r| {
                (
                    r.field.as_deref().unwrap_or(""),
                    r.old_value.as_deref(),
                    r.new_value.as_deref(),
                    r.reason.as_deref(),
                )
            })
            .collect();
        let why = Some("source checked");
        assert_eq!(
            updates,
            [
                ("end", None, Some("2026-11-20"), why),
                ("grade", Some("2"), Some("3"), why),
                ("outcome", Some("recovering"), Some("recovered"), why),
            ]
        );
        // Nothing changed: refused.
        let e = store
            .change_adverse_event(&site_a, p, recorded.id, &worse, Some("again"), &crc)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict { .. }), "{e}");

        // Site scoping: site B's users see neither the participant's events nor one event.
        assert!(matches!(
            store.adverse_events_of(&site_b, p).await.unwrap_err(),
            StoreError::NotFound {
                entity: "participant",
                ..
            }
        ));
        assert!(matches!(
            store
                .adverse_event(&site_b, p, recorded.id)
                .await
                .unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert!(matches!(
            store
                .change_adverse_event(&site_b, p, recorded.id, &fever, Some("r"), &crc)
                .await
                .unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert_eq!(store.adverse_events_of(&site_a, p).await.unwrap().len(), 1);
        // An event is reached only through its own participant.
        let q = participant(&store, &study, 0, "2", true).await;
        assert!(matches!(
            store.adverse_event(&all, q, recorded.id).await.unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert!(store.adverse_events_of(&all, q).await.unwrap().is_empty());

        // Only participants in the trial have events: not one still in screening.
        let screening = participant(&store, &study, 0, "3", false).await;
        let e = store
            .record_adverse_event(&all, screening, &fever, &crc)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, .. } if field == "participant"),
            "{e}"
        );
        assert!(store
            .adverse_events_of(&all, screening)
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

/// Grade 5 with outcome recovered: the form is refused naming both fields, so nothing reaches
/// the store; and the events stored read back exactly, partial dates and criteria included.
#[tokio::test]
async fn a_contradictory_event_is_refused_and_a_serious_one_reads_back_exactly() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let (study, table) = phase2(&store).await;
        let p = participant(&store, &study, 1, "1", true).await;
        let context = EventContext {
            terms: &table,
            consent: time::macros::date!(2026 - 10 - 20),
            today: time::macros::date!(2026 - 12 - 31),
        };
        let mut form = AdverseEventForm {
            verbatim: "high fever".into(),
            term: "fever".into(),
            onset: "2026".into(),
            end: Some("2026-12-01".into()),
            grade: Some(5),
            seriousness: vec!["death".into()],
            causality_product: "possible".into(),
            causality_procedure: "unlikely".into(),
            action: "drug-withdrawn".into(),
            outcome: "recovered".into(),
        };
        let problems: Vec<String> = form
            .read(context)
            .unwrap_err()
            .into_iter()
            .map(|p| p.path)
            .collect();
        assert!(
            problems.contains(&"grade".to_string()) && problems.contains(&"outcome".to_string()),
            "{problems:?}"
        );
        let all = Scope::Study(study.id.clone());
        assert!(store.adverse_events_of(&all, p).await.unwrap().is_empty());
        // The same event, fatal: it reads back as it was recorded.
        form.outcome = "fatal".into();
        form.seriousness = vec!["hospitalisation".into(), "death".into()];
        let fatal = form.read(context).unwrap();
        let recorded = store
            .record_adverse_event(&all, p, &fatal, &Actor::system())
            .await
            .unwrap();
        let back = store.adverse_events_of(&all, p).await.unwrap();
        assert_eq!(back, std::slice::from_ref(&recorded));
        assert_eq!(back[0].event, fatal);
        assert_eq!(back[0].event.term, "Fever");
        assert_eq!(back[0].event.onset.to_string(), "2026");
        assert!(back[0].created_at.ends_with('Z'), "{}", back[0].created_at);
    }
}

/// The investigator signs an event's assessment, bound to the event's hash: signed once, a
/// change voids it (audited with the change, in the change's own write) and the event shows
/// unsigned until signed again; a wrong password is recorded against the event.
#[tokio::test]
async fn the_investigator_signs_an_event_and_a_change_voids_it() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let (study, table) = phase2(&store).await;
        let investigator = user(&store, "inv").await;
        let inv = Actor::user(&investigator);
        let scope = Scope::Study(study.id.clone());
        let p = participant(&store, &study, 0, "1", true).await;
        let fever = event(&table, "Fever", 2, "recovering", None);
        let ae = store
            .record_adverse_event(&scope, p, &fever, &inv)
            .await
            .unwrap();
        assert!(!ae.signed && ae.signature.is_none());
        let signing = EventSigning {
            participant_id: p,
            ae_id: ae.id,
            meaning: "approved".into(),
            signer: &investigator,
        };
        // A meaning that is not one: refused, nothing signed.
        let bad = EventSigning {
            meaning: "agreed".into(),
            ..signing.clone()
        };
        let e = store
            .sign_adverse_event(&scope, &bad, &inv)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "meaning"),
            "{e}"
        );
        let signed = store
            .sign_adverse_event(&scope, &signing, &inv)
            .await
            .unwrap();
        let signature = signed.signature.clone().unwrap();
        assert!(signed.signed && signature.valid);
        assert_eq!(signature.data_hash, fever.signed_hash());
        assert_eq!(signature.signer_name, investigator.full_name);
        assert_eq!(signature.meaning, trial::Meaning::Approved);
        let record = format!("{p}/ae/{}", ae.id);
        let rows = store
            .audit_of("signature", &format!("{record}/{}", signature.id))
            .await
            .unwrap();
        let fields: Vec<&str> = rows.iter().filter_map(|r| r.field.as_deref()).collect();
        assert_eq!(
            fields,
            [
                "signed",
                "meaning",
                "signer_user_id",
                "signer_name",
                "signed_at",
                "data_hash"
            ]
        );
        // Signed once: a second signature of the same event is refused.
        let e = store
            .sign_adverse_event(&scope, &signing, &inv)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, .. } if field == "signature"),
            "{e}"
        );
        // The list shows the same state.
        let listed = store.adverse_events_of(&scope, p).await.unwrap();
        assert!(listed[0].signed);

        // A change with a reason voids it, in the same write.
        let worse = event(&table, "Fever", 3, "recovering", None);
        let changed = store
            .change_adverse_event(&scope, p, ae.id, &worse, Some("grade rechecked"), &inv)
            .await
            .unwrap();
        assert!(!changed.signed);
        let void = changed.signature.clone().unwrap();
        assert_eq!(void.id, signature.id);
        assert!(!void.valid && void.void_at.is_some());
        assert!(
            void.void_reason.as_deref().unwrap().contains("grade 2 → 3"),
            "{:?}",
            void.void_reason
        );
        let rows = store
            .audit_of("signature", &format!("{record}/{}", signature.id))
            .await
            .unwrap();
        let last = rows.last().unwrap();
        assert_eq!(
            (last.action.as_str(), last.reason.as_deref()),
            ("void", Some("grade rechecked"))
        );
        // Signed again over the changed event.
        let again = store
            .sign_adverse_event(&scope, &signing, &inv)
            .await
            .unwrap();
        let sig = again.signature.unwrap();
        assert!(again.signed && sig.id != signature.id);
        assert_eq!(sig.data_hash, worse.signed_hash());

        // A wrong password (checked by the caller) is recorded against the event.
        store
            .signature_refused(&scope, p, &trial::SignedRecord::AdverseEvent(ae.id), &inv)
            .await
            .unwrap();
        let refused = store.audit_of("adverse-event", &record).await.unwrap();
        let last = refused.last().unwrap();
        assert_eq!(
            (last.action.as_str(), last.new_value.as_deref()),
            ("sign-failed", Some("wrong password"))
        );
        // Another site's scope reaches neither the event nor its signing.
        let other = Scope::Sites {
            study: study.id.clone(),
            sites: vec![study.sites[1].id.clone()],
        };
        assert!(matches!(
            store.sign_adverse_event(&other, &signing, &inv).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}
