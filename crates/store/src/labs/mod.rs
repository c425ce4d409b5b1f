//! Laboratory results: the normal ranges (data per study, replaced by a load), each value
//! entered by the site or imported from a central lab's file, assessed by `trial::labs` when
//! written (converted to its test's unit, flagged against the range that applies on its
//! collection date for the participant's site, sex and age, graded by CTCAE v5.0 against the
//! participant's first value of the test as baseline) and kept with the range it was judged
//! by; a grade at or above the study's threshold opens a proposal of an adverse event for the
//! investigator (`proposals.rs`). `import.rs`: a central lab's file, all or nothing, once.
//! `tables.rs`: the DSMB's shifts from baseline and worst grades, by the groups asked for.

mod import;
mod proposals;
mod tables;

pub use import::{ImportOutcome, ImportPreviewRow};
pub use proposals::LabProposal;

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use trial::labs::{
    assess, catalogue, pick, proposes_event, Assessment, Entered, Flag, NormalRange, ProposalState,
    TargetFlag, TestDef,
};
use trial::{age_in_years, Change, Sex, Study};

use crate::db::{Store, Tx};
use crate::dialect::{dialect_of, render};
use crate::model::{instant, now, parse_date, participant_in, Actor, Participant, Scope};
use crate::{conflict, Result, StoreError};

/// The audit entity of a lab value.
const RESULT_ENTITY: &str = "lab-result";
/// The audit entity of a load of normal ranges.
const RANGES_ENTITY: &str = "lab-ranges";

/// A value to record.
#[derive(Clone, Debug)]
pub struct NewLabResult {
    /// The visit it belongs to.
    pub visit_id: String,
    /// The test's code.
    pub test: String,
    /// When the sample was taken.
    pub collected_at: OffsetDateTime,
    /// The number as written.
    pub value: String,
    /// Its unit (UCUM).
    pub unit: String,
    /// The lab's printed range, when given.
    pub lab_range: Option<String>,
}

/// A stored lab value.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LabResult {
    /// Its id.
    pub id: i64,
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// The test's code.
    pub test: String,
    /// When the sample was taken (UTC).
    #[schema(format = DateTime)]
    pub collected_at: String,
    /// The number as entered.
    pub entered_value: String,
    /// The unit as entered.
    pub entered_unit: String,
    /// The value in the test's unit.
    pub value: f64,
    /// The test's unit (UCUM).
    pub unit: String,
    /// The normal range that applied (the test's unit), when one did.
    pub range_low: Option<f64>,
    /// The normal range that applied (the test's unit), when one did.
    pub range_high: Option<f64>,
    /// The lab's printed range, as written.
    pub lab_range: Option<String>,
    /// The flag.
    pub flag: Flag,
    /// The CTCAE term the value graded, when graded.
    pub term: Option<String>,
    /// The CTCAE grade, when graded.
    pub grade: Option<u8>,
    /// The import it came from, when imported.
    pub import_id: Option<i64>,
    /// Who recorded or imported it.
    pub recorded_by: String,
    /// When.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The adverse event it proposes, when graded at or above the study's threshold.
    pub proposal: Option<LabProposal>,
    /// A drug level against the study's target range for it (below, within, above), when the
    /// study sets one: see [`LabResult::against_targets`].
    pub target: Option<TargetFlag>,
}

impl LabResult {
    /// Sets [`LabResult::target`] from the study definition's target ranges (a protocol's
    /// range, not data: a change of the definition re-judges every value).
    pub fn against_targets(mut self, labs: &trial::labs::LabsDefinition) -> LabResult {
        self.target = labs.target_flag(&self.test, self.value);
        self
    }
}

const RESULT_COLUMNS: &str = "id, participant_id, visit_id, test, collected_at::instant, \
    entered_value, entered_unit, value, range_low, range_high, lab_range, flag, term, grade, \
    import_id, recorded_by, created_at::instant";

#[derive(sqlx::FromRow)]
struct ResultRow {
    id: i64,
    participant_id: i64,
    visit_id: String,
    test: String,
    collected_at: String,
    entered_value: String,
    entered_unit: String,
    value: String,
    range_low: Option<String>,
    range_high: Option<String>,
    lab_range: Option<String>,
    flag: String,
    term: Option<String>,
    grade: Option<i64>,
    import_id: Option<i64>,
    recorded_by: String,
    created_at: String,
}

fn number(text: &str) -> f64 {
    // Written only by `decimal`; anything else reads as NaN, which no rule grades.
    text.parse().unwrap_or(f64::NAN)
}

/// A number as kept: the shortest text that reads back as the same double.
fn decimal(v: f64) -> String {
    format!("{v}")
}

impl ResultRow {
    fn record(self) -> LabResult {
        let unit = catalogue::test(&self.test).map_or("", |t| t.unit);
        LabResult {
            id: self.id,
            participant_id: self.participant_id,
            visit_id: self.visit_id,
            collected_at: self.collected_at,
            entered_value: self.entered_value,
            entered_unit: self.entered_unit,
            value: number(&self.value),
            unit: unit.to_string(),
            range_low: self.range_low.as_deref().map(number),
            range_high: self.range_high.as_deref().map(number),
            lab_range: self.lab_range,
            flag: Flag::parse(&self.flag).unwrap_or(Flag::NoRange),
            term: self.term,
            grade: self.grade.and_then(|g| u8::try_from(g).ok()),
            import_id: self.import_id,
            recorded_by: self.recorded_by,
            created_at: self.created_at,
            test: self.test,
            proposal: None,
            target: None,
        }
    }
}

/// The study's ranges of one test.
async fn ranges_of(conn: &mut AnyConnection, study: &str, test: &str) -> Result<Vec<NormalRange>> {
    let sql = render(
        dialect_of(conn),
        "SELECT test, site_id, sex, age_min, age_max, low, high, starts_on::text, ends_on::text \
         FROM lab_ranges WHERE study_id = $1 AND ($2 = '' OR test = $2) ORDER BY position",
    );
    let rows = sqlx::query(&sql)
        .bind(study)
        .bind(test)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let starts: String = row.try_get("starts_on")?;
        let ends: Option<String> = row.try_get("ends_on")?;
        let sex: Option<String> = row.try_get("sex")?;
        let (Some(valid_from), valid_to) =
            (parse_date(&starts), ends.as_deref().and_then(parse_date))
        else {
            continue;
        };
        out.push(NormalRange {
            test: row.try_get("test")?,
            site: row.try_get("site_id")?,
            sex: sex.as_deref().and_then(Sex::parse),
            age_min: row
                .try_get::<Option<i64>, _>("age_min")?
                .and_then(|a| i32::try_from(a).ok()),
            age_max: row
                .try_get::<Option<i64>, _>("age_max")?
                .and_then(|a| i32::try_from(a).ok()),
            low: number(&row.try_get::<String, _>("low")?),
            high: number(&row.try_get::<String, _>("high")?),
            valid_from,
            valid_to,
        });
    }
    Ok(out)
}

/// The participant's first value of a test collected before `before` (its baseline), in the
/// test's unit.
async fn baseline(
    conn: &mut AnyConnection,
    participant_id: i64,
    test: &str,
    before: OffsetDateTime,
) -> Result<Option<(OffsetDateTime, f64)>> {
    let sql = render(
        dialect_of(conn),
        "SELECT collected_at::instant, value FROM lab_results WHERE participant_id = $1 \
         AND test = $2 AND collected_at < $3::timestamptz ORDER BY collected_at LIMIT 1",
    );
    let row = sqlx::query(&sql)
        .bind(participant_id)
        .bind(test)
        .bind(instant(before))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => {
            let at: String = r.try_get("collected_at")?;
            let value: String = r.try_get("value")?;
            crate::model::parse_instant(&at).map(|t| (t, number(&value)))
        }
        None => None,
    })
}

/// Assesses a value of a participant: the range that applies on its collection date for the
/// participant's site, sex and age, and the baseline given.
fn assess_for(
    participant: &Participant,
    test: &TestDef,
    entered: Entered<'_>,
    collected_at: OffsetDateTime,
    ranges: &[NormalRange],
    baseline: Option<f64>,
) -> Result<Assessment> {
    let day = collected_at.date();
    let sex = Sex::parse(&participant.sex).unwrap_or(Sex::Other);
    let age = parse_date(&participant.date_of_birth).map_or(0, |dob| age_in_years(dob, day));
    let range =
        pick(ranges, test.code, &participant.site_id, sex, age, day).map(NormalRange::limits);
    Ok(assess(test, entered, range, baseline)?)
}

/// Inserts an assessed value and, when it proposes an event, its proposal; returns the
/// changes to audit.
#[allow(clippy::too_many_arguments)]
async fn insert_result(
    tx: &mut Tx<'_>,
    study: &Study,
    participant: &Participant,
    new: &NewLabResult,
    test: &TestDef,
    assessment: &Assessment,
    import_id: Option<i64>,
    by: &Actor,
) -> Result<(i64, Vec<Change>)> {
    let at = now();
    let sql = tx.sql(
        "INSERT INTO lab_results (participant_id, visit_id, test, collected_at, entered_value, \
         entered_unit, value, range_low, range_high, lab_range, flag, term, grade, import_id, \
         recorded_by, created_at) VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16::timestamptz) RETURNING id",
    );
    let id: i64 = sqlx::query(&sql)
        .bind(participant.id)
        .bind(&new.visit_id)
        .bind(test.code)
        .bind(instant(new.collected_at))
        .bind(new.value.trim())
        .bind(new.unit.trim())
        .bind(decimal(assessment.value))
        .bind(assessment.low.map(decimal))
        .bind(assessment.high.map(decimal))
        .bind(
            new.lab_range
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty()),
        )
        .bind(assessment.flag.as_str())
        .bind(assessment.term)
        .bind(assessment.grade.map(i64::from))
        .bind(import_id)
        .bind(&by.username)
        .bind(&at)
        .fetch_one(tx.conn())
        .await
        .map_err(conflict(
            "collected_at",
            &format!(
                "a value of {} collected at this time is recorded already for this participant",
                test.code
            ),
        ))?
        .try_get("id")?;
    let mut changes = vec![
        Change::new("create", RESULT_ENTITY, id).set("participant", participant.id),
        Change::new("create", RESULT_ENTITY, id).set("visit", &new.visit_id),
        Change::new("create", RESULT_ENTITY, id).set("test", test.code),
        Change::new("create", RESULT_ENTITY, id)
            .set("value", format!("{} {}", new.value.trim(), new.unit.trim())),
        Change::new("create", RESULT_ENTITY, id).set("collected_at", instant(new.collected_at)),
        Change::new("create", RESULT_ENTITY, id).set("flag", assessment.flag),
    ];
    if let (Some(term), Some(grade)) = (assessment.term, assessment.grade) {
        changes.push(
            Change::new("create", RESULT_ENTITY, id).set("grade", format!("{term} grade {grade}")),
        );
    }
    if proposes_event(assessment, study.labs.ae_threshold) {
        if let (Some(term), Some(grade)) = (assessment.term, assessment.grade) {
            let sql = tx.sql(
                "INSERT INTO lab_ae_proposals (result_id, participant_id, term, grade, state, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz) RETURNING id",
            );
            let proposal: i64 = sqlx::query(&sql)
                .bind(id)
                .bind(participant.id)
                .bind(term)
                .bind(i64::from(grade))
                .bind(ProposalState::Open.as_str())
                .bind(&at)
                .fetch_one(tx.conn())
                .await?
                .try_get("id")?;
            changes.push(
                Change::new("create", proposals::PROPOSAL_ENTITY, proposal).set(
                    "proposal",
                    format!("{term} grade {grade} from lab result {id}"),
                ),
            );
        }
    }
    Ok((id, changes))
}

/// The study's test of a code, or a refusal naming `test` and the study's codes.
fn study_test(study: &Study, code: &str) -> Result<&'static TestDef> {
    Ok(study.labs.test("test", code)?)
}

/// A visit of the study, or a refusal naming the visits.
fn check_visit(study: &Study, visit: &str) -> Result<()> {
    if study.visits.iter().any(|v| v.id == visit) {
        Ok(())
    } else {
        let ids: Vec<&str> = study.visits.iter().map(|v| v.id.as_str()).collect();
        Err(trial::Refusal::not_allowed("visit_id", visit, &ids).into())
    }
}

impl Store {
    /// Replaces a study's normal ranges (read and checked by `trial::labs::read_ranges`) in
    /// one write, audited as one row with the count and the SHA-256 of the file.
    pub async fn load_lab_ranges(
        &self,
        study: &str,
        ranges: &[NormalRange],
        digest: &str,
        by: &Actor,
    ) -> Result<usize> {
        let (study, ranges, digest, by) = (
            study.to_string(),
            ranges.to_vec(),
            digest.to_string(),
            by.clone(),
        );
        self.write("load_lab_ranges", move |mut tx| {
            Box::pin(async move {
                sqlx::query(&tx.sql("DELETE FROM lab_ranges WHERE study_id = $1"))
                    .bind(&study)
                    .execute(tx.conn())
                    .await?;
                let sql = tx.sql(
                    "INSERT INTO lab_ranges (study_id, position, test, site_id, sex, age_min, \
                     age_max, low, high, starts_on, ends_on) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                     $8, $9, $10::date, $11::date)",
                );
                for (position, r) in ranges.iter().enumerate() {
                    sqlx::query(&sql)
                        .bind(&study)
                        .bind(position as i64)
                        .bind(&r.test)
                        .bind(&r.site)
                        .bind(r.sex.map(|s| s.as_str()))
                        .bind(r.age_min.map(i64::from))
                        .bind(r.age_max.map(i64::from))
                        .bind(decimal(r.low))
                        .bind(decimal(r.high))
                        .bind(crate::model::date(r.valid_from))
                        .bind(r.valid_to.map(crate::model::date))
                        .execute(tx.conn())
                        .await?;
                }
                let change = Change::new("load", RANGES_ENTITY, &study).set(
                    "ranges",
                    format!("{} ranges, sha256 {digest}", ranges.len()),
                );
                tx.audit(&study, &by, &[change]).await?;
                Ok(ranges.len())
            })
        })
        .await
    }

    /// A study's normal ranges, in the order loaded.
    pub async fn lab_ranges(&self, study: &str) -> Result<Vec<NormalRange>> {
        ranges_of(&mut *self.pool.acquire().await?, study, "").await
    }

    /// Records a value of a participant in scope (the site's entry): assessed, flagged and
    /// graded as it is written, every field audited; a grade at or above the study's
    /// threshold opens a proposal of an adverse event.
    pub async fn record_lab_result(
        &self,
        study: &Study,
        scope: &Scope,
        participant_id: i64,
        new: &NewLabResult,
        by: &Actor,
    ) -> Result<LabResult> {
        let test = study_test(study, &new.test)?;
        check_visit(study, &new.visit_id)?;
        if new.collected_at > OffsetDateTime::now_utc() {
            return Err(StoreError::Invalid {
                field: "collected_at".into(),
                message: "is in the future".into(),
            });
        }
        let (study, scope, new, by) = (study.clone(), scope.clone(), new.clone(), by.clone());
        self.write("record_lab_result", move |mut tx| {
            Box::pin(async move {
                let participant = participant_in(tx.conn(), &scope, participant_id).await?;
                let ranges = ranges_of(tx.conn(), &study.id, test.code).await?;
                let base = baseline(tx.conn(), participant_id, test.code, new.collected_at).await?;
                let entered = Entered {
                    value: &new.value,
                    unit: &new.unit,
                };
                let assessment = assess_for(
                    &participant,
                    test,
                    entered,
                    new.collected_at,
                    &ranges,
                    base.map(|(_, v)| v),
                )?;
                let (id, changes) = insert_result(
                    &mut tx,
                    &study,
                    &participant,
                    &new,
                    test,
                    &assessment,
                    None,
                    &by,
                )
                .await?;
                tx.audit(&study.id, &by, &changes).await?;
                let mut results = results_where(tx.conn(), "r.id = $1", id).await?;
                results
                    .pop()
                    .ok_or_else(|| crate::not_found("lab result", id))
            })
        })
        .await
    }

    /// The lab values of a participant in scope, by collection time, each with its proposal.
    pub async fn lab_results_of(
        &self,
        scope: &Scope,
        participant_id: i64,
    ) -> Result<Vec<LabResult>> {
        let mut conn = self.pool.acquire().await?;
        participant_in(&mut conn, scope, participant_id).await?;
        results_where(&mut conn, "r.participant_id = $1", participant_id).await
    }
}

/// Lab values matching `condition` on `$1`, by collection time and test, with proposals.
async fn results_where(
    conn: &mut AnyConnection,
    condition: &str,
    value: i64,
) -> Result<Vec<LabResult>> {
    let columns: Vec<String> = RESULT_COLUMNS
        .split(", ")
        .map(|c| format!("r.{c}"))
        .collect();
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT {} FROM lab_results r WHERE {condition} ORDER BY r.collected_at, r.test",
            columns.join(", ")
        ),
    );
    let rows: Vec<ResultRow> = sqlx::query_as(&sql)
        .bind(value)
        .fetch_all(&mut *conn)
        .await?;
    let mut results: Vec<LabResult> = rows.into_iter().map(ResultRow::record).collect();
    let ids: Vec<i64> = results.iter().map(|r| r.participant_id).collect();
    if let Some(first) = ids.first() {
        let proposals = proposals::of_participant(conn, *first).await?;
        for r in &mut results {
            r.proposal = proposals.iter().find(|p| p.result_id == r.id).cloned();
        }
    }
    Ok(results)
}
