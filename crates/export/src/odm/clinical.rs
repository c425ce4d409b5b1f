//! One participant's clinical data: `SubjectData` with its site, each visit's forms and their
//! values, each value's history as transactions with their audit records, and signatures.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::Value as Json;
use store::{AuditRow, Casebook, SubmittedForm, SubmittedSignature};
use trial::safety::escape_xml as esc;
use trial::Study;

use super::metadata::{event_oid, form_oid, GroupSpec, TREATMENT};

/// The OID of an account.
pub(crate) fn user_oid(username: &str) -> String {
    format!("USR.{username}")
}

/// The OID of a site.
pub(crate) fn location_oid(site: &str) -> String {
    format!("LOC.{site}")
}

/// The OID of a signature's meaning.
pub(crate) fn signature_oid(meaning: &str) -> String {
    format!("SD.{meaning}")
}

/// The key of a participant in the file: the subject id once enrolled, else the screening
/// number.
pub fn subject_key(book: &Casebook) -> &str {
    let p = &book.participant;
    p.subject_id.as_deref().unwrap_or(&p.screening_number)
}

/// A stored value as ODM's `Value` (and as the audit trail writes it): text as is, anything
/// else as JSON.
pub fn value_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One change of one item, from a row of the audit trail (or none, for a value the trail does
/// not account for).
struct Transaction<'a> {
    kind: &'static str,
    value: Option<String>,
    row: Option<&'a AuditRow>,
}

/// Where an item is: the nested object (`exam`) or the top level, and its key.
type ItemAt = (Option<String>, String);

/// The changes the trail holds of each item of a form whose nested objects are `nested`. A
/// form's creation audits each top-level key with its whole value (a nested object as its JSON
/// text, read here once); a change audits each changed value by its path
/// (`exam.c5RightMotor`). Rows of other fields (the status, verification, locks) are not
/// values and are left out.
fn histories<'a>(trail: &[&'a AuditRow], nested: &[&str]) -> HashMap<ItemAt, Vec<Transaction<'a>>> {
    let mut out: HashMap<ItemAt, Vec<Transaction<'a>>> = Default::default();
    let mut add = |at: ItemAt, old: Option<String>, new: Option<String>, row: &'a AuditRow| {
        let list = out.entry(at).or_default();
        let held = list.last().and_then(|t| t.value.clone());
        let kind = match (&held, &new) {
            (_, None) => "Remove",
            (None, Some(_)) if old.is_none() => "Insert",
            _ => "Update",
        };
        list.push(Transaction {
            kind,
            value: new,
            row: Some(row),
        });
    };
    for row in trail {
        let Some(field) = row.field.as_deref() else {
            continue;
        };
        match row.action.as_str() {
            "create" if nested.contains(&field) => {
                let whole: Option<Json> = row
                    .new_value
                    .as_deref()
                    .and_then(|t| serde_json::from_str(t).ok());
                if let Some(Json::Object(values)) = whole {
                    for (key, v) in values.iter().filter(|(_, v)| !v.is_null()) {
                        let at = (Some(field.to_string()), key.clone());
                        add(at, None, Some(value_text(v)), row);
                    }
                }
            }
            "create" => add((None, field.to_string()), None, row.new_value.clone(), row),
            "update" => {
                let at = match field.split_once('.') {
                    Some((group, key)) if nested.contains(&group) => {
                        (Some(group.to_string()), key.to_string())
                    }
                    _ => (None, field.to_string()),
                };
                add(at, row.old_value.clone(), row.new_value.clone(), row);
            }
            _ => {}
        }
    }
    out
}

/// `<AuditRecord>` of a row of the trail, at the participant's site.
fn audit_record(s: &mut String, row: &AuditRow, site: &str) {
    let _ = write!(
        s,
        "<AuditRecord><UserRef UserOID=\"{}\"/><LocationRef LocationOID=\"{}\"/>\
         <DateTimeStamp>{}</DateTimeStamp>",
        esc(&user_oid(&row.username)),
        esc(&location_oid(site)),
        esc(&row.at)
    );
    if let Some(reason) = row.reason.as_deref().filter(|r| !r.is_empty()) {
        let _ = write!(s, "<ReasonForChange>{}</ReasonForChange>", esc(reason));
    }
    let _ = write!(
        s,
        "<SourceID>audit {} {} ({})</SourceID></AuditRecord>",
        esc(&row.chain),
        row.seq,
        esc(&row.action)
    );
}

/// `<Signature>` of the latest signature that is not void, at the participant's site.
fn signature(s: &mut String, signatures: &[&SubmittedSignature], site: &str) {
    let Some(sig) = signatures.iter().rev().find(|g| g.void_at.is_none()) else {
        return;
    };
    let _ = write!(
        s,
        "<Signature><UserRef UserOID=\"{}\"/><LocationRef LocationOID=\"{}\"/>\
         <SignatureRef SignatureOID=\"{}\"/><DateTimeStamp>{}</DateTimeStamp></Signature>",
        esc(&user_oid(&sig.username)),
        esc(&location_oid(site)),
        esc(&signature_oid(&sig.meaning)),
        esc(&sig.signed_at)
    );
}

/// A form's item groups with each item's transactions.
fn form_data(
    s: &mut String,
    groups: &[GroupSpec],
    form: &SubmittedForm,
    trail: &[&AuditRow],
    site: &str,
) {
    let _ = write!(
        s,
        "<FormData FormOID=\"{}\">",
        esc(&form_oid(&form.form_id))
    );
    let nested: Vec<&str> = groups.iter().filter_map(|g| g.nested).collect();
    let mut all = histories(trail, &nested);
    for g in groups {
        let held = match g.nested {
            Some(key) => form.data.get(key),
            None => Some(&form.data),
        };
        let mut items = String::new();
        for item in &g.items {
            let now = held
                .and_then(|h| h.get(&item.key))
                .filter(|v| !v.is_null())
                .map(value_text);
            let at = (g.nested.map(String::from), item.key.clone());
            let mut changes = all.remove(&at).unwrap_or_default();
            let last = changes.last().and_then(|t| t.value.clone());
            if last != now {
                changes.push(Transaction {
                    kind: if now.is_some() { "Upsert" } else { "Remove" },
                    value: now,
                    row: None,
                });
            }
            for t in changes {
                let _ = write!(
                    items,
                    "<ItemData ItemOID=\"{}\" TransactionType=\"{}\"",
                    esc(&item.oid),
                    t.kind
                );
                match &t.value {
                    Some(v) => {
                        let _ = write!(items, " Value=\"{}\"", esc(v));
                    }
                    None => items.push_str(" IsNull=\"Yes\""),
                }
                match t.row {
                    Some(row) => {
                        items.push('>');
                        audit_record(&mut items, row, site);
                        items.push_str("</ItemData>");
                    }
                    None => items.push_str("/>"),
                }
            }
        }
        if !items.is_empty() {
            let _ = write!(
                s,
                "<ItemGroupData ItemGroupOID=\"{}\">{items}</ItemGroupData>",
                esc(&g.oid)
            );
        }
    }
    s.push_str("</FormData>");
}

/// The `SubjectData` of one casebook: the visits of the schedule in order, each with the forms
/// of the definition saved at it; forms of a visit or form the definition does not have are
/// left out.
pub(crate) fn subject(
    study: &Study,
    defined: &HashMap<String, Vec<GroupSpec>>,
    treatments: bool,
    book: &Casebook,
) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let site = book.participant.site_id.as_str();
    let _ = write!(
        s,
        "<SubjectData SubjectKey=\"{}\" TransactionType=\"Upsert\">",
        esc(subject_key(book))
    );
    let signed = |visit: &str| -> Vec<&SubmittedSignature> {
        book.signatures
            .iter()
            .filter(|g| g.visit_id == visit)
            .collect()
    };
    signature(&mut s, &signed(""), site);
    let _ = write!(s, "<SiteRef LocationOID=\"{}\"/>", esc(&location_oid(site)));
    for visit in &study.visits {
        let forms: Vec<&SubmittedForm> = visit
            .forms
            .iter()
            .filter_map(|id| {
                book.forms
                    .iter()
                    .find(|f| f.visit_id == visit.id && &f.form_id == id)
            })
            .collect();
        let signatures = signed(&visit.id);
        if forms.is_empty() && signatures.is_empty() {
            continue;
        }
        let _ = write!(
            s,
            "<StudyEventData StudyEventOID=\"{}\" TransactionType=\"Upsert\">",
            esc(&event_oid(&visit.id))
        );
        signature(&mut s, &signatures, site);
        for form in forms {
            let Some(groups) = defined.get(&form.form_id) else {
                continue;
            };
            let record = format!("{}/{}/{}", form.participant_id, form.visit_id, form.form_id);
            let trail: Vec<&AuditRow> = book
                .trail
                .iter()
                .filter(|r| r.record_id == record)
                .collect();
            form_data(&mut s, groups, form, &trail, site);
        }
        s.push_str("</StudyEventData>");
    }
    if let (true, Some(arm)) = (treatments, &book.treatment) {
        let _ = write!(
            s,
            "<StudyEventData StudyEventOID=\"{}\"><FormData FormOID=\"{}\"><ItemGroupData \
             ItemGroupOID=\"{}\"><ItemData ItemOID=\"{}\" Value=\"{}\"/></ItemGroupData>\
             </FormData></StudyEventData>",
            TREATMENT.0,
            TREATMENT.1,
            TREATMENT.2,
            TREATMENT.3,
            esc(arm)
        );
    }
    s.push_str("</SubjectData>\n");
    s
}
