//! A submission export's reads and its audit, on a fresh SQLite file and a fresh PostgreSQL
//! database: everything of the study in scope is read in one transaction, treatments only when
//! asked for, and the export is audited (blinded or not, what it included) only when the
//! mapping accepts the data.

use store::*;
use trial::{Covariates, Study};

use crate::common::*;

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

type Summary = (usize, usize, usize, Option<Vec<String>>);

/// What the mapping saw: participants, visits, forms, and the treatments by id.
fn summary(d: &SubmissionData) -> Summary {
    (
        d.participants.len(),
        d.visits.len(),
        d.forms.len(),
        d.treatments
            .as_ref()
            .map(|t| t.iter().map(|t| t.id.clone()).collect()),
    )
}

/// An export whose mapping only looks: what it saw.
async fn look(store: &Store, scope: &Scope, treatments: bool, by: &Actor) -> Summary {
    store
        .export_submission(scope, "sdtm", treatments, by, |d| {
            Ok::<_, String>(Exported {
                output: summary(&d),
                contents: vec![],
            })
        })
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn an_export_reads_the_study_in_scope_and_audits_what_it_included() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = Study::from_toml(PHASE2).unwrap();
        store
            .load_study(&study, PHASE2, &Actor::system())
            .await
            .unwrap();
        let by = Actor::user(&user(&store, "dm").await);
        let scope = Scope::Study(study.id.clone());
        store
            .generate_randomisation(&study, &ListRequest::new(3, 12, 40), &by)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for (i, site) in ["SYSU3", "SHEPHERD", "SYSU3"].into_iter().enumerate() {
            let p = store
                .screen(
                    &scope,
                    &NewScreening {
                        exam_raw: r#"{"c5RightMotor":"4"}"#.into(),
                        classification: r#"{"asiaImpairmentScale":"B"}"#.into(),
                        ..screening(site, &format!("S{i}"))
                    },
                    &by,
                )
                .await
                .unwrap();
            ids.push(p.id);
            if i == 2 {
                continue; // still in screening
            }
            store
                .enrol(
                    &scope,
                    &study,
                    &Enrolment {
                        participant_id: p.id,
                        subject_id: format!("00{i}"),
                        enrolled_on: "2026-10-22".into(),
                        anchor_date: "2026-10-23".into(),
                        visits: vec![],
                    },
                    &by,
                )
                .await
                .unwrap();
            let c = Covariates::new(&study, isncsci::Grade::B, isncsci::Level::C6, site).unwrap();
            store
                .randomise(&scope, &study, p.id, &c, &by)
                .await
                .unwrap();
        }

        // Blinded: no treatment read; every participant, the screening visits and exams.
        let seen = store
            .export_submission(&scope, "sdtm", false, &by, |d| {
                Ok::<_, String>(Exported {
                    output: summary(&d),
                    contents: vec![("datasets".into(), "DM 2".into())],
                })
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen, (3, 3, 3, None));
        let exported = store
            .export_submission(&scope, "sdtm", false, &by, |d| {
                let exam = &d.forms[0].data["exam"]["c5RightMotor"];
                Ok::<_, String>(Exported {
                    output: exam.clone(),
                    contents: vec![],
                })
            })
            .await
            .unwrap();
        assert_eq!(
            exported,
            Ok(serde_json::json!("4")),
            "forms are read as stored"
        );

        // Unblinded: each randomised participant's arm, as allocated.
        let (.., arms) = look(&store, &scope, true, &by).await;
        let allocated: Vec<(String,)> =
            sqlx::query_as("SELECT arm_id FROM allocations ORDER BY participant_id")
                .fetch_all(store.raw_pool())
                .await
                .unwrap();
        let allocated: Vec<String> = allocated.into_iter().map(|(a,)| a).collect();
        assert_eq!(arms, Some(allocated));

        // A site's scope reads its own participants only.
        let site = Scope::Sites {
            study: study.id.clone(),
            sites: vec!["SHEPHERD".into()],
        };
        let (people, visits, forms, _) = look(&store, &site, false, &by).await;
        assert_eq!((people, visits, forms), (1, 1, 1));

        // A mapping that refuses: its error, and nothing audited.
        let before = store.audit_of(SUBMISSION_ENTITY, &study.id).await.unwrap();
        let refused = store
            .export_submission(&scope, "sdtm", true, &by, |_| {
                Err::<Exported<()>, _>("AETERM too long".to_string())
            })
            .await
            .unwrap();
        assert_eq!(refused, Err("AETERM too long".to_string()));
        let after = store.audit_of(SUBMISSION_ENTITY, &study.id).await.unwrap();
        assert_eq!(before.len(), after.len());

        // Each export made is audited on the study's chain: format, blinding, what it held.
        let rows: Vec<(String, String)> = after
            .iter()
            .map(|r| {
                assert_eq!(
                    (r.action.as_str(), r.chain.as_str()),
                    ("export", "XS228-P2")
                );
                assert_eq!(r.username, "dm");
                (
                    r.field.clone().unwrap_or_default(),
                    r.new_value.clone().unwrap_or_default(),
                )
            })
            .collect();
        let pair = |f: &str, v: &str| (f.to_string(), v.to_string());
        assert_eq!(
            rows,
            [
                pair("format", "sdtm"),
                pair("blinding", "blinded: no treatment"),
                pair("datasets", "DM 2"),
                pair("format", "sdtm"),
                pair("blinding", "blinded: no treatment"),
                pair("format", "sdtm"),
                pair("blinding", "unblinded: treatments included"),
                pair("format", "sdtm"),
                pair("blinding", "blinded: no treatment"),
            ]
        );

        // Read in batches: the whole read cut by participant, batch after batch, with and
        // without treatments, in the study's scope and in a site's.
        for (scope, treatments) in [(&scope, false), (&scope, true), (&site, false)] {
            let whole = store
                .export_submission(scope, "sdtm", treatments, &by, |d| {
                    Ok::<_, String>(Exported {
                        output: d,
                        contents: vec![],
                    })
                })
                .await
                .unwrap()
                .unwrap();
            for size in [1, 2, 100] {
                let parts = store
                    .export_submission_batches(scope, "sdtm", treatments, &by, size, Keep::new())
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(parts.len(), whole.participants.len().div_ceil(size));
                assert!(parts.iter().all(|p| p.participants.len() <= size));
                assert_eq!(concat(parts), whole, "by {size}");
            }
        }
        // Audited as the whole read is; a refusal in a batch or at the end audits nothing.
        let before = store.audit_of(SUBMISSION_ENTITY, &study.id).await.unwrap();
        let made = store
            .export_submission_batches(&scope, "sdtm", false, &by, 1, Keep::new())
            .await
            .unwrap();
        assert!(made.is_ok());
        for refuse in [Refuse::Batch(2), Refuse::Finish] {
            let refused = store
                .export_submission_batches(
                    &scope,
                    "sdtm",
                    true,
                    &by,
                    1,
                    Keep {
                        refuse,
                        ..Keep::new()
                    },
                )
                .await
                .unwrap();
            assert_eq!(refused.unwrap_err(), format!("{refuse:?}"));
        }
        let after = store.audit_of(SUBMISSION_ENTITY, &study.id).await.unwrap();
        let added: Vec<(String, String)> = after[before.len()..]
            .iter()
            .map(|r| {
                (
                    r.field.clone().unwrap_or_default(),
                    r.new_value.clone().unwrap_or_default(),
                )
            })
            .collect();
        let pair = |f: &str, v: &str| (f.to_string(), v.to_string());
        assert_eq!(
            added,
            [
                pair("format", "sdtm"),
                pair("blinding", "blinded: no treatment"),
                pair("batches", "3 batches, 3 participants"),
            ]
        );
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

/// Where a [`Keep`] refuses.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Refuse {
    Never,
    /// At the batch of this number (from 1).
    Batch(usize),
    Finish,
}

/// A sink that keeps every batch it is given, or refuses where told.
struct Keep {
    batches: Vec<SubmissionData>,
    refuse: Refuse,
}

impl Keep {
    fn new() -> Keep {
        Keep {
            batches: Vec::new(),
            refuse: Refuse::Never,
        }
    }
}

impl SubmissionSink for Keep {
    type Output = Vec<SubmissionData>;
    type Error = String;

    fn batch(&mut self, data: SubmissionData) -> Result<(), String> {
        self.batches.push(data);
        if self.refuse == Refuse::Batch(self.batches.len()) {
            return Err(format!("{:?}", self.refuse));
        }
        Ok(())
    }

    fn finish(self) -> Result<Exported<Vec<SubmissionData>>, String> {
        if self.refuse == Refuse::Finish {
            return Err(format!("{:?}", self.refuse));
        }
        let people: usize = self.batches.iter().map(|b| b.participants.len()).sum();
        let contents = format!("{} batches, {people} participants", self.batches.len());
        Ok(Exported {
            output: self.batches,
            contents: vec![("batches".into(), contents)],
        })
    }
}

/// Batches put back together (the adverse events by batch, then in the order recorded: the
/// same as the whole read's order when no event of a later batch was recorded before one of
/// an earlier batch, as here, where there are none).
fn concat(batches: Vec<SubmissionData>) -> SubmissionData {
    let mut all = SubmissionData {
        participants: vec![],
        visits: vec![],
        forms: vec![],
        adverse_events: vec![],
        treatments: batches
            .first()
            .and_then(|b| b.treatments.as_ref().map(|_| vec![])),
        doses: vec![],
    };
    for b in batches {
        all.participants.extend(b.participants);
        all.visits.extend(b.visits);
        all.forms.extend(b.forms);
        all.adverse_events.extend(b.adverse_events);
        if let (Some(all), Some(these)) = (&mut all.treatments, b.treatments) {
            all.extend(these);
        }
        all.doses.extend(b.doses);
    }
    all
}
