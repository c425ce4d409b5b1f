//! A page for every eCRF form of the study definition other than the ISNCSCI exam (which has
//! its worksheet): the form's fields generated from the definition (type, unit, range, choices,
//! required, the cross-field rules that apply), SCIM III items by subscale with the subscales and
//! total computed live, WISCI II levels with their descriptions. Every input's `name` is the
//! field's id in the study definition.
//!
//! The page script (`ecrf.js`) scores the values through `POST /api/studies/{study}/forms/{form}/score`
//! (the rules of `trial`, nothing computed in the script) and saves through the form API with a
//! reason for changes. The monitor verifies, the investigator signs the visit, the data manager
//! locks and unlocks the form or the whole visit, and the monitor and the data manager raise a
//! query from the field itself: each is a `data-post` call to the JSON API.
//!
//! [`table`] is the data manager's table of forms by state, site and visit.

mod table;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{Map, Value};
use trial::{FieldType, FormDef, FormKind, FormState, Meaning, Scim3Item, Scim3Subscale};

use super::{encode, error_page, redirect, render, Ctx, Texts, Viewer};
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::record_id;
use crate::service;

/// The routes of the eCRF pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/studies/{study}/participants/{id}/visits/{visit}/ecrf/{form}",
            get(form),
        )
        .route("/studies/{study}/forms", get(table::forms_table))
}

/// The page of a visit's form: the worksheet for an ISNCSCI form, this feature's page
/// otherwise.
pub fn form_link(study: &trial::Study, participant: i64, visit: &str, form: &str) -> String {
    let kind = study.form(form).map(|f| f.kind);
    format!(
        "/studies/{}/participants/{participant}/visits/{}/{}/{}",
        encode(&study.id),
        encode(visit),
        if kind == Some(FormKind::Isncsci) {
            "forms"
        } else {
            "ecrf"
        },
        encode(form)
    )
}

/// A choice of a field: the value sent, and what is shown.
pub struct Choice {
    value: String,
    shown: String,
}

/// A field of the form as shown.
pub struct FieldView {
    /// Its id in the study definition: the input's `name`.
    id: String,
    label: String,
    /// `number`, `date`, `text`, `select`.
    input: &'static str,
    /// The step of a number.
    step: &'static str,
    unit: String,
    min: String,
    max: String,
    /// What the field accepts, in words.
    hint: String,
    required: bool,
    /// Filled by the platform (`source`): shown, never typed nor sent.
    sourced: bool,
    choices: Vec<Choice>,
    value: String,
    /// The queries raised on the field and not closed.
    queries: Vec<FieldQuery>,
}

/// A query on a field, as the field shows it.
pub struct FieldQuery {
    text: String,
    /// `open` or `answered`.
    status: String,
    answer: String,
    /// The answer call, for the site on an open query.
    answer_call: Option<String>,
    /// The close call, for whoever raised it once answered.
    close_call: Option<String>,
}

/// A group of fields (a SCIM III subscale; one group for a form of fields).
pub struct Group {
    legend: String,
    fields: Vec<FieldView>,
}

/// A computed score, shown live: its key in the scored values, its name, the items it adds
/// up (space-separated, empty for none) and its saved value.
pub struct Result {
    key: String,
    label: String,
    items: String,
    value: String,
}

#[derive(Template)]
#[template(path = "ecrf_form.html")]
struct FormPage {
    ctx: Ctx,
    heading: String,
    subheading: String,
    back: String,
    state: String,
    version: i64,
    locked: bool,
    editable: bool,
    kind: String,
    save_path: String,
    score_path: String,
    groups: Vec<Group>,
    results: Vec<Result>,
    rules: Vec<String>,
    /// The verification call, for a monitor on a complete form.
    verify: Option<String>,
    /// The visit's signing call, for an investigator once something is saved.
    sign: Option<String>,
    meanings: &'static [Meaning],
    /// The lock call (a data manager, a saved unlocked form).
    lock: Option<String>,
    /// The unlock call (a data manager, a locked form).
    unlock: Option<String>,
    /// The lock calls of the visit's saved, unlocked forms, as a JSON list (a data manager).
    lock_visit: Option<String>,
    /// The unlock calls of the visit's locked forms, as a JSON list (a data manager).
    unlock_visit: Option<String>,
    /// The query call, for the monitor and the data manager.
    query: Option<String>,
    visit_id: String,
    form_id: String,
}

/// `GET /studies/{study}/participants/{id}/visits/{visit}/ecrf/{form}`
async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, id, visit, form)): Path<(String, String, String, String)>,
) -> Response {
    match form_page(&state, &viewer, &study, &id, &visit, &form).await {
        Ok(Page::Form(page)) => render(viewer.lang, page.as_ref()),
        Ok(Page::Worksheet(to)) => redirect(&to),
        Err(e) => error_page(viewer.lang, e),
    }
}

enum Page {
    Form(Box<FormPage>),
    /// An ISNCSCI form lives on the worksheet.
    Worksheet(String),
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
    id: &str,
    visit: &str,
    form: &str,
) -> std::result::Result<Page, ApiError> {
    let scope = require(&viewer.me.roles, study_id, Operation::ReadParticipants)?;
    let id = record_id(id)?;
    let participant = state.store.participant(&scope, id).await?;
    let study = state.study(study_id)?;
    let visit_def = study
        .visit(visit)
        .ok_or_else(|| ApiError::NotFound(format!("visit {visit} not found")))?;
    let form_def = study
        .form(form)
        .filter(|f| visit_def.forms.contains(&f.id))
        .ok_or_else(|| ApiError::NotFound(format!("form {form} of visit {visit} not found")))?;
    if form_def.kind == FormKind::Isncsci {
        return Ok(Page::Worksheet(form_link(study, id, visit, form)));
    }
    let forms = state.store.forms(&scope, id).await?;
    let entry = forms
        .iter()
        .find(|f| f.visit_id == visit && f.form_id == form);
    let may = |op: Operation| {
        require(&viewer.me.roles, study_id, op).is_ok_and(|s| s.includes_site(&participant.site_id))
    };
    let queries: Vec<store::Query> = state
        .store
        .queries(&scope, Some(id), None)
        .await?
        .into_iter()
        .filter(|q| q.visit_id == visit && q.form_id == form && q.status != "closed")
        .collect();
    let ctx = viewer.ctx(Some(study_id));
    let t = ctx.t;
    let empty = Map::new();
    let values = entry.and_then(|e| e.data.as_object()).unwrap_or(&empty);
    let api = format!("/api/studies/{}/participants/{id}", encode(study_id));
    let form_api = format!("{api}/visits/{}/forms/{}", encode(visit), encode(form));
    let locked = entry.is_some_and(|e| e.locked);
    let state_now = entry.map_or(FormState::NotStarted, |e| e.state);
    let may_lock = may(Operation::Lock);
    let visit_calls = |locked: bool, call: &str| -> Vec<String> {
        forms
            .iter()
            .filter(|f| f.visit_id == visit && f.locked == locked)
            .map(|f| {
                format!(
                    "{api}/visits/{}/forms/{}/{call}",
                    encode(visit),
                    encode(&f.form_id)
                )
            })
            .collect()
    };
    let lock_visit = visit_calls(false, "lock");
    let unlock_visit = visit_calls(true, "unlock");
    let subject = participant
        .subject_id
        .clone()
        .unwrap_or(participant.screening_number.clone());
    let sources = service::field_sources(state, study_id, form_def).await?;
    let mut groups = groups(t, form_def, values, &sources);
    let (may_answer, me) = (may(Operation::EnterData), viewer.me.user.id);
    let query_api = format!("/api/studies/{}/queries", encode(study_id));
    for field in groups.iter_mut().flat_map(|g| g.fields.iter_mut()) {
        field.queries = queries
            .iter()
            .filter(|q| q.field == field.id)
            .map(|q| {
                let status = q.status.as_str().to_string();
                FieldQuery {
                    text: q.text.clone(),
                    answer: q.answer.clone().unwrap_or_default(),
                    answer_call: (may_answer && status == "open")
                        .then(|| format!("{query_api}/{}/answer", q.id)),
                    close_call: (status == "answered" && q.raised_by_id == Some(me))
                        .then(|| format!("{query_api}/{}/close", q.id)),
                    status,
                }
            })
            .collect();
    }
    Ok(Page::Form(Box::new(FormPage {
        heading: format!(
            "{} — {}",
            form_def.name_in(viewer.lang.zh()),
            visit_def.name_in(viewer.lang.zh())
        ),
        subheading: format!("{subject} · {}", participant.site_id),
        back: format!("/studies/{}/participants/{id}", encode(study_id)),
        state: state_now.as_str().to_string(),
        version: entry.map_or(0, |e| e.version),
        locked,
        editable: may(Operation::EnterData) && !locked,
        kind: form_def.kind.to_string(),
        save_path: form_api.clone(),
        score_path: format!(
            "/api/studies/{}/forms/{}/score",
            encode(study_id),
            encode(form)
        ),
        groups,
        results: results(t, form_def, values),
        rules: rules(t, form_def),
        verify: (may(Operation::VerifyData) && state_now == FormState::Complete)
            .then(|| format!("{form_api}/verification")),
        sign: (may(Operation::Sign) && entry.is_some())
            .then(|| format!("{api}/visits/{}/signature", encode(visit))),
        meanings: Meaning::ALL,
        lock: (may_lock && entry.is_some() && !locked).then(|| format!("{form_api}/lock")),
        unlock: (may_lock && locked).then(|| format!("{form_api}/unlock")),
        lock_visit: (may_lock && !lock_visit.is_empty())
            .then(|| Value::from(lock_visit).to_string()),
        unlock_visit: (may_lock && !unlock_visit.is_empty())
            .then(|| Value::from(unlock_visit).to_string()),
        query: may(Operation::RaiseQuery).then(|| format!("{api}/queries")),
        visit_id: visit.to_string(),
        form_id: form.to_string(),
        ctx,
    })))
}

/// A saved value as the input shows it.
fn shown(values: &Map<String, Value>, key: &str) -> String {
    match values.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A number as people write it (no `.0` on whole numbers).
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        x.to_string()
    }
}

/// The fields of the form, grouped.
fn groups(
    t: Texts,
    form: &FormDef,
    values: &Map<String, Value>,
    sources: &trial::FieldSources,
) -> Vec<Group> {
    match form.kind {
        FormKind::Scim3 => Scim3Subscale::ALL
            .into_iter()
            .map(|s| Group {
                legend: format!("{} (0–{})", t.get(&format!("scim.{}", s.id())), s.max()),
                fields: s.items().map(|item| scim_item(t, item, values)).collect(),
            })
            .collect(),
        FormKind::Wisci2 => vec![Group {
            legend: String::new(),
            fields: vec![FieldView {
                id: trial::Wisci2::LEVEL_KEY.to_string(),
                label: t.get("wisci.level").to_string(),
                input: "select",
                step: "",
                unit: String::new(),
                min: String::new(),
                max: String::new(),
                hint: t.get("wisci.hint").to_string(),
                required: true,
                sourced: false,
                choices: trial::WISCI2_LEVELS
                    .iter()
                    .map(|l| Choice {
                        value: l.level.to_string(),
                        shown: format!("{} — {}", l.level, wisci_description(t, l)),
                    })
                    .collect(),
                value: shown(values, trial::Wisci2::LEVEL_KEY),
                queries: Vec::new(),
            }],
        }],
        _ => vec![Group {
            legend: String::new(),
            fields: form
                .fields
                .iter()
                .map(|f| field(t, f, values, sources))
                .collect(),
        }],
    }
}

/// A SCIM III item: its allowed scores.
fn scim_item(t: Texts, item: Scim3Item, values: &Map<String, Value>) -> FieldView {
    let allowed: Vec<String> = item.allowed().iter().map(u8::to_string).collect();
    FieldView {
        id: item.id().to_string(),
        label: format!(
            "{} {}",
            item.number(),
            t.get(&format!("scim.{}", item.id()))
        ),
        input: "select",
        step: "",
        unit: String::new(),
        min: String::new(),
        max: String::new(),
        hint: format!("{} {}", t.get("crf.one_of"), allowed.join(", ")),
        required: true,
        sourced: false,
        choices: allowed
            .into_iter()
            .map(|a| Choice {
                shown: a.clone(),
                value: a,
            })
            .collect(),
        value: shown(values, item.id()),
        queries: Vec::new(),
    }
}

/// A WISCI II level in words: the instrument's own in English, composed from its parts in
/// Chinese.
fn wisci_description(t: Texts, level: &trial::Wisci2Level) -> String {
    if t.0 == super::Lang::En {
        return level.description.to_string();
    }
    let Some(aid) = level.aid else {
        return t.get("wisci.unable").to_string();
    };
    let aid = t.get(match aid {
        trial::WalkingAid::ParallelBars => "wisci.parallel_bars",
        trial::WalkingAid::Walker => "wisci.walker",
        trial::WalkingAid::TwoCrutches => "wisci.two_crutches",
        trial::WalkingAid::OneCaneOrCrutch => "wisci.one_cane",
        trial::WalkingAid::NoAid => "wisci.no_aid",
    });
    let braces = t.get(if level.braces {
        "wisci.braces"
    } else {
        "wisci.no_braces"
    });
    let help = t.get(match level.helpers {
        0 => "wisci.no_help",
        1 => "wisci.one_helper",
        _ => "wisci.two_helpers",
    });
    let distance = t.get(if level.level == 1 {
        "wisci.under_10m"
    } else {
        "wisci.10m"
    });
    format!("{aid}，{braces}，{help}，{distance}")
}

/// A field of the definition.
fn field(
    t: Texts,
    f: &trial::FieldDef,
    values: &Map<String, Value>,
    sources: &trial::FieldSources,
) -> FieldView {
    let unit = f.unit_in(t.0.zh()).unwrap_or_default().to_string();
    let (input, step) = match f.field_type {
        FieldType::Integer => ("number", "1"),
        FieldType::Decimal => ("number", "any"),
        FieldType::Date => ("date", ""),
        FieldType::Text => ("text", ""),
        FieldType::Choice | FieldType::Boolean => ("select", ""),
    };
    let mut hint = t.get(&format!("crf.type.{}", f.field_type)).to_string();
    match (f.min, f.max) {
        (Some(lo), Some(hi)) => hint.push_str(&format!(", {}–{}", number(lo), number(hi))),
        (Some(lo), None) => hint.push_str(&format!(", ≥ {}", number(lo))),
        (None, Some(hi)) => hint.push_str(&format!(", ≤ {}", number(hi))),
        (None, None) => {}
    }
    if !unit.is_empty() {
        hint.push_str(&format!(" {unit}"));
    }
    let mut value = shown(values, &f.id);
    if let Some(source) = f.source {
        // What was saved, or what a save will put there now.
        hint = t.get(&format!("crf.source.{source}")).to_string();
        if value.is_empty() {
            value = sources.get(source).unwrap_or_default().to_string();
        }
    }
    let choices = match f.field_type {
        FieldType::Boolean => vec![
            Choice {
                value: "true".into(),
                shown: t.get("crf.yes").into(),
            },
            Choice {
                value: "false".into(),
                shown: t.get("crf.no").into(),
            },
        ],
        _ => f
            .options
            .iter()
            .map(|o| Choice {
                value: o.clone(),
                shown: f.option_in(o, t.0.zh()).to_string(),
            })
            .collect(),
    };
    FieldView {
        id: f.id.clone(),
        label: f.label_in(t.0.zh()).to_string(),
        input,
        step,
        unit,
        min: f.min.map(number).unwrap_or_default(),
        max: f.max.map(number).unwrap_or_default(),
        hint,
        required: f.required,
        sourced: f.source.is_some(),
        choices,
        value,
        queries: Vec::new(),
    }
}

/// The scores computed from the items (SCIM III: subscales and total).
fn results(t: Texts, form: &FormDef, values: &Map<String, Value>) -> Vec<Result> {
    if form.kind != FormKind::Scim3 {
        return Vec::new();
    }
    let mut out: Vec<Result> = Scim3Subscale::ALL
        .into_iter()
        .map(|s| Result {
            key: s.id().to_string(),
            label: format!("{} (0–{})", t.get(&format!("scim.{}", s.id())), s.max()),
            items: s.items().map(|i| i.id()).collect::<Vec<_>>().join(" "),
            value: shown(values, s.id()),
        })
        .collect();
    out.push(Result {
        key: trial::SCIM3_TOTAL_KEY.to_string(),
        label: format!("{} (0–100)", t.get("scim.total")),
        items: Scim3Item::ALL
            .iter()
            .map(|i| i.id())
            .collect::<Vec<_>>()
            .join(" "),
        value: shown(values, trial::SCIM3_TOTAL_KEY),
    });
    out
}

/// The cross-field rules that apply to the form, in words.
fn rules(t: Texts, form: &FormDef) -> Vec<String> {
    let label = |id: &str| {
        form.field(id)
            .map_or(id.to_string(), |f| f.label_in(t.0.zh()).to_string())
    };
    trial::CROSS_FIELD_RULES
        .iter()
        .filter(|r| r.applies_to(form))
        .map(|r| {
            let key = match r {
                trial::CrossFieldRule::Lower { .. } => "crf.rule.lower",
                trial::CrossFieldRule::NotBefore { .. } => "crf.rule.not_before",
                trial::CrossFieldRule::EmptyWhile { .. } => "crf.rule.empty_while",
                trial::CrossFieldRule::PositiveAbove { .. } => "crf.rule.positive_above",
            };
            let mut text = t.get(key).to_string();
            for (slot, id) in ["{a}", "{b}", "{c}"].into_iter().zip(r.fields()) {
                text = text.replace(slot, &label(id));
            }
            text
        })
        .collect()
}
