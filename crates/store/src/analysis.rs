//! Loading the analysis: every enrolled participant of a study with their visits, the values
//! of their complete ISNCSCI, SCIM III and WISCI II forms, the stratification at
//! randomisation and whether the product was given, as `trial::analysis::Subject`s, with what
//! the CONSORT flow and Phase I's analyses read beside them. The arms are read only for an
//! unblinded run. Everything a run reads is read in one read snapshot ([`Store::snapshot`]),
//! outside any write, so that a run never waits for the study's saves; then the run is
//! recorded, one write that audits it: an unblinded run on the study's unblinded chain, a
//! pooled one on the study's chain of reads ([`crate::reads_chain`]). Its results are given
//! only once that record is committed (no record, no results).
//! [`Store::analysis`] is the one analyse path of the program, the API and the report page:
//! the lock read, the snapshot's read, the record, the derivations and analyses of
//! `trial::analysis`, the CONSORT flow and, for a dose-escalation study, Phase I's analyses.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::AnyConnection;
use trial::analysis::phase1::phase1;
use trial::analysis::{
    analyse, consort, derive, measurements_from_form, walking_exam_from_form, walking_visit,
    Assignment, Datasets, Measurement, Results, Screened, Subject, SubjectVisit, WalkingExam,
};
use trial::lock::LockState;
use trial::{FormKind, FormStatus, Study};

use crate::allocation::unblinded_chain;
use crate::chain::reads_chain;
use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::model::{parse_date, Actor, ParticipantRow, PARTICIPANT_COLUMNS};
use crate::{Change, Participant, Result, StoreError};

/// The audit action of an analysis run that reads the arms.
pub const ANALYSIS_UNBLINDED: &str = "analysis-unblinded";
/// The audit action of a pooled analysis run.
pub const ANALYSIS_POOLED: &str = "analysis-pooled";

/// An analysis run: the datasets, every result and the study's lock as read before the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// `ADSL` and `ADISN`.
    pub data: Datasets,
    /// The analyses, with the CONSORT flow and, for a dose-escalation study, Phase I's.
    pub results: Results,
    /// The study's lock, when locked.
    pub lock: Option<crate::StudyLock>,
}

impl Analysis {
    /// Where the study stood when the run read it.
    pub fn lock_state(&self) -> LockState {
        crate::StudyLock::state(self.lock.as_ref())
    }
}

/// What a run reads, in one snapshot.
struct Read {
    subjects: Vec<Subject>,
    screened: Vec<Screened>,
    administered: Option<BTreeSet<String>>,
    /// A dose-escalation study's.
    escalation: Option<EscalationRecords>,
}

impl Store {
    /// Analyses `study`: reads its lock, asks `by_arm` whether this run reads the arms given
    /// the lock's state, reads the participants (and what the CONSORT flow and, for a
    /// dose-escalation study, Phase I's analyses read) in one read snapshot, records the run
    /// (with `purpose(by_arm)` as the reason; see [`Store::analysis_subjects`]), then derives
    /// the datasets, runs the analyses and counts the CONSORT flow. Nothing is given when the
    /// record fails.
    pub async fn analysis(
        &self,
        study: &Study,
        by_arm: impl FnOnce(LockState) -> bool,
        purpose: impl FnOnce(bool) -> String,
        by: &Actor,
    ) -> Result<Analysis> {
        let lock = self.study_lock(&study.id).await?;
        let unblinded = by_arm(crate::StudyLock::state(lock.as_ref()));
        let read = {
            let mut snapshot = self.snapshot().await?;
            let conn: &mut AnyConnection = &mut snapshot;
            let subjects = subjects_in(conn, study, unblinded).await?;
            let (screened, administered) = consort_in(conn, study).await?;
            let escalation = match study.dose_levels.is_empty() {
                true => None,
                false => Some(escalation_in(conn, study).await?),
            };
            snapshot.rollback().await?;
            Read {
                subjects,
                screened,
                administered,
                escalation,
            }
        };
        self.record_analysis(
            study,
            unblinded,
            read.subjects.len(),
            &purpose(unblinded),
            by,
        )
        .await?;
        // Tens of milliseconds of computing for a study of hundreds: on a thread for blocking
        // work, not on one that serves requests (a save waiting behind it on its worker).
        let study = study.clone();
        let computed = tokio::task::spawn_blocking(move || {
            let data = derive(&study, &read.subjects);
            let mut results = analyse(&study, &data);
            results.consort = Some(consort(
                &study,
                &read.screened,
                &data,
                read.administered.as_ref(),
            ));
            if let Some(records) = &read.escalation {
                results.phase1 = Some(phase1(&study, &data, &records.dlts, &records.events));
            }
            (data, results)
        })
        .await;
        // A panic in the analysis is the caller's, as if it had run here.
        let (data, results) =
            computed.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        Ok(Analysis {
            data,
            results,
            lock,
        })
    }
}

/// A participant's allocation as the analysis reads it.
struct Assigned {
    strata: Vec<String>,
    on: Option<String>,
    treated: bool,
    unblinded: bool,
    arm: Option<String>,
}

impl Store {
    /// The enrolled participants of `study` as the analysis reads them (in one read snapshot),
    /// given once the run is recorded (`by`, with `purpose` as the reason): with `unblinded`
    /// the arms (or dose levels) are read and the run is recorded on the study's unblinded
    /// chain; without it no arm is read ([`Assignment::Hidden`]) and the run is recorded on
    /// the study's chain of reads.
    pub async fn analysis_subjects(
        &self,
        study: &Study,
        unblinded: bool,
        purpose: &str,
        by: &Actor,
    ) -> Result<Vec<Subject>> {
        let mut snapshot = self.snapshot().await?;
        let subjects = subjects_in(&mut snapshot, study, unblinded).await?;
        snapshot.rollback().await?;
        self.record_analysis(study, unblinded, subjects.len(), purpose, by)
            .await?;
        Ok(subjects)
    }

    /// Records a run that read `participants` participants: one write of its own, on the
    /// study's unblinded chain for an unblinded run and on its chain of reads for a pooled one,
    /// never on the study's own chain, so that it does not queue behind the study's saves on
    /// that chain's head (on PostgreSQL's lanes it runs on a route named after its chain, apart
    /// from the study's). A locked study accepts it (`trial::lock::AFTER_LOCK`).
    async fn record_analysis(
        &self,
        study: &Study,
        unblinded: bool,
        participants: usize,
        purpose: &str,
        by: &Actor,
    ) -> Result<()> {
        let (chain, action) = if unblinded {
            (unblinded_chain(&study.id), ANALYSIS_UNBLINDED)
        } else {
            (reads_chain(&study.id), ANALYSIS_POOLED)
        };
        let change = Change::new(action, "study", &study.id)
            .set("participants", participants)
            .because(purpose);
        let (route, by) = (chain.clone(), by.clone());
        self.write_in(&route, "record_analysis", move |mut tx| {
            Box::pin(async move { tx.audit(&chain, &by, &[change]).await })
        })
        .await
    }
}

/// The enrolled participants of `study` as the analysis reads them, on `conn` (a snapshot):
/// the arms only when `unblinded` or the study is open-label.
async fn subjects_in(
    conn: &mut AnyConnection,
    study: &Study,
    unblinded: bool,
) -> Result<Vec<Subject>> {
    let participants = participants_of(
        conn,
        &study.id,
        "AND subject_id IS NOT NULL ORDER BY subject_id",
    )
    .await?;
    // An open-label study's arms or dose levels are no secret: always read.
    let shown = unblinded || study.blinding == trial::Blinding::OpenLabel;
    let assigned = assignments(conn, study, shown).await?;
    let visits = visits(conn, &study.id).await?;
    let forms = forms(conn, study).await?;
    let mut subjects = Vec::new();
    for p in participants {
        if let Some(s) = subject(&p, &assigned, &visits, &forms)? {
            subjects.push(s);
        }
    }
    Ok(subjects)
}

/// What Phase I's analyses read beyond the datasets: each signed DLT assessment (subject id →
/// whether a DLT occurred) and every adverse event of an enrolled participant (subject id,
/// event), in the order recorded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EscalationRecords {
    /// Subject id → a DLT occurred.
    pub dlts: BTreeMap<String, bool>,
    /// (subject id, event).
    pub events: Vec<(String, trial::safety::AdverseEvent)>,
}

impl Store {
    /// The DLT assessments and adverse events of a study's enrolled participants, for Phase
    /// I's analyses (open-label: nothing read is blinded).
    pub async fn escalation_records(&self, study: &Study) -> Result<EscalationRecords> {
        escalation_in(&mut *self.pool.acquire().await?, study).await
    }

    /// What the CONSORT flow counts beyond the analysis datasets: everyone screened in the
    /// study (status, eligibility with its reasons, whether randomised or given a dose level,
    /// why participation ended), and the subject ids of the participants who received the
    /// product, when any administration is recorded in the study at all (`None` otherwise:
    /// not recorded, not guessed). No arm is read.
    pub async fn consort_records(
        &self,
        study: &Study,
    ) -> Result<(Vec<Screened>, Option<BTreeSet<String>>)> {
        consort_in(&mut *self.pool.acquire().await?, study).await
    }
}

/// [`Store::escalation_records`] on `conn`.
async fn escalation_in(conn: &mut AnyConnection, study: &Study) -> Result<EscalationRecords> {
    let subjects: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, subject_id FROM participants \
         WHERE study_id = $1 AND subject_id IS NOT NULL",
    )
    .bind(&study.id)
    .fetch_all(&mut *conn)
    .await?;
    let subjects: HashMap<i64, String> = subjects.into_iter().collect();
    let dlts: Vec<(i64, crate::dialect::Flag)> =
        sqlx::query_as("SELECT participant_id, dlt FROM dlt_assessments WHERE study_id = $1")
            .bind(&study.id)
            .fetch_all(&mut *conn)
            .await?;
    let dlts = dlts
        .into_iter()
        .filter_map(|(id, dlt)| subjects.get(&id).map(|s| (s.clone(), dlt.0)))
        .collect();
    let events = crate::events::study_events(conn, &study.id)
        .await?
        .into_iter()
        .filter_map(|e| {
            subjects
                .get(&e.participant_id)
                .map(|s| (s.clone(), e.event))
        })
        .collect();
    Ok(EscalationRecords { dlts, events })
}

/// The participants of a study, on `conn`: `rest` follows `WHERE study_id = $1` (more
/// conditions, the order).
async fn participants_of(
    conn: &mut AnyConnection,
    study_id: &str,
    rest: &str,
) -> Result<Vec<Participant>> {
    let sql = render(
        dialect_of(conn),
        &format!("SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE study_id = $1 {rest}"),
    );
    Ok(sqlx::query_as::<_, ParticipantRow>(&sql)
        .bind(study_id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(Participant::from)
        .collect())
}

/// [`Store::consort_records`] on `conn`.
async fn consort_in(
    conn: &mut AnyConnection,
    study: &Study,
) -> Result<(Vec<Screened>, Option<BTreeSet<String>>)> {
    let participants = participants_of(conn, &study.id, "ORDER BY id").await?;
    let assigned: Vec<(i64,)> = sqlx::query_as(
        "SELECT participant_id FROM allocations WHERE study_id = $1 \
         UNION SELECT participant_id FROM dose_assignments WHERE study_id = $1",
    )
    .bind(&study.id)
    .fetch_all(&mut *conn)
    .await?;
    let assigned: BTreeSet<i64> = assigned.into_iter().map(|(id,)| id).collect();
    let given: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT p.subject_id FROM product_administrations a \
         JOIN participants p ON p.id = a.participant_id \
         WHERE p.study_id = $1 AND p.subject_id IS NOT NULL",
    )
    .bind(&study.id)
    .fetch_all(&mut *conn)
    .await?;
    let administered = (!given.is_empty()).then(|| given.into_iter().map(|(s,)| s).collect());
    let screened = participants
        .into_iter()
        .map(|p| Screened {
            assigned: assigned.contains(&p.id),
            status: p.status,
            eligible: p.eligible,
            reasons: p.eligibility_reasons,
            end_reason: p.end_reason,
        })
        .collect();
    Ok((screened, administered))
}

fn stored_date(field: &str, text: &str) -> Result<time::Date> {
    parse_date(text).ok_or_else(|| StoreError::Invalid {
        field: field.into(),
        message: format!("{text:?} as stored is not a YYYY-MM-DD date"),
    })
}

fn subject(
    p: &Participant,
    assigned: &HashMap<i64, Assigned>,
    visits: &HashMap<i64, Vec<SubjectVisit>>,
    forms: &HashMap<i64, FormValues>,
) -> Result<Option<Subject>> {
    let (Some(subject_id), Some(enrolled_on)) = (&p.subject_id, &p.enrolled_on) else {
        return Ok(None);
    };
    let optional = |field: &str, text: &Option<String>| -> Result<Option<time::Date>> {
        text.as_deref().map(|t| stored_date(field, t)).transpose()
    };
    let a = assigned.get(&p.id);
    let assignment = match a {
        None => Assignment::None,
        Some(Assigned { arm: Some(arm), .. }) => Assignment::Shown(arm.clone()),
        Some(_) => Assignment::Hidden,
    };
    Ok(Some(Subject {
        subject_id: subject_id.clone(),
        site_id: p.site_id.clone(),
        sex: p.sex.clone(),
        date_of_birth: stored_date("date_of_birth", &p.date_of_birth)?,
        injury_date: stored_date("injury_date", &p.injury_date)?,
        screening_date: stored_date("screening_date", &p.screening_date)?,
        enrolled_on: stored_date("enrolled_on", enrolled_on)?,
        anchor_date: optional("anchor_date", &p.anchor_date)?,
        status: p.status,
        ended_on: optional("ended_on", &p.ended_on)?,
        end_reason: p.end_reason.clone(),
        assignment,
        strata: a.map(|a| a.strata.clone()).unwrap_or_default(),
        assigned_on: a
            .and_then(|a| a.on.as_deref())
            .and_then(|t| t.get(..10))
            .and_then(parse_date),
        treated: a.is_some_and(|a| a.treated),
        emergency_unblinded: a.is_some_and(|a| a.unblinded),
        visits: visits.get(&p.id).cloned().unwrap_or_default(),
        measurements: forms
            .get(&p.id)
            .map(|f| f.measurements.clone())
            .unwrap_or_default(),
        walking: forms
            .get(&p.id)
            .map(|f| f.walking.clone())
            .unwrap_or_default(),
    }))
}

/// Randomisations (strata, kit dispensed, emergency unblinding; the arm only when asked) or,
/// in a study without randomisation, dose levels (given once assigned).
async fn assignments(
    conn: &mut AnyConnection,
    study: &Study,
    unblinded: bool,
) -> Result<HashMap<i64, Assigned>> {
    let mut out = HashMap::new();
    if let Some(randomisation) = &study.randomisation {
        let arm = if unblinded { "arm_id" } else { "''" };
        let sql = render(
            dialect_of(conn),
            &format!(
                "SELECT participant_id, ais, injury_level, randomised_at::instant, \
             dispensed_at::instant, unblinded_at::instant, site_index, {arm} \
             FROM allocations WHERE study_id = $1"
            ),
        );
        type Row = (
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            i64,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(&study.id)
            .fetch_all(&mut *conn)
            .await?;
        for (id, ais, level, on, dispensed, unblinding, site, arm) in rows {
            let strata = randomisation
                .factors()
                .iter()
                .map(|f| match f {
                    trial::Factor::Ais => ais.clone(),
                    trial::Factor::Level => level.clone(),
                    trial::Factor::Site => usize::try_from(site)
                        .ok()
                        .and_then(|i| study.sites.get(i))
                        .map_or_else(|| site.to_string(), |s| s.id.clone()),
                })
                .collect();
            out.insert(
                id,
                Assigned {
                    strata,
                    on: Some(on),
                    treated: dispensed.is_some(),
                    unblinded: unblinding.is_some(),
                    arm: Some(arm).filter(|_| unblinded),
                },
            );
        }
    } else {
        let sql = render(
            dialect_of(conn),
            "SELECT participant_id, level_id, assigned_at::instant FROM dose_assignments \
             WHERE study_id = $1",
        );
        let rows: Vec<(i64, String, String)> = sqlx::query_as(&sql)
            .bind(&study.id)
            .fetch_all(&mut *conn)
            .await?;
        for (id, level, on) in rows {
            out.insert(
                id,
                Assigned {
                    strata: Vec::new(),
                    on: Some(on),
                    treated: true,
                    unblinded: false,
                    arm: Some(level).filter(|_| unblinded),
                },
            );
        }
    }
    Ok(out)
}

/// Every participant's planned visits with their windows and dates.
async fn visits(conn: &mut AnyConnection, study: &str) -> Result<HashMap<i64, Vec<SubjectVisit>>> {
    let sql = render(
        dialect_of(conn),
        "SELECT v.participant_id, v.visit_id, v.earliest::text, v.latest::text, v.done_on::text \
         FROM visits v JOIN participants p ON p.id = v.participant_id WHERE p.study_id = $1",
    );
    let rows: Vec<(i64, String, String, String, Option<String>)> = sqlx::query_as(&sql)
        .bind(study)
        .fetch_all(&mut *conn)
        .await?;
    let mut out: HashMap<i64, Vec<SubjectVisit>> = HashMap::new();
    for (id, visit_id, earliest, latest, done_on) in rows {
        let visit = SubjectVisit {
            earliest: stored_date("earliest", &earliest)?,
            latest: stored_date("latest", &latest)?,
            done_on: done_on
                .as_deref()
                .map(|d| stored_date("done_on", d))
                .transpose()?,
            visit_id,
        };
        out.entry(id).or_default().push(visit);
    }
    Ok(out)
}

/// A stored ISNCSCI form read for its classification alone (the exam beside it is skipped).
#[derive(serde::Deserialize)]
struct Classified {
    classification: Option<serde_json::Value>,
}

/// A participant's values read from the complete forms.
#[derive(Default)]
struct FormValues {
    measurements: Vec<Measurement>,
    walking: Vec<WalkingExam>,
}

/// The values of every complete form that holds a parameter (ISNCSCI, SCIM III, WISCI II), and
/// what the walking prognosis reads of each ISNCSCI exam.
async fn forms(conn: &mut AnyConnection, study: &Study) -> Result<HashMap<i64, FormValues>> {
    let sql = render(
        dialect_of(conn),
        "SELECT f.participant_id, f.visit_id, f.form_id, f.data::text FROM form_entries f \
         JOIN participants p ON p.id = f.participant_id WHERE p.study_id = $1 AND f.status = $2",
    );
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(&sql)
        .bind(&study.id)
        .bind(FormStatus::Complete.as_str())
        .fetch_all(&mut *conn)
        .await?;
    let mut out: HashMap<i64, FormValues> = HashMap::new();
    for (id, visit_id, form_id, data) in rows {
        let Some(form) = study.form(&form_id) else {
            continue;
        };
        // Of an ISNCSCI exam the walking prognosis does not read, only the classification is
        // kept: the exam is skipped, not built (most of the stored text of a trial). A form
        // that holds no classification is read whole: the analysis classifies its exam.
        let read = if form.kind == FormKind::Isncsci && !walking_visit(study, &visit_id) {
            serde_json::from_str::<Classified>(&data).and_then(|c| match c.classification {
                Some(c) if c.as_object().is_some_and(|m| !m.is_empty()) => {
                    let mut kept = serde_json::Map::new();
                    kept.insert("classification".into(), c);
                    Ok(serde_json::Value::Object(kept))
                }
                _ => serde_json::from_str(&data),
            })
        } else {
            serde_json::from_str(&data)
        };
        let data = read.map_err(|e| StoreError::Invalid {
            field: "form_entries.data".into(),
            message: format!("the stored form {form_id} of visit {visit_id} is not JSON: {e}"),
        })?;
        let values = out.entry(id).or_default();
        values
            .measurements
            .extend(measurements_from_form(form.kind, &visit_id, &data));
        values
            .walking
            .extend(walking_exam_from_form(form.kind, &visit_id, &data));
    }
    Ok(out)
}
