//! The study pages: dashboard, participant list and page, query list. Each reads through the
//! same access rules as the API ([`service::require`]) and the store's scoped queries.
//!
//! Blinding: nothing here reads or shows an allocation (arm, kit, dose volume); the counts are
//! never split by treatment group.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use store::{Participant, Scope};

use super::chart::{self, Chart};
use super::{error_page, render, Ctx, Viewer};
use crate::api::record_id;
use crate::error::ApiError;
use crate::service::{self, require, Operation};
use crate::AppState;

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The site's IANA time zone, for showing instants in local time.
fn site_zone(state: &AppState, study: &str, site: &str) -> String {
    state
        .studies
        .get(study)
        .and_then(|s| s.site(site))
        .map_or("UTC".to_string(), |s| s.time_zone.clone())
}

// ---------------------------------------------------------------------------------------------
// Dashboard

/// A site's row of the enrolment table.
pub struct SiteRow {
    id: String,
    name: String,
    screening: usize,
    enrolled: usize,
    ended: usize,
    failed: usize,
    total: usize,
}

/// A visit due or overdue.
pub struct DueVisit {
    participant_id: i64,
    label: String,
    site: String,
    visit: String,
    target: String,
    window: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ctx: Ctx,
    study_id: String,
    title: String,
    sites: Vec<SiteRow>,
    totals: SiteRow,
    due: Vec<DueVisit>,
    open_queries: usize,
    answered_queries: usize,
}

fn label(p: &Participant) -> String {
    match &p.subject_id {
        Some(s) => format!("{s} ({})", p.screening_number),
        None => p.screening_number.clone(),
    }
}

/// `GET /studies/{study}`
pub async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    match dashboard_page(&state, &viewer, &study).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn dashboard_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
) -> Result<DashboardPage, ApiError> {
    let scope = require(&viewer.me.roles, study_id, Operation::ReadParticipants)?;
    let study = state.study(study_id)?;
    let participants = state.store.participants(&scope).await?;
    let row = |id: &str, name: &str, ps: &mut dyn Iterator<Item = &Participant>| {
        let mut r = SiteRow {
            id: id.to_string(),
            name: name.to_string(),
            screening: 0,
            enrolled: 0,
            ended: 0,
            failed: 0,
            total: 0,
        };
        for p in ps {
            r.total += 1;
            match p.status.as_str() {
                "screening" => r.screening += 1,
                "enrolled" => r.enrolled += 1,
                "withdrawn" | "completed" => r.ended += 1,
                _ => r.failed += 1,
            }
        }
        r
    };
    let sites: Vec<SiteRow> = study
        .sites
        .iter()
        .filter(|s| scope.includes_site(&s.id))
        .map(|s| {
            row(
                &s.id,
                &s.name,
                &mut participants.iter().filter(|p| p.site_id == s.id),
            )
        })
        .collect();
    let totals = row("", "", &mut participants.iter());
    let today = today();
    let mut due = Vec::new();
    for p in participants.iter().filter(|p| p.status == "enrolled") {
        for v in service::visits(state, &scope, p.id, today).await? {
            if v.status == "due" || v.status == "overdue" {
                due.push(DueVisit {
                    participant_id: p.id,
                    label: label(p),
                    site: p.site_id.clone(),
                    visit: v.visit.name.clone(),
                    target: v.visit.target.clone(),
                    window: format!("{} – {}", v.visit.earliest, v.visit.latest),
                    status: v.status,
                });
            }
        }
    }
    due.sort_by(|a, b| (b.status, &a.target).cmp(&(a.status, &b.target)));
    let queries = state.store.queries(&scope, None, None).await?;
    let count = |s: &str| queries.iter().filter(|q| q.status == s).count();
    Ok(DashboardPage {
        ctx: viewer.ctx(Some(study_id)),
        study_id: study_id.to_string(),
        title: study.title.clone(),
        sites,
        totals,
        due,
        open_queries: count(store::query_status::OPEN),
        answered_queries: count(store::query_status::ANSWERED),
    })
}

// ---------------------------------------------------------------------------------------------
// Participant list

/// The filters of the participant list.
#[derive(Debug, Default, Deserialize)]
pub struct ListFilter {
    site: Option<String>,
    status: Option<String>,
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "participants.html")]
struct ListPage {
    ctx: Ctx,
    study_id: String,
    sites: Vec<(String, String)>,
    statuses: Vec<&'static str>,
    site: String,
    status: String,
    q: String,
    rows: Vec<Participant>,
}

/// `GET /studies/{study}/participants?site=&status=&q=`
pub async fn participants(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
    Query(filter): Query<ListFilter>,
) -> Response {
    let result = async {
        let scope = require(&viewer.me.roles, &study, Operation::ReadParticipants)?;
        let definition = state.study(&study)?;
        let site = filter.site.unwrap_or_default();
        let status = filter.status.unwrap_or_default();
        let q = filter.q.unwrap_or_default();
        let needle = q.trim().to_lowercase();
        let rows = state
            .store
            .participants(&scope)
            .await?
            .into_iter()
            .filter(|p| site.is_empty() || p.site_id == site)
            .filter(|p| status.is_empty() || p.status == status)
            .filter(|p| {
                needle.is_empty()
                    || p.screening_number.to_lowercase().contains(&needle)
                    || p.subject_id
                        .as_deref()
                        .is_some_and(|s| s.to_lowercase().contains(&needle))
            })
            .collect();
        Ok::<_, ApiError>(ListPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            sites: definition
                .sites
                .iter()
                .filter(|s| scope.includes_site(&s.id))
                .map(|s| (s.id.clone(), s.name.clone()))
                .collect(),
            statuses: vec![
                "screening",
                "screen-failed",
                "enrolled",
                "withdrawn",
                "completed",
            ],
            site,
            status,
            q,
            rows,
        })
    }
    .await;
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Participant page

/// A form of a visit with its state.
pub struct FormRow {
    id: String,
    name: String,
    state: String,
    updated_at: String,
    link: Option<String>,
    /// The API call that marks it verified against the source, when the viewer may.
    verify: Option<String>,
}

/// A visit on the timeline.
pub struct VisitRow {
    /// The visit's id, for element ids.
    id: String,
    /// The API call that signs the visit, when the viewer may and something is saved.
    sign: Option<String>,
    name: String,
    target: String,
    window: String,
    done_on: String,
    status: &'static str,
    forms: Vec<FormRow>,
    /// The visit's exam in brief: NLI, AIS, UEMS, LEMS (from its ISNCSCI form, or the exam
    /// recorded at the visit).
    exam: Option<[String; 4]>,
}

/// The brief of an exam's classification.
fn exam_brief(c: &serde_json::Value) -> Option<[String; 4]> {
    let get = |k: &str| c.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Some([
        get("neurologicalLevelOfInjury")?,
        get("asiaImpairmentScale")?,
        get("upperMotorTotal")?,
        get("lowerMotorTotal")?,
    ])
}

#[derive(Template)]
#[template(path = "participant.html")]
struct ParticipantPage {
    ctx: Ctx,
    p: Participant,
    site_name: String,
    zone: String,
    visits: Vec<VisitRow>,
    signatures: Vec<store::Signature>,
    audit: Option<Vec<AuditLine>>,
    queries: Vec<store::Query>,
    /// What a signature may mean.
    meanings: &'static [&'static str],
    /// The API call that signs the whole casebook, when the viewer may and something is saved.
    sign_casebook: Option<String>,
    /// Whether the viewer may answer this participant's queries (enters data at its site).
    can_answer: bool,
    /// The viewer, who may close the answered queries they raised.
    viewer_id: i64,
    screening: Vec<(String, String)>,
    charts: Vec<Chart>,
}

/// `GET /studies/{study}/participants/{id}`
pub async fn participant(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, id)): Path<(String, String)>,
) -> Response {
    match participant_page(&state, &viewer, &study, &id).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn participant_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
    id: &str,
) -> Result<ParticipantPage, ApiError> {
    let scope = require(&viewer.me.roles, study_id, Operation::ReadParticipants)?;
    let id = record_id(id)?;
    let study = state.study(study_id)?;
    let p = state.store.participant(&scope, id).await?;
    let visits = service::visits(state, &scope, id, today()).await?;
    let forms = state.store.forms(&scope, id).await?;
    let exams = state.store.exams(&scope, id).await?;
    let may = |op: Operation| {
        require(&viewer.me.roles, study_id, op).is_ok_and(|s| s.includes_site(&p.site_id))
    };
    let (may_verify, may_sign) = (may(Operation::VerifyData), may(Operation::Sign));
    let api = format!("/api/studies/{}/participants/{id}", super::encode(study_id));
    let mut rows = Vec::new();
    for v in &visits {
        let visit_api = format!("{api}/visits/{}", super::encode(&v.visit.visit_id));
        let def = study.visit(&v.visit.visit_id);
        let form_rows = def
            .map(|d| d.forms.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|form_id| {
                let entry = forms
                    .iter()
                    .find(|f| f.visit_id == v.visit.visit_id && &f.form_id == form_id);
                let form_def = study.form(form_id);
                let is_exam = form_def.is_some_and(|f| f.kind == trial::FormKind::Isncsci);
                FormRow {
                    id: form_id.clone(),
                    name: form_def.map_or(form_id.clone(), |f| f.name.clone()),
                    state: entry.map_or(store::form_state::NOT_STARTED.to_string(), |e| {
                        e.state.clone()
                    }),
                    updated_at: entry.map(|e| e.updated_at.clone()).unwrap_or_default(),
                    link: is_exam.then(|| {
                        format!(
                            "/studies/{}/participants/{id}/visits/{}/forms/{form_id}",
                            super::encode(study_id),
                            super::encode(&v.visit.visit_id)
                        )
                    }),
                    verify: (may_verify
                        && entry.is_some_and(|e| e.state == store::form_state::COMPLETE))
                    .then(|| format!("{visit_api}/forms/{}/verification", super::encode(form_id))),
                }
            })
            .collect();
        let form_exam = forms
            .iter()
            .filter(|f| f.visit_id == v.visit.visit_id)
            .find_map(|f| exam_brief(&f.data["classification"]));
        let recorded = || {
            exams
                .iter()
                .filter(|e| e.visit_id == v.visit.visit_id)
                .find_map(|e| {
                    serde_json::from_str(&e.classification)
                        .ok()
                        .and_then(|c| exam_brief(&c))
                })
        };
        let saved = forms.iter().any(|f| f.visit_id == v.visit.visit_id);
        rows.push(VisitRow {
            id: v.visit.visit_id.clone(),
            sign: (may_sign && saved).then(|| format!("{visit_api}/signature")),
            exam: form_exam.or_else(recorded),
            name: v.visit.name.clone(),
            target: v.visit.target.clone(),
            window: format!("{} – {}", v.visit.earliest, v.visit.latest),
            done_on: v.visit.done_on.clone().unwrap_or_default(),
            status: v.status,
            forms: form_rows,
        });
    }
    let audit = match service::scope_for(&viewer.me.roles, study_id, Operation::ReadAudit) {
        Some(audit_scope) if audit_scope.includes_site(&p.site_id) => {
            let mut all = state.store.audit_of("participant", &id.to_string()).await?;
            let mut records: Vec<(&str, String)> = Vec::new();
            records.extend(
                visits
                    .iter()
                    .map(|v| ("visit", format!("{id}/{}", v.visit.visit_id))),
            );
            records.extend(
                forms
                    .iter()
                    .map(|f| ("form", format!("{id}/{}/{}", f.visit_id, f.form_id))),
            );
            records.extend(exams.iter().map(|e| ("exam", e.id.to_string())));
            for (entity, record) in records {
                all.extend(state.store.audit_of(entity, &record).await?);
            }
            for s in state.store.signatures(&scope, id).await? {
                let signed = if s.casebook { "casebook" } else { &s.visit_id };
                let record = format!("{id}/{signed}/{}", s.id);
                all.extend(state.store.audit_of("signature", &record).await?);
            }
            all.retain(|r| r.chain == study_id);
            if blinded(study, &viewer.me.roles) {
                all.retain(|r| !reveals_allocation(r));
            }
            all.sort_by_key(|r| std::cmp::Reverse(r.id));
            Some(all.iter().flat_map(audit_lines).collect())
        }
        _ => None,
    };
    let signatures = state.store.signatures(&scope, id).await?;
    let queries = state.store.queries(&scope, Some(id), None).await?;
    let screening = exams
        .first()
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.classification).ok())
        .map(|c| {
            [
                ("neurologicalLevelOfInjury", "ws.nli"),
                ("asiaImpairmentScale", "ws.ais"),
                ("upperMotorTotal", "ws.uems"),
                ("lowerMotorTotal", "ws.lems"),
                ("touchTotal", "ws.lt_total"),
                ("prickTotal", "ws.pp_total"),
            ]
            .iter()
            .map(|(k, label)| {
                (
                    super::Texts(viewer.lang).get(label).to_string(),
                    c[*k].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
        })
        .unwrap_or_default();
    let charts = chart::participant_charts(viewer.lang, study, &visits, &exams, &forms);
    let can_answer = require(&viewer.me.roles, study_id, Operation::EnterData)
        .is_ok_and(|scope| scope.includes_site(&p.site_id));
    Ok(ParticipantPage {
        ctx: viewer.ctx(Some(study_id)),
        site_name: study
            .site(&p.site_id)
            .map_or(p.site_id.clone(), |s| s.name.clone()),
        zone: site_zone(state, study_id, &p.site_id),
        p,
        visits: rows,
        signatures,
        audit,
        queries,
        meanings: &store::SIGNATURE_MEANINGS,
        sign_casebook: (may_sign && !forms.is_empty()).then(|| format!("{api}/signature")),
        can_answer,
        viewer_id: viewer.me.user.id,
        screening,
        charts,
    })
}

/// Whether the user is blinded in the study: no role of theirs there is unblinded.
pub fn blinded(study: &trial::Study, roles: &[store::RoleAssignment]) -> bool {
    roles
        .iter()
        .filter(|r| r.study_id == study.id)
        .all(|r| study.is_blinded(r.role))
}

/// Whether an audit row could reveal an allocation (an arm, a kit, a dose volume), by its
/// entity or field. The participant page leaves such rows out for blinded users, whatever the
/// allocation records come to look like.
pub fn reveals_allocation(row: &store::AuditRow) -> bool {
    const PARTS: [&str; 5] = ["kit", "volume", "allocation", "randomi", "unblind"];
    let names = [row.entity.as_str(), row.field.as_deref().unwrap_or("")];
    names.iter().any(|name| {
        let name = name.to_ascii_lowercase();
        name.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| word == "arm" || word == "arms")
            || PARTS.iter().any(|w| name.contains(w))
    })
}

/// A line of the audit trail as shown: a change to a value that is itself a set of fields (the
/// exam of an ISNCSCI form) is shown field by field.
pub struct AuditLine {
    at: String,
    username: String,
    action: String,
    record: String,
    field: String,
    old: String,
    new: String,
    reason: String,
}

impl AuditLine {
    /// Whether a value is long enough to fold.
    pub fn long(value: &str) -> bool {
        value.chars().count() > 80
    }

    /// The start of a long value.
    pub fn short(value: &str) -> String {
        let mut s: String = value.chars().take(60).collect();
        s.push('…');
        s
    }
}

fn audit_lines(r: &store::AuditRow) -> Vec<AuditLine> {
    let line = |field: String, old: String, new: String| AuditLine {
        at: r.at.clone(),
        username: r.username.clone(),
        action: r.action.clone(),
        record: format!("{} {}", r.entity, r.record_id),
        field,
        old,
        new,
        reason: r.reason.clone().unwrap_or_default(),
    };
    let object = |v: &Option<String>| {
        v.as_deref().and_then(|t| {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(t).ok()
        })
    };
    let field = r.field.clone().unwrap_or_default();
    if let (Some(old), Some(new)) = (object(&r.old_value), object(&r.new_value)) {
        let text = |v: Option<&serde_json::Value>| match v {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
        keys.sort();
        keys.dedup();
        let lines: Vec<AuditLine> = keys
            .into_iter()
            .filter(|k| old.get(*k) != new.get(*k))
            .map(|k| line(format!("{field}.{k}"), text(old.get(k)), text(new.get(k))))
            .collect();
        if !lines.is_empty() {
            return lines;
        }
    }
    vec![line(
        field,
        r.old_value.clone().unwrap_or_default(),
        r.new_value.clone().unwrap_or_default(),
    )]
}

// ---------------------------------------------------------------------------------------------
// Queries

/// The filter of the query list.
#[derive(Debug, Default, Deserialize)]
pub struct QueryFilter {
    status: Option<String>,
}

/// A query with its participant's label.
pub struct QueryRow {
    q: store::Query,
    participant: String,
}

#[derive(Template)]
#[template(path = "queries.html")]
struct QueriesPage {
    ctx: Ctx,
    study_id: String,
    status: String,
    statuses: Vec<&'static str>,
    rows: Vec<QueryRow>,
}

/// `GET /studies/{study}/queries?status=`
pub async fn queries(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
    Query(filter): Query<QueryFilter>,
) -> Response {
    let result = async {
        let scope: Scope = require(&viewer.me.roles, &study, Operation::ReadParticipants)?;
        let status = filter.status.unwrap_or_default();
        if !status.is_empty() {
            crate::api::check_query_status(&status)?;
        }
        let list = state
            .store
            .queries(
                &scope,
                None,
                (!status.is_empty()).then_some(status.as_str()),
            )
            .await?;
        let participants = state.store.participants(&scope).await?;
        let rows = list
            .into_iter()
            .map(|q| QueryRow {
                participant: participants
                    .iter()
                    .find(|p| p.id == q.participant_id)
                    .map_or(q.participant_id.to_string(), label),
                q,
            })
            .collect();
        Ok(QueriesPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            status,
            statuses: crate::api::QUERY_STATUSES.to_vec(),
            rows,
        })
    }
    .await;
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    ctx: Ctx,
    study_id: String,
    rows: Vec<store::Notification>,
}

/// `GET /studies/{study}/notifications`: the notifications for the viewer's roles, newest
/// first, each to acknowledge once.
pub async fn notifications(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    let result = async {
        require(&viewer.me.roles, &study, Operation::ReadNotifications)?;
        let roles = crate::allocation::roles_in(&viewer.me, &study);
        let rows = state
            .store
            .notifications(&study, &roles, &viewer.me.actor())
            .await?;
        Ok::<_, ApiError>(NotificationsPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            rows,
        })
    }
    .await;
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(entity: &str, field: Option<&str>) -> store::AuditRow {
        store::AuditRow {
            id: 1,
            chain: "S".into(),
            seq: 1,
            at: "2026-01-01T00:00:00.000000Z".into(),
            user_id: None,
            username: "system".into(),
            action: "update".into(),
            entity: entity.into(),
            record_id: "1".into(),
            field: field.map(str::to_string),
            old_value: None,
            new_value: Some("x".into()),
            reason: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn rows_that_could_reveal_an_allocation_are_recognised() {
        for (entity, field) in [
            ("participant", Some("arm")),
            ("participant", Some("arm_id")),
            ("allocation", None),
            ("kit", Some("number")),
            ("participant", Some("kit_number")),
            ("dispensing", Some("dose_volume_ml")),
            ("randomisation", Some("stratum")),
            ("participant", Some("unblinded_at")),
        ] {
            assert!(
                reveals_allocation(&row(entity, field)),
                "{entity} {field:?}"
            );
        }
        for (entity, field) in [
            ("participant", Some("status")),
            ("form", Some("exam")),
            ("participant", Some("screening_number")),
            ("form", Some("comments")),
            ("participant", Some("eligibility_reasons")),
        ] {
            assert!(
                !reveals_allocation(&row(entity, field)),
                "{entity} {field:?}"
            );
        }
    }
}
