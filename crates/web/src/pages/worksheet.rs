//! The ISNCSCI worksheet, laid out like the standard's: right and left columns of key muscles
//! and dermatomes, the anorectal exam, the lowest non-key muscles, comments, the totals and the
//! classification, and a dermatome map. Every input's `name` is the flat-layout key
//! (`c5RightMotor`), every result is an element with `data-result="KEY"`.
//!
//! The page script classifies through `POST /api/isncsci/classify` as values are entered, and in
//! a visit saves through `POST …/visits/{visit}/forms/{form}` with a reason for changes.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use isncsci::flat::Field;
use isncsci::{Classification, Level, Side};

use super::{error_page, render, Ctx, Texts, Viewer};
use crate::access::{require, scope_for, Operation};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::record_id;

/// The routes of the worksheet's pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/isncsci", get(calculator)).route(
        "/studies/{study}/participants/{id}/visits/{visit}/forms/{form}",
        get(form),
    )
}

/// A cell of the worksheet's grid.
pub struct Cell {
    /// `label`, `input` or `gap`.
    pub kind: &'static str,
    /// The flat-layout key of an input; the level of a label.
    pub name: String,
    /// An input's accessible label; a label's muscle.
    pub label: String,
    /// `motor` or `sensory`.
    pub value_kind: &'static str,
    /// The value shown.
    pub value: String,
}

/// A column of the grid (the DOM order is column by column, so Tab goes down a column too).
pub struct Column {
    /// Its heading.
    pub header: String,
    /// `level`, `motor`, `touch`, `prick`, with `right`/`left`.
    pub class: String,
    /// Its 28 cells, C2 to S4-5.
    pub cells: Vec<Cell>,
}

/// A region of the dermatome map.
pub struct Region {
    /// The flat-layout level prefix (`c5`, `s4_5`).
    pub level: String,
    /// `Right` or `Left`.
    pub side: &'static str,
    /// The SVG path.
    pub d: String,
    /// Its name (`C5 right`).
    pub title: String,
}

/// The worksheet's content.
pub struct Sheet {
    /// The grid.
    pub columns: Vec<Column>,
    /// The dermatome map.
    pub regions: Vec<Region>,
    /// `analContraction` and `analSensation` values.
    pub vac: String,
    /// Deep anal pressure.
    pub dap: String,
    /// Lowest non-key muscles, right and left.
    pub nonkey_right: String,
    /// Left.
    pub nonkey_left: String,
    /// Comments.
    pub comments: String,
    /// The levels a lowest non-key muscle may name.
    pub levels: Vec<&'static str>,
    /// The results, by key (empty until classified).
    pub results: Vec<(&'static str, String)>,
}

impl Sheet {
    /// The result shown for a key.
    pub fn result(&self, key: &str) -> &str {
        self.results
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| v.as_str())
    }
}

fn prefix(level: Level) -> String {
    level.name().to_lowercase()
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Right => "Right",
        Side::Left => "Left",
    }
}

/// The values entered so far, by flat-layout key.
type Values = serde_json::Map<String, serde_json::Value>;

/// An entered value as text (empty when not entered).
fn value(values: &Values, key: &str) -> String {
    match values.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn side_word(t: Texts, side: Side) -> &'static str {
    match side {
        Side::Right => t.get("ws.right"),
        Side::Left => t.get("ws.left"),
    }
}

/// Builds the worksheet from the values entered so far (flat-layout keys).
pub fn sheet(t: Texts, values: &Values, comments: &str) -> Sheet {
    let columns = vec![
        label_column(t, "level right"),
        column(t, values, Side::Right, "Motor"),
        column(t, values, Side::Right, "Touch"),
        column(t, values, Side::Right, "Prick"),
        column(t, values, Side::Left, "Touch"),
        column(t, values, Side::Left, "Prick"),
        column(t, values, Side::Left, "Motor"),
        label_column(t, "level left"),
    ];
    let results = Classification::KEYS
        .iter()
        .map(|k| (*k, String::new()))
        .collect();
    Sheet {
        columns,
        regions: regions(t),
        vac: value(values, "analContraction"),
        dap: value(values, "analSensation"),
        nonkey_right: value(values, "rightLowestNonKeyMuscleWithMotorFunction"),
        nonkey_left: value(values, "leftLowestNonKeyMuscleWithMotorFunction"),
        comments: comments.to_string(),
        levels: Level::ALL.iter().map(|l| l.name()).collect(),
        results,
    }
}

/// The column of levels (with each key muscle's name).
fn label_column(t: Texts, class: &str) -> Column {
    Column {
        header: t.get("ws.level").to_string(),
        class: class.to_string(),
        cells: Level::DERMATOMES
            .iter()
            .map(|l| Cell {
                kind: "label",
                name: l.to_string().replace('_', "-"),
                label: l
                    .key_muscle()
                    .map(|_| t.get(&format!("ws.muscle.{}", l.name())).to_string())
                    .unwrap_or_default(),
                value_kind: "",
                value: String::new(),
            })
            .collect(),
    }
}

/// A column of inputs: `Motor`, `Touch` or `Prick` on one side.
fn column(t: Texts, values: &Values, side: Side, kind: &str) -> Column {
    Column {
        header: format!(
            "{} {}",
            side_word(t, side),
            match kind {
                "Motor" => t.get("ws.motor"),
                "Touch" => t.get("ws.lt"),
                _ => t.get("ws.pp"),
            }
        ),
        class: format!("{} {}", kind.to_lowercase(), side_name(side).to_lowercase()),
        cells: Level::DERMATOMES
            .iter()
            .map(|l| cell(t, values, side, kind, *l))
            .collect(),
    }
}

/// A level's cell in a column: its input, or a gap where the level has no key muscle.
fn cell(t: Texts, values: &Values, side: Side, kind: &str, l: Level) -> Cell {
    let field = match kind {
        "Motor" => l.key_muscle().map(|m| Field::Motor(side, m)),
        "Touch" => Some(Field::Touch(side, l)),
        _ => Some(Field::Prick(side, l)),
    };
    let Some(f) = field else {
        return Cell {
            kind: "gap",
            name: String::new(),
            label: String::new(),
            value_kind: "",
            value: String::new(),
        };
    };
    let what = match kind {
        "Motor" => format!(
            "{} ({})",
            t.get("ws.motor"),
            t.get(&format!("ws.muscle.{}", l.name()))
        ),
        "Touch" => t.get("ws.touch").to_string(),
        _ => t.get("ws.prick").to_string(),
    };
    Cell {
        kind: "input",
        name: f.name(),
        label: format!(
            "{} {} {}",
            l.to_string().replace('_', "-"),
            side_word(t, side),
            what
        ),
        value_kind: if kind == "Motor" { "motor" } else { "sensory" },
        value: value(values, &f.name()),
    }
}

/// A rectangle as an SVG path.
fn rect(x: f64, y: f64, w: f64, h: f64) -> String {
    format!("M{x:.1} {y:.1}h{w:.1}v{h:.1}h{:.1}z", -w)
}

/// The dermatome map: a front view of the body (the person's right on the viewer's left),
/// drawn from rectangles, with the perineal dermatomes S2–S4-5 as an inset of nested bands.
fn regions(t: Texts) -> Vec<Region> {
    let mut out = Vec::new();
    let mut add = |level: Level, side: Side, d: String| {
        out.push(Region {
            level: prefix(level),
            side: side_name(side),
            d,
            title: format!(
                "{} {}",
                level.to_string().replace('_', "-"),
                match side {
                    Side::Right => t.get("ws.right"),
                    Side::Left => t.get("ws.left"),
                }
            ),
        })
    };
    for side in [Side::Right, Side::Left] {
        // x grows to the viewer's right; the person's right side is on the left half.
        let mirror = |x: f64, w: f64| match side {
            Side::Right => x,
            Side::Left => 240.0 - x - w,
        };
        let r = |x: f64, y: f64, w: f64, h: f64| rect(mirror(x, w), y, w, h);
        // Neck and shoulders.
        add(Level::C2, side, r(104.0, 58.0, 16.0, 7.0));
        add(Level::C3, side, r(104.0, 65.0, 16.0, 9.0));
        add(Level::C4, side, r(78.0, 74.0, 42.0, 12.0));
        // Trunk: T2 to T12, then L1 at the groin.
        let trunk = [
            Level::T2,
            Level::T3,
            Level::T4,
            Level::T5,
            Level::T6,
            Level::T7,
            Level::T8,
            Level::T9,
            Level::T10,
            Level::T11,
            Level::T12,
        ];
        let band = (222.0 - 86.0) / trunk.len() as f64;
        for (i, level) in trunk.iter().enumerate() {
            add(*level, side, r(86.0, 86.0 + band * i as f64, 34.0, band));
        }
        add(Level::L1, side, r(86.0, 222.0, 34.0, 12.0));
        // Arm, palm forward: the thumb side (C5, C6) is lateral.
        add(Level::C5, side, r(56.0, 86.0, 13.0, 80.0));
        add(Level::T2, side, r(69.0, 86.0, 13.0, 62.0));
        add(Level::T1, side, r(69.0, 148.0, 13.0, 78.0));
        add(Level::C6, side, r(56.0, 166.0, 13.0, 60.0));
        // Hand: thumb C6, middle finger C7, little finger C8.
        add(Level::C6, side, r(56.0, 226.0, 8.6, 34.0));
        add(Level::C7, side, r(64.6, 226.0, 8.8, 36.0));
        add(Level::C8, side, r(73.4, 226.0, 8.6, 32.0));
        // Leg.
        add(Level::L2, side, r(88.0, 234.0, 30.0, 54.0));
        add(Level::L3, side, r(88.0, 288.0, 30.0, 40.0));
        add(Level::L5, side, r(88.0, 328.0, 15.0, 64.0));
        add(Level::L4, side, r(103.0, 328.0, 15.0, 64.0));
        // Foot: medial L4, dorsum L5, lateral S1.
        add(Level::S1, side, r(84.0, 392.0, 11.0, 22.0));
        add(Level::L5, side, r(95.0, 392.0, 12.0, 24.0));
        add(Level::L4, side, r(107.0, 392.0, 11.0, 22.0));
        // Perineum inset (seen from below): S2 outermost, S4-5 around the anus.
        add(Level::S2, side, r(176.0, 372.0, 24.0, 44.0));
        add(Level::S3, side, r(184.0, 380.0, 16.0, 28.0));
        add(Level::S4_5, side, r(192.0, 388.0, 8.0, 12.0));
    }
    out
}

#[derive(Template)]
#[template(path = "worksheet.html")]
struct WorksheetPage {
    ctx: Ctx,
    sheet: Sheet,
    /// The form's API path, when the worksheet belongs to a visit.
    save_path: String,
    /// The participant page, for a visit's worksheet.
    back: String,
    heading: String,
    subheading: String,
    editable: bool,
    version: i64,
    state: String,
    /// Data management on a visit's form: locks and queries raised from a field.
    manage: Manage,
}

/// What the monitor and the data manager do on a visit's worksheet.
#[derive(Default)]
pub struct Manage {
    /// The lock call (a data manager, a saved unlocked form).
    lock: Option<String>,
    /// The unlock call (a data manager, a locked form).
    unlock: Option<String>,
    /// The query call (the monitor and the data manager).
    query: Option<String>,
    visit_id: String,
    form_id: String,
    /// The fields a query may name: flat-layout key and label.
    fields: Vec<(String, String)>,
    /// The open queries on the form: field and question.
    queries: Vec<(String, String)>,
}

/// `GET /isncsci`: the free calculator, for any signed-in user; nothing is saved.
async fn calculator(viewer: Viewer) -> Response {
    let ctx = viewer.ctx(None);
    let page = WorksheetPage {
        sheet: sheet(ctx.t, &serde_json::Map::new(), ""),
        heading: ctx.t.get("ws.calculator_title").to_string(),
        subheading: ctx.t.get("ws.calculator_note").to_string(),
        ctx,
        save_path: String::new(),
        back: String::new(),
        editable: true,
        version: 0,
        state: String::new(),
        manage: Manage::default(),
    };
    render(viewer.lang, &page)
}

/// `GET /studies/{study}/participants/{id}/visits/{visit}/forms/{form}`: a visit's ISNCSCI
/// form on the worksheet.
async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, id, visit, form)): Path<(String, String, String, String)>,
) -> Response {
    // Every other form has its page, generated from the study definition.
    let other_kind = require(&viewer.me.roles, &study, Operation::ReadParticipants).is_ok()
        && state.study(&study).is_ok_and(|s| {
            s.form(&form)
                .is_some_and(|f| f.kind != trial::FormKind::Isncsci)
        });
    if other_kind {
        return super::redirect(&format!(
            "/studies/{}/participants/{}/visits/{}/ecrf/{}",
            super::encode(&study),
            super::encode(&id),
            super::encode(&visit),
            super::encode(&form)
        ));
    }
    match form_page(&state, &viewer, &study, &id, &visit, &form).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
    id: &str,
    visit: &str,
    form: &str,
) -> Result<WorksheetPage, ApiError> {
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
    if form_def.kind != trial::FormKind::Isncsci {
        return Err(ApiError::NotFound(format!(
            "form {form} is not an ISNCSCI exam"
        )));
    }
    let entry = state
        .store
        .forms(&scope, id)
        .await?
        .into_iter()
        .find(|f| f.visit_id == visit && f.form_id == form);
    let may_enter = scope_for(&viewer.me.roles, study_id, Operation::EnterData)
        .is_some_and(|s| s.includes_site(&participant.site_id));
    let ctx = viewer.ctx(Some(study_id));
    let empty = serde_json::Map::new();
    let (values, comments, classification) = match &entry {
        Some(e) => (
            e.data["exam"].as_object().cloned().unwrap_or_default(),
            e.data["comments"].as_str().unwrap_or("").to_string(),
            e.data["classification"].as_object().cloned(),
        ),
        None => (empty, String::new(), None),
    };
    let mut sheet = sheet(ctx.t, &values, &comments);
    if let Some(c) = classification {
        for (key, value) in sheet.results.iter_mut() {
            *value = c
                .get(*key)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
        }
    }
    let subject = participant
        .subject_id
        .clone()
        .unwrap_or(participant.screening_number.clone());
    let may = |op: Operation| {
        scope_for(&viewer.me.roles, study_id, op)
            .is_some_and(|s| s.includes_site(&participant.site_id))
    };
    let form_api = format!(
        "/api/studies/{}/participants/{id}/visits/{}/forms/{}",
        super::encode(study_id),
        super::encode(visit),
        super::encode(form)
    );
    let locked = entry.as_ref().is_some_and(|e| e.locked);
    let mut fields: Vec<(String, String)> = sheet
        .columns
        .iter()
        .flat_map(|c| c.cells.iter())
        .filter(|c| c.kind == "input")
        .map(|c| (c.name.clone(), c.label.clone()))
        .collect();
    for (key, label) in [
        ("analContraction", "ws.vac"),
        ("analSensation", "ws.dap"),
        ("comments", "ws.comments"),
    ] {
        fields.push((key.to_string(), ctx.t.get(label).to_string()));
    }
    let queries = state
        .store
        .queries(&scope, Some(id), None)
        .await?
        .into_iter()
        .filter(|q| q.visit_id == visit && q.form_id == form && q.status != "closed")
        .map(|q| (q.field, q.text))
        .collect();
    let manage = Manage {
        lock: (may(Operation::Lock) && entry.is_some() && !locked)
            .then(|| format!("{form_api}/lock")),
        unlock: (may(Operation::Lock) && locked).then(|| format!("{form_api}/unlock")),
        query: may(Operation::RaiseQuery).then(|| {
            format!(
                "/api/studies/{}/participants/{id}/queries",
                super::encode(study_id)
            )
        }),
        visit_id: visit.to_string(),
        form_id: form.to_string(),
        fields,
        queries,
    };
    Ok(WorksheetPage {
        manage,
        heading: format!(
            "{} — {}",
            ctx.t.get("ws.title"),
            visit_def.name_in(ctx.t.0.zh())
        ),
        subheading: format!("{subject} · {}", participant.site_id),
        sheet,
        save_path: format!(
            "/api/studies/{}/participants/{id}/visits/{}/forms/{}",
            super::encode(study_id),
            super::encode(visit),
            super::encode(form)
        ),
        back: format!("/studies/{}/participants/{id}", super::encode(study_id)),
        editable: may_enter && !entry.as_ref().is_some_and(|e| e.locked),
        version: entry.as_ref().map_or(0, |e| e.version),
        state: entry
            .map_or(trial::FormState::NotStarted, |e| e.state)
            .as_str()
            .to_string(),
        ctx,
    })
}
