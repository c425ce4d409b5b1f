//! ODM 1.3.2 clinical data read into a study: `ClinicalData`/`SubjectData`/`StudyEventData`/
//! `FormData`/`ItemGroupData`/`ItemData`, as our export writes it and as REDCap and
//! OpenClinica export it, matched to the study's visits, forms and items, and every form
//! validated and normalised by the same rules as a save. Pure: [`read`] takes any reader and
//! gives the forms to save, or the first thing in the file that does not fit, naming the line,
//! subject, event, form and item. [`import`] reads a file and saves every form in one write of
//! the store (`Store::import_forms`), so a file that does not fit leaves nothing written.
//!
//! Matching: a study event is `SE.<visit>` (or the visit's id), a form `F.<form>` (REDCap's
//! `Form.<form>`, or the form's id), an item its OID in our metadata (`IT.<form>.<key>`,
//! `IT.<form>.exam.<key>`) or its key alone (REDCap's field name); OpenClinica's own OIDs
//! (`SE_WEEK24`, `F_VITALSIGNS_V10`, `I_VITAL_SYSTOLICBP`) are matched by name (`names`). Each item's transactions
//! are applied in order (`Remove` or `IsNull` takes the value away), so the value held is the
//! last one. The values a form computes (ISNCSCI's classification, SCIM III's subscales and
//! total) are not taken from the file: they are computed again, and a file whose value differs
//! is refused. REDCap's `<form>_complete` (2 complete, 0 or 1 not) gives the form's status. The
//! treatment of an unblinded export (`SE.TREATMENT`) is not clinical data and is skipped.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde_json::{Map, Value};
use store::{Actor, FormImport, ImportCount, Scope, Store};
use trial::{FormKind, FormStatus, Study};

use super::clinical::value_text;
use super::metadata::{groups, GroupSpec, ItemSpec, TREATMENT};
use super::names::{self, Named};

/// Where a problem of an imported file is, and what it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportProblem {
    /// The line of the file (1 for the first).
    pub line: Option<usize>,
    /// The subject (`SubjectKey`).
    pub subject: Option<String>,
    /// The study event's OID.
    pub event: Option<String>,
    /// The form's OID.
    pub form: Option<String>,
    /// The item's OID.
    pub item: Option<String>,
    /// What is wrong, with what is allowed.
    pub message: String,
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut at = Vec::new();
        if let Some(l) = self.line {
            at.push(format!("line {l}"));
        }
        for (name, v) in [
            ("subject", &self.subject),
            ("event", &self.event),
            ("form", &self.form),
            ("item", &self.item),
        ] {
            if let Some(v) = v {
                at.push(format!("{name} {v}"));
            }
        }
        if at.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", at.join(", "), self.message)
        }
    }
}

/// What can go wrong in an ODM import.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file does not fit the study: nothing was written.
    #[error("the file does not fit the study, nothing imported: {0}")]
    Refused(Box<ImportProblem>),
    /// The store refused a form (a participant or visit it does not have, a locked form):
    /// nothing was written.
    #[error("nothing imported: {0}")]
    Store(#[from] store::StoreError),
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A form read from the file: what to save, and the line where it began.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedForm {
    /// The line of its first `FormData`.
    pub line: usize,
    /// The form to save.
    pub form: FormImport,
}

/// A reader that counts the lines it has given.
struct Lines<R> {
    inner: R,
    newlines: usize,
}

impl<R: std::io::Read> std::io::Read for Lines<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.newlines += out[..n].iter().filter(|b| **b == b'\n').count();
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amount: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amount.min(buf.len());
            self.newlines += buf[..n].iter().filter(|b| **b == b'\n').count();
        }
        self.inner.consume(amount);
    }
}

/// One item's value as the file leaves it, and the line and OID it was last given at.
struct Held {
    value: Option<String>,
    line: usize,
    oid: String,
}

/// A form as read so far.
struct FormRead<'s> {
    line: usize,
    subject: String,
    visit: String,
    def: &'s trial::FormDef,
    /// By (group index, item index).
    items: BTreeMap<(usize, usize), Held>,
    status: Option<(FormStatus, usize, String)>,
}

/// Where the reader is.
#[derive(Default)]
struct At {
    subject: Option<String>,
    event: Option<String>,
    visit: Option<String>,
    form: Option<usize>,
    /// Its OID.
    form_oid: Option<String>,
    /// Inside the treatment's study event: skipped.
    skipping: bool,
}

/// Reads the clinical data of an ODM file into the forms to save for `study`, each validated
/// and normalised as a save is; the first problem refuses the whole file.
pub fn read(study: &Study, input: impl BufRead) -> Result<Vec<ImportedForm>, Box<ImportProblem>> {
    let specs: HashMap<&str, Vec<GroupSpec>> = study
        .forms
        .iter()
        .map(|f| (f.id.as_str(), groups(f)))
        .collect();
    let mut reader = Reader::from_reader(Lines {
        inner: input,
        newlines: 0,
    });
    let mut buf = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let mut at = At::default();
    let mut forms: Vec<FormRead> = Vec::new();
    let mut index: HashMap<(String, String, String), usize> = HashMap::new();
    let mut root_seen = false;
    loop {
        let event = reader.read_event_into(&mut buf);
        let line = reader.get_ref().newlines + 1;
        let problem = |at: &At, message: String| {
            Box::new(ImportProblem {
                line: Some(line),
                subject: at.subject.clone(),
                event: at.event.clone(),
                form: at.form_oid.clone(),
                item: None,
                message,
            })
        };
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                return Err(problem(&at, format!("not well-formed XML: {e}")));
            }
        };
        let (start, empty) = match &event {
            Event::Start(s) => (Some(s), false),
            Event::Empty(s) => (Some(s), true),
            Event::End(e) => {
                let name = e.local_name().into_inner().to_string();
                if open.pop().as_deref() != Some(name.as_str()) {
                    return Err(problem(
                        &at,
                        "not well-formed XML: a closing tag that does not match".into(),
                    ));
                }
                leave(&name, &mut at);
                buf.clear();
                continue;
            }
            Event::Text(t) => {
                if open.is_empty() && !t.chars().all(char::is_whitespace) {
                    return Err(problem(
                        &at,
                        "not well-formed XML: text outside the root element".into(),
                    ));
                }
                buf.clear();
                continue;
            }
            Event::Eof => {
                if let Some(name) = open.last() {
                    return Err(problem(&at, format!("the file ends inside <{name}>")));
                }
                if !root_seen {
                    return Err(problem(&at, "not an ODM file: no <ODM> element".into()));
                }
                break;
            }
            _ => {
                buf.clear();
                continue;
            }
        };
        let Some(start) = start else { continue };
        let name = start.local_name().into_inner().to_string();
        if open.is_empty() {
            if root_seen || name != "ODM" {
                return Err(problem(
                    &at,
                    format!("not an ODM file: the root element is <{name}>, not <ODM>"),
                ));
            }
            root_seen = true;
        }
        let attrs = attributes(start).map_err(|m| problem(&at, m))?;
        let attr = |key: &str| {
            attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let repeats = ["StudyEventRepeatKey", "FormRepeatKey", "ItemGroupRepeatKey"];
        if !at.skipping {
            if let Some(key) = repeats.iter().find(|k| attr(k).is_some_and(|v| v != "1")) {
                return Err(problem(
                    &at,
                    format!(
                        "{key} {:?}: the visits and forms of a study do not repeat",
                        attr(key).unwrap_or_default()
                    ),
                ));
            }
        }
        match (name.as_str(), at.skipping) {
            (_, true) => {}
            ("SubjectData", _) => {
                // OpenClinica's SubjectKey is its own OID (`SS_…`); the participant's label is
                // its `OpenClinica:StudySubjectID`.
                let key = attr("StudySubjectID")
                    .or_else(|| attr("SubjectKey"))
                    .filter(|k| !k.trim().is_empty());
                let Some(key) = key else {
                    return Err(problem(&at, "SubjectData without a SubjectKey".into()));
                };
                at.subject = Some(key.to_string());
                if attr("TransactionType") == Some("Remove") {
                    return Err(problem(&at, "removing a subject is not imported".into()));
                }
            }
            ("StudyEventData", _) => {
                let oid = attr("StudyEventOID").unwrap_or_default().to_string();
                at.event = Some(oid.clone());
                if oid == TREATMENT.0 {
                    at.skipping = true;
                } else {
                    let ours = study
                        .visits
                        .iter()
                        .find(|v| oid.strip_prefix("SE.") == Some(v.id.as_str()) || oid == v.id);
                    let named = || {
                        let visits: Vec<(&str, &trial::VisitDef)> =
                            study.visits.iter().map(|v| (v.id.as_str(), v)).collect();
                        names::event(&oid, &visits)
                    };
                    let visit = match ours {
                        Some(v) => Some(v),
                        None => match named() {
                            Named::One(v) => Some(v),
                            Named::Ambiguous(ids) => {
                                return Err(problem(&at, ambiguous("study event", &ids)));
                            }
                            Named::None => None,
                        },
                    };
                    let Some(visit) = visit else {
                        let known: Vec<String> = study
                            .visits
                            .iter()
                            .map(|v| format!("SE.{}", v.id))
                            .collect();
                        return Err(problem(
                            &at,
                            format!(
                                "unknown study event {oid:?} (the study's: {})",
                                known.join(", ")
                            ),
                        ));
                    };
                    at.visit = Some(visit.id.clone());
                }
            }
            ("FormData", _) => {
                let oid = attr("FormOID").unwrap_or_default();
                let (Some(subject), Some(visit_id)) = (at.subject.clone(), at.visit.clone()) else {
                    return Err(problem(
                        &at,
                        "FormData outside a subject's study event".into(),
                    ));
                };
                let visit = study
                    .visit(&visit_id)
                    .ok_or_else(|| problem(&at, "no visit".into()))?;
                let id = ["F.", "Form."]
                    .iter()
                    .find_map(|p| oid.strip_prefix(p))
                    .unwrap_or(oid);
                let def = match visit.forms.iter().find(|f| f.as_str() == id) {
                    Some(f) => study.form(f),
                    None => {
                        let forms: Vec<(&str, &str)> = visit
                            .forms
                            .iter()
                            .map(|f| (f.as_str(), f.as_str()))
                            .collect();
                        match names::form(oid, &forms) {
                            Named::One(f) => study.form(f),
                            Named::Ambiguous(ids) => {
                                return Err(problem(&at, ambiguous("form", &ids)));
                            }
                            Named::None => None,
                        }
                    }
                };
                let Some(def) = def else {
                    let known: Vec<String> = visit.forms.iter().map(|f| format!("F.{f}")).collect();
                    return Err(problem(
                        &at,
                        format!(
                            "{oid:?} is not a form of visit {visit_id} (its forms: {})",
                            known.join(", ")
                        ),
                    ));
                };
                if attr("TransactionType") == Some("Remove") {
                    return Err(problem(&at, "removing a form is not imported".into()));
                }
                let key = (subject.clone(), visit_id.clone(), def.id.clone());
                let n = *index.entry(key).or_insert_with(|| {
                    forms.push(FormRead {
                        line,
                        subject,
                        visit: visit_id,
                        def,
                        items: BTreeMap::new(),
                        status: None,
                    });
                    forms.len() - 1
                });
                at.form = Some(n);
                at.form_oid = Some(super::metadata::form_oid(&forms[n].def.id));
            }
            ("ItemData", _) => {
                let Some(n) = at.form else {
                    return Err(problem(&at, "ItemData outside a form".into()));
                };
                let oid = attr("ItemOID").unwrap_or_default().to_string();
                let removed =
                    attr("TransactionType") == Some("Remove") || attr("IsNull") == Some("Yes");
                let value = attr("Value").map(String::from).filter(|_| !removed);
                let form = &mut forms[n];
                let spec = &specs[form.def.id.as_str()];
                if oid == format!("{}_complete", form.def.id) {
                    let status = match value.as_deref() {
                        Some("2") => FormStatus::Complete,
                        Some("0" | "1") | None => FormStatus::InProgress,
                        Some(other) => {
                            let mut p = problem(
                                &at,
                                format!("{other:?} is not a REDCap form status (0, 1 or 2)"),
                            );
                            p.item = Some(oid);
                            return Err(p);
                        }
                    };
                    form.status = Some((status, line, oid));
                } else {
                    let found = match find_item(spec, &oid) {
                        Some(found) => Ok(found),
                        None => match names::item(&oid, &item_keys(spec)) {
                            Named::One(found) => Ok(found),
                            Named::Ambiguous(keys) => Err(ambiguous("item", &keys)),
                            Named::None => Err(format!(
                                "unknown item: not an item of form {} (its items: {})",
                                form.def.id,
                                item_list(spec)
                            )),
                        },
                    };
                    let found = match found {
                        Ok(found) => found,
                        Err(message) => {
                            let mut p = problem(&at, message);
                            p.item = Some(oid);
                            return Err(p);
                        }
                    };
                    form.items.insert(found, Held { value, line, oid });
                }
            }
            (
                "ItemDataAny" | "ItemDataString" | "ItemDataInteger" | "ItemDataFloat"
                | "ItemDataDate" | "ItemDataBoolean",
                _,
            ) => {
                let mut p = problem(
                    &at,
                    "typed ItemData is not imported: give ItemData with a Value".into(),
                );
                p.item = attr("ItemOID").map(String::from);
                return Err(p);
            }
            _ => {}
        }
        if empty {
            leave(&name, &mut at);
        } else {
            open.push(name);
        }
        buf.clear();
    }
    forms
        .into_iter()
        .map(|f| validate(study, &specs[f.def.id.as_str()], f))
        .collect()
}

/// The attributes of an element by local name, values unescaped and normalised.
fn attributes(start: &BytesStart) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for a in start.attributes() {
        let a = a.map_err(|e| format!("not well-formed XML: {e}"))?;
        let key = a.key.local_name().into_inner().to_string();
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("not well-formed XML: attribute {key}: {e}"))?;
        out.push((key, value.to_string()));
    }
    Ok(out)
}

/// Leaves an element: what it scoped is over.
fn leave(name: &str, at: &mut At) {
    match name {
        "SubjectData" => *at = At::default(),
        "StudyEventData" => {
            at.event = None;
            at.visit = None;
            at.form = None;
            at.form_oid = None;
            at.skipping = false;
        }
        "FormData" => {
            at.form = None;
            at.form_oid = None;
        }
        _ => {}
    }
}

/// The item an OID names in a form's groups: by its OID, else by its key.
fn find_item(spec: &[GroupSpec], oid: &str) -> Option<(usize, usize)> {
    let find = |hit: &dyn Fn(&ItemSpec) -> bool| {
        spec.iter()
            .enumerate()
            .find_map(|(g, group)| group.items.iter().position(hit).map(|i| (g, i)))
    };
    find(&|i| i.oid == oid).or_else(|| find(&|i| i.key == oid))
}

/// A form's items by key, for OpenClinica's OIDs.
fn item_keys(spec: &[GroupSpec]) -> Vec<(&str, (usize, usize))> {
    spec.iter()
        .enumerate()
        .flat_map(|(g, group)| {
            group
                .items
                .iter()
                .enumerate()
                .map(move |(i, item)| (item.key.as_str(), (g, i)))
        })
        .collect()
}

/// The refusal of an OpenClinica OID that names more than one of the study's `what`.
fn ambiguous(what: &str, names: &[String]) -> String {
    format!(
        "the OID names more than one {what} of the study ({}): give the study's own OID",
        names.join(", ")
    )
}

/// The OIDs of a form's items, the first dozen.
fn item_list(spec: &[GroupSpec]) -> String {
    let all: Vec<&str> = spec
        .iter()
        .flat_map(|g| &g.items)
        .map(|i| i.oid.as_str())
        .collect();
    let mut out = all.iter().take(12).copied().collect::<Vec<_>>().join(", ");
    if all.len() > 12 {
        out.push_str(&format!(", … {} in all", all.len()));
    }
    out
}

/// Whether an item is computed by its form rather than entered.
fn computed(kind: FormKind, group: &GroupSpec, item: &ItemSpec) -> bool {
    match kind {
        FormKind::Isncsci => group.nested != Some("exam"),
        FormKind::Scim3 => !trial::Scim3Item::ALL.iter().any(|i| i.id() == item.key),
        _ => false,
    }
}

/// A value of the file as the form's JSON takes it, by the item's type.
fn typed(item: &ItemSpec, text: &str) -> Value {
    match item.data_type {
        "integer" | "float" => {
            if let Ok(n) = text.trim().parse::<i64>() {
                return Value::from(n);
            }
            if item.data_type == "float" {
                if let Some(n) = text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                {
                    return Value::Number(n);
                }
            }
            Value::String(text.to_string())
        }
        "boolean" => match text.trim() {
            "true" | "1" | "Yes" | "yes" => Value::Bool(true),
            "false" | "0" | "No" | "no" => Value::Bool(false),
            _ => Value::String(text.to_string()),
        },
        _ => Value::String(text.to_string()),
    }
}

/// A form read from the file, validated and normalised by the study's rules.
fn validate(
    study: &Study,
    spec: &[GroupSpec],
    f: FormRead,
) -> Result<ImportedForm, Box<ImportProblem>> {
    let form_oid = super::metadata::form_oid(&f.def.id);
    let problem = |line: usize, item: Option<String>, message: String| {
        Box::new(ImportProblem {
            line: Some(line),
            subject: Some(f.subject.clone()),
            event: Some(format!("SE.{}", f.visit)),
            form: Some(form_oid.clone()),
            item,
            message,
        })
    };
    let mut entered = Map::new();
    let mut given_computed = Vec::new();
    for ((g, i), held) in &f.items {
        let (group, item) = (&spec[*g], &spec[*g].items[*i]);
        let Some(text) = &held.value else { continue };
        if computed(f.def.kind, group, item) {
            given_computed.push((group, item, held));
        } else {
            entered.insert(item.key.clone(), typed(item, text));
        }
    }
    // Where an entered key's problem is: the item's line and OID.
    let held_at = |key: &str| {
        f.items.iter().find_map(|((g, i), h)| {
            let item = &spec[*g].items[*i];
            (item.key == key && !computed(f.def.kind, &spec[*g], item)).then_some(h)
        })
    };
    let refused = |field: &str, message: String| {
        let key = field.rsplit('.').next().unwrap_or(field);
        match held_at(key) {
            Some(h) => problem(h.line, Some(h.oid.clone()), message),
            None => {
                let oid = spec
                    .iter()
                    .flat_map(|g| &g.items)
                    .find(|i| i.key == key)
                    .map(|i| i.oid.clone());
                problem(f.line, oid, message)
            }
        }
    };
    let data = match f.def.kind {
        FormKind::Isncsci => {
            trial::participants::isncsci_form_data(&entered).map_err(|problems| {
                let first = problems.into_iter().next().map(|p| (p.path, p.message));
                let (field, message) = first.unwrap_or_default();
                refused(&field, message)
            })?
        }
        _ => trial::score_form(f.def, &entered).map_err(|issues| {
            let first = issues.into_iter().next().map(|i| (i.field, i.message));
            let (field, message) = first.unwrap_or_default();
            refused(&field, message)
        })?,
    };
    let Value::Object(mut data) = data else {
        return Err(problem(
            f.line,
            None,
            "the form's values are not an object".into(),
        ));
    };
    // What the file does not give is absent, not null.
    data.retain(|_, v| !v.is_null());
    for (group, item, held) in given_computed {
        let holder = match group.nested {
            Some(key) => data.get(key),
            None => Some(&Value::Object(data.clone())),
        };
        let now = holder
            .and_then(|h| h.get(&item.key))
            .filter(|v| !v.is_null())
            .map(value_text);
        if now.as_deref() != held.value.as_deref() {
            return Err(problem(
                held.line,
                Some(held.oid.clone()),
                format!(
                    "the file gives {:?}, but the form computes {} from the values entered",
                    held.value.as_deref().unwrap_or_default(),
                    now.map_or("nothing".into(), |v| format!("{v:?}"))
                ),
            ));
        }
    }
    let visit = study.visit(&f.visit);
    let screening_exam = visit.is_some_and(|v| v.screening) && f.def.kind == FormKind::Isncsci;
    Ok(ImportedForm {
        line: f.line,
        form: FormImport {
            subject: f.subject.clone(),
            visit_id: f.visit.clone(),
            form_id: f.def.id.clone(),
            data,
            status: f.status.as_ref().map(|(s, _, _)| *s),
            screening_exam,
        },
    })
}

/// Imports the clinical data of the ODM file at `path` into `study`: [`read`], then every
/// form saved in one write of the store, audited as `import_odm` with the reason naming the
/// file. Refused whole, nothing written, when any of it does not fit.
pub async fn import(
    store: &Store,
    study: &Study,
    scope: &Scope,
    by: &Actor,
    path: &Path,
) -> Result<(usize, ImportCount), ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let forms = read(study, std::io::BufReader::with_capacity(1 << 16, file))
        .map_err(ImportError::Refused)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().to_string(),
    );
    let reason = format!("imported from the ODM file {name}");
    let n = forms.len();
    let count = store
        .import_forms(
            scope,
            forms.into_iter().map(|f| f.form).collect(),
            &reason,
            by,
        )
        .await?;
    Ok((n, count))
}
