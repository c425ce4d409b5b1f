//! The life of a visit's forms once entered: saving and changing them (a change needs a reason,
//! clears the source verification and voids the signatures over it), source verification,
//! locks, and electronic signatures of a visit or of the whole casebook.
//!
//! Each decision takes the form as saved and the request, and returns what to write and what
//! to record in the audit trail, or the refusal.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{required_reason, Refusal};
use crate::states::named_states;
use crate::Change;

named_states! {
    /// What a form is saved as.
    pub enum FormStatus {
        /// Saved, not complete.
        InProgress = "in-progress",
        /// Saved complete.
        Complete = "complete",
    }
}

named_states! {
    /// The state a form is shown in, from first to last.
    pub enum FormState {
        /// Nothing saved yet.
        NotStarted = "not-started",
        /// Saved, not complete.
        InProgress = "in-progress",
        /// Saved complete.
        Complete = "complete",
        /// Complete and checked against the source by a monitor.
        SourceVerified = "source-verified",
        /// Its visit (or the casebook) carries a valid electronic signature.
        Signed = "signed",
        /// Locked by a data manager.
        Locked = "locked",
    }
}

impl FormState {
    /// The state shown for a saved form: locked, else signed, else source-verified, else the
    /// saved status.
    pub fn of(status: FormStatus, verified: bool, locked: bool, signed: bool) -> FormState {
        if locked {
            FormState::Locked
        } else if signed {
            FormState::Signed
        } else if verified {
            FormState::SourceVerified
        } else {
            match status {
                FormStatus::InProgress => FormState::InProgress,
                FormStatus::Complete => FormState::Complete,
            }
        }
    }
}

/// A form as saved, as the rules need it.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedForm {
    /// The values.
    pub data: Map<String, Value>,
    /// The saved status.
    pub status: FormStatus,
    /// 1 when first saved, one more at each change.
    pub version: i64,
    /// Who source-verified it, if anyone did since the last change.
    pub verified_by: Option<String>,
    /// Whether it is locked.
    pub locked: bool,
}

/// A save of a form: the record's id in the audit trail (`participant/visit/form`), the form,
/// the values and status, and the reason for a change.
#[derive(Clone, Copy, Debug)]
pub struct FormSaveRequest<'a> {
    /// `participant/visit/form`.
    pub record: &'a str,
    /// The form's id.
    pub form_id: &'a str,
    /// The values, validated and normalised.
    pub data: &'a Map<String, Value>,
    /// The status saved.
    pub status: FormStatus,
    /// Why saved data changes.
    pub reason: Option<&'a str>,
}

/// What a save writes.
#[derive(Clone, Debug, PartialEq)]
pub struct SaveOutcome {
    /// The version saved.
    pub version: i64,
    /// The audit rows of the form (the signatures voided are added by [`void_changes`]).
    pub changes: Vec<Change>,
    /// The change in words, kept with every signature it voids.
    pub what_changed: String,
    /// The reason, trimmed (none for a first save).
    pub reason: Option<String>,
}

/// The refusal of a change to a locked form.
pub fn locked(form_id: &str) -> Refusal {
    Refusal::conflict(
        "status",
        format!("form {form_id} is locked: it cannot change until a data manager unlocks it"),
    )
}

/// Decides a save: the first save creates the form; a change needs a reason, must change
/// something, is refused while the form is locked, and clears its source verification.
pub fn decide_save(
    before: Option<&SavedForm>,
    save: FormSaveRequest<'_>,
) -> Result<SaveOutcome, Refusal> {
    let record = save.record;
    let Some(before) = before else {
        let mut changes: Vec<Change> = save
            .data
            .iter()
            .map(|(field, value)| Change::new("create", "form", record).set(field, text(value)))
            .collect();
        changes.push(Change::new("create", "form", record).set("status", save.status));
        // A first save needs no reason; one given (an import names its file) is kept.
        let given = save.reason.map(str::trim).filter(|r| !r.is_empty());
        let changes = changes.into_iter().map(|c| c.because_of(given)).collect();
        return Ok(SaveOutcome {
            version: 1,
            changes,
            what_changed: format!("form {} added to the visit", save.form_id),
            reason: given.map(String::from),
        });
    };
    if before.locked {
        return Err(locked(save.form_id));
    }
    let reason = required_reason(save.reason, "to change saved data")?;
    let mut differences = Vec::new();
    changed_fields("", &before.data, save.data, &mut differences);
    let mut changes = Vec::new();
    let mut described = Vec::new();
    for (field, was, now) in differences {
        let change = Change {
            field: Some(field.clone()),
            old_value: was.map(text),
            new_value: now.map(text),
            ..Change::new("update", "form", record).because(reason)
        };
        described.push(format!(
            "{field} {} → {}",
            change.old_value.as_deref().unwrap_or("(empty)"),
            change.new_value.as_deref().unwrap_or("(empty)")
        ));
        changes.push(change);
    }
    if before.status != save.status {
        described.push(format!("status {} → {}", before.status, save.status));
        changes.push(
            Change::new("update", "form", record)
                .set("status", save.status)
                .was(before.status)
                .because(reason),
        );
    }
    if changes.is_empty() {
        return Err(Refusal::conflict("values", "nothing changed"));
    }
    if let Some(verifier) = &before.verified_by {
        changes.push(Change {
            field: Some("verified_by".into()),
            old_value: Some(verifier.clone()),
            ..Change::new("verification-cleared", "form", record).because(reason)
        });
    }
    Ok(SaveOutcome {
        version: before.version + 1,
        changes,
        what_changed: format!(
            "form {} changed: {} ({reason})",
            save.form_id,
            described.join(", ")
        ),
        reason: Some(reason.to_string()),
    })
}

/// A value as the audit trail writes it: strings bare, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A field that changed: its path, the value before and after.
type Difference<'a> = (String, Option<&'a Value>, Option<&'a Value>);

/// The fields whose values differ between two saves of a form, in order of name: a field
/// holding an object on both sides (the ISNCSCI exam, its classification) is compared member by
/// member, named `field.member`, so that the audit trail names each value that changed.
fn changed_fields<'a>(
    prefix: &str,
    old: &'a Map<String, Value>,
    new: &'a Map<String, Value>,
    out: &mut Vec<Difference<'a>>,
) {
    // Both maps give their keys in order (serde_json's map is a B-tree here; a unit test keeps
    // it so): one walk over both finds every name once.
    let (mut olds, mut news) = (old.iter().peekable(), new.iter().peekable());
    loop {
        let order = match (olds.peek(), news.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
        };
        let Some((name, was, now)) = (match order {
            std::cmp::Ordering::Less => olds.next().map(|(k, v)| (k, Some(v), None)),
            std::cmp::Ordering::Greater => news.next().map(|(k, v)| (k, None, Some(v))),
            std::cmp::Ordering::Equal => olds
                .next()
                .zip(news.next())
                .map(|((k, a), (_, b))| (k, Some(a), Some(b))),
        }) else {
            break;
        };
        if was == now {
            continue;
        }
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match (was, now) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => changed_fields(&path, a, b, out),
            _ => out.push((path, was, now)),
        }
    }
}

/// A monitor source-verifies a complete, unlocked form, once.
pub fn check_verification(
    form_id: &str,
    status: FormStatus,
    verified_by: Option<&str>,
    locked: bool,
) -> Result<(), Refusal> {
    if locked {
        return Err(self::locked(form_id));
    }
    if status != FormStatus::Complete {
        return Err(Refusal::conflict(
            "status",
            format!("only a complete form can be source-verified (it is {status})"),
        ));
    }
    if let Some(verifier) = verified_by {
        return Err(Refusal::conflict(
            "verified_by",
            format!("form {form_id} is already source-verified by {verifier}"),
        ));
    }
    Ok(())
}

/// Locks (`unlock_reason: None`) or unlocks a form (the reason required): what it records.
pub fn lock_change(
    record: &str,
    form_id: &str,
    locked: bool,
    unlock_reason: Option<Option<&str>>,
) -> Result<Change, Refusal> {
    let reason = match unlock_reason {
        Some(reason) => Some(required_reason(reason, "to unlock a form")?),
        None => None,
    };
    let lock = reason.is_none();
    if locked == lock {
        return Err(Refusal::conflict(
            "locked",
            format!(
                "form {form_id} is already {}",
                if lock { "locked" } else { "unlocked" }
            ),
        ));
    }
    Ok(
        Change::new(if lock { "lock" } else { "unlock" }, "form", record)
            .set("locked", lock)
            .was(!lock)
            .because_of(reason),
    )
}

named_states! {
    /// What an electronic signature means (21 CFR 11.50(a)(3)).
    pub enum Meaning {
        /// The signer wrote the data.
        Authored = "authored",
        /// The signer reviewed it.
        Reviewed = "reviewed",
        /// The signer approves it.
        Approved = "approved",
    }
}

/// How the audit trail names a whole casebook where it would name a visit.
pub const CASEBOOK: &str = "casebook";

/// What a password was re-entered to sign: when it is wrong, the refusal is recorded against
/// this record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignedRecord {
    /// A visit's forms.
    Visit(String),
    /// Every form of the participant.
    Casebook,
    /// An emergency unblinding.
    Unblinding,
    /// A sponsor's override of the dose level.
    DoseOverride,
    /// A DLT assessment.
    DltAssessment,
    /// The investigator's assessment of an adverse event (its id).
    AdverseEvent(i64),
    /// A DSMB decision on a stopping rule (named), of the study rather than a participant.
    DsmbDecision(String),
    /// A record of the cell product (`lot/12/results/sterility`, `lot/12/decision`,
    /// `shipment/3/handover`), of the study rather than a participant.
    Product(String),
    /// The data manager's database lock of the study.
    DatabaseLock,
    /// The study's unblinding after its lock.
    StudyUnblinding,
}

impl SignedRecord {
    /// The audit row of a signature refused for a wrong password.
    pub fn refused(&self, participant_id: i64) -> Change {
        let (entity, record) = match self {
            SignedRecord::Visit(visit) => ("visit", format!("{participant_id}/{visit}")),
            SignedRecord::Casebook => (CASEBOOK, format!("{participant_id}/{CASEBOOK}")),
            SignedRecord::Unblinding => ("allocation", participant_id.to_string()),
            SignedRecord::DoseOverride => ("dose-override", participant_id.to_string()),
            SignedRecord::DltAssessment => ("dlt-assessment", participant_id.to_string()),
            SignedRecord::AdverseEvent(ae) => {
                ("adverse-event", format!("{participant_id}/ae/{ae}"))
            }
            SignedRecord::DsmbDecision(rule) => ("dsmb-decision", rule.clone()),
            SignedRecord::Product(record) => ("product", record.clone()),
            SignedRecord::DatabaseLock => ("database-lock", "lock".to_string()),
            SignedRecord::StudyUnblinding => ("database-lock", "unblinding".to_string()),
        };
        Change::new("sign-failed", entity, record).set("signature", "wrong password")
    }
}

/// Checks that what is signed (`what`: "visit week-12", "the casebook") has saved forms and
/// that each is complete; `forms` are named as the signature names them.
pub fn check_signable<'a>(
    what: &str,
    forms: impl IntoIterator<Item = (&'a str, FormStatus)>,
) -> Result<(), Refusal> {
    let mut any = false;
    let mut incomplete = Vec::new();
    for (name, status) in forms {
        any = true;
        if status != FormStatus::Complete {
            incomplete.push(name);
        }
    }
    if !any {
        return Err(Refusal::conflict(
            "forms",
            format!("{what} has no saved form to sign"),
        ));
    }
    if !incomplete.is_empty() {
        return Err(Refusal::conflict(
            "status",
            format!(
                "every saved form must be complete to sign {what} (not complete: {})",
                incomplete.join(", ")
            ),
        ));
    }
    Ok(())
}

/// A signature as the audit trail records it.
#[derive(Clone, Copy, Debug)]
pub struct SignatureRecord<'a> {
    /// `participant/visit-or-casebook/id`.
    pub record: &'a str,
    /// What was signed, in words.
    pub what: &'a str,
    /// Its meaning.
    pub meaning: Meaning,
    /// The signer's account.
    pub signer_id: i64,
    /// The signer's printed name.
    pub signer_name: &'a str,
    /// When (UTC).
    pub at: &'a str,
    /// The hash of the data signed.
    pub data_hash: &'a str,
}

impl SignatureRecord<'_> {
    /// Its audit rows.
    pub fn changes(&self) -> Vec<Change> {
        let c = || Change::new("sign", "signature", self.record);
        vec![
            c().set("signed", self.what),
            c().set("meaning", self.meaning),
            c().set("signer_user_id", self.signer_id),
            c().set("signer_name", self.signer_name),
            c().set("signed_at", self.at),
            c().set("data_hash", self.data_hash),
        ]
    }
}

/// The audit rows of signatures voided by a change (`voided`: id and visit, empty for the
/// casebook), in order of id.
pub fn void_changes(
    participant_id: i64,
    mut voided: Vec<(i64, String)>,
    what_changed: &str,
    reason: Option<&str>,
) -> Vec<Change> {
    voided.sort_unstable();
    voided
        .into_iter()
        .map(|(id, visit)| {
            let signed = if visit.is_empty() { CASEBOOK } else { &visit };
            Change::new(
                "void",
                "signature",
                format!("{participant_id}/{signed}/{id}"),
            )
            .set("void_reason", what_changed)
            .because_of(reason)
        })
        .collect()
}

/// SHA-256 (hex) of the forms a signature covers, as signed: the canonical JSON (keys sorted,
/// no spaces) of `[{"form_id": …, "data": …}, …]`, forms sorted by name (a visit's by form id,
/// a casebook's by `visit/form`). Used when signing and when checking a signature.
pub fn signed_data_hash<'a>(forms: impl IntoIterator<Item = (&'a str, &'a Value)>) -> String {
    let mut forms: Vec<(&str, &Value)> = forms.into_iter().collect();
    forms.sort_by(|a, b| a.0.cmp(b.0));
    let mut text = String::from("[");
    for (i, (form_id, data)) in forms.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str("{\"form_id\":");
        canonical(&Value::String(form_id.to_string()), &mut text);
        text.push_str(",\"data\":");
        canonical(data, &mut text);
        text.push('}');
    }
    text.push(']');
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The hash of what a signature covers, from a participant's saved forms (`(visit, form,
/// data)`): a visit's forms named by form; the whole casebook's (`signed_visit` empty) by
/// `visit/form`. A signature is valid while this equals the hash it was signed with.
pub fn covered_data_hash(signed_visit: &str, forms: &[(&str, &str, &Value)]) -> String {
    if signed_visit.is_empty() {
        let named: Vec<(String, &Value)> = forms
            .iter()
            .map(|(visit, form, data)| (format!("{visit}/{form}"), *data))
            .collect();
        signed_data_hash(named.iter().map(|(n, d)| (n.as_str(), *d)))
    } else {
        signed_data_hash(
            forms
                .iter()
                .filter(|(visit, _, _)| *visit == signed_visit)
                .map(|(_, form, data)| (*form, *data)),
        )
    }
}

/// Canonical JSON: object keys sorted, no whitespace.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(&map[key], out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn saved(data: Value) -> SavedForm {
        SavedForm {
            data: map(data),
            status: FormStatus::Complete,
            version: 3,
            verified_by: Some("mon".into()),
            locked: false,
        }
    }

    fn request<'a>(data: &'a Map<String, Value>, reason: Option<&'a str>) -> FormSaveRequest<'a> {
        FormSaveRequest {
            record: "1/week-12/vitals",
            form_id: "vitals",
            data,
            status: FormStatus::Complete,
            reason,
        }
    }

    /// `changed_fields` walks both maps at once: it needs their keys in order, as serde_json's
    /// map gives them without its `preserve_order` feature.
    #[test]
    fn a_json_map_gives_its_keys_in_order_and_every_changed_name_is_found_once() {
        let mut m = Map::new();
        for k in ["b", "a", "c10", "c2"] {
            m.insert(k.into(), Value::Null);
        }
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b", "c10", "c2"]);
        let old = map(json!({"a": 1, "b": {"x": 1, "y": 2}, "d": 4, "e": 5}));
        let new = map(json!({"a": 1, "b": {"x": 1, "y": 3, "z": 0}, "c": 3, "e": 6}));
        let mut out = Vec::new();
        changed_fields("", &old, &new, &mut out);
        let names: Vec<(&str, Option<&Value>, Option<&Value>)> =
            out.iter().map(|(n, a, b)| (n.as_str(), *a, *b)).collect();
        assert_eq!(
            names,
            [
                ("b.y", Some(&json!(2)), Some(&json!(3))),
                ("b.z", None, Some(&json!(0))),
                ("c", None, Some(&json!(3))),
                ("d", Some(&json!(4)), None),
                ("e", Some(&json!(5)), Some(&json!(6))),
            ]
        );
    }

    #[test]
    fn a_first_save_creates_every_field() {
        let data = map(json!({"pulse": 70, "note": "ok"}));
        let out = decide_save(None, request(&data, None)).unwrap();
        assert_eq!(out.version, 1);
        assert_eq!(out.changes.len(), 3);
        assert_eq!(out.changes[0].new_value.as_deref(), Some("ok"));
        assert_eq!(out.what_changed, "form vitals added to the visit");
    }

    #[test]
    fn a_change_needs_a_reason_names_each_value_and_clears_the_verification() {
        let before =
            saved(json!({"pulse": 70, "exam": {"c5RightMotor": "0", "c6RightMotor": "1"}}));
        let data = map(json!({"pulse": 70, "exam": {"c5RightMotor": "3", "c6RightMotor": "1"}}));
        assert_eq!(
            decide_save(Some(&before), request(&data, Some(" "))).unwrap_err(),
            Refusal::invalid("reason", "is required to change saved data")
        );
        let out = decide_save(Some(&before), request(&data, Some("misread"))).unwrap();
        assert_eq!(out.version, 4);
        assert_eq!(out.changes[0].field.as_deref(), Some("exam.c5RightMotor"));
        assert_eq!(out.changes[0].old_value.as_deref(), Some("0"));
        assert_eq!(out.changes[0].new_value.as_deref(), Some("3"));
        assert_eq!(out.changes[1].action, "verification-cleared");
        assert_eq!(
            out.what_changed,
            "form vitals changed: exam.c5RightMotor 0 → 3 (misread)"
        );
    }

    #[test]
    fn nothing_changed_and_locked_forms_are_refused() {
        let before = saved(json!({"pulse": 70}));
        let same = map(json!({"pulse": 70}));
        assert_eq!(
            decide_save(Some(&before), request(&same, Some("r"))).unwrap_err(),
            Refusal::conflict("values", "nothing changed")
        );
        let locked_form = SavedForm {
            locked: true,
            ..before
        };
        assert!(decide_save(Some(&locked_form), request(&same, Some("r")))
            .unwrap_err()
            .to_string()
            .contains("is locked"));
    }

    #[test]
    fn the_shown_state_puts_locks_before_signatures_before_verification() {
        use FormState::*;
        assert_eq!(
            FormState::of(FormStatus::Complete, true, true, true),
            Locked
        );
        assert_eq!(
            FormState::of(FormStatus::Complete, true, false, true),
            Signed
        );
        assert_eq!(
            FormState::of(FormStatus::Complete, true, false, false),
            SourceVerified
        );
        assert_eq!(
            FormState::of(FormStatus::InProgress, false, false, false),
            InProgress
        );
    }

    #[test]
    fn verification_and_locks() {
        assert!(check_verification("f", FormStatus::Complete, None, false).is_ok());
        assert!(check_verification("f", FormStatus::InProgress, None, false).is_err());
        assert!(check_verification("f", FormStatus::Complete, Some("m"), false).is_err());
        assert!(check_verification("f", FormStatus::Complete, None, true).is_err());
        let lock = lock_change("1/v/f", "f", false, None).unwrap();
        assert_eq!((lock.action.as_str(), lock.reason), ("lock", None));
        assert!(lock_change("1/v/f", "f", true, None).is_err());
        assert_eq!(
            lock_change("1/v/f", "f", true, Some(None)).unwrap_err(),
            Refusal::invalid("reason", "is required to unlock a form")
        );
        let unlock = lock_change("1/v/f", "f", true, Some(Some("typo"))).unwrap();
        assert_eq!(unlock.reason.as_deref(), Some("typo"));
    }

    #[test]
    fn only_complete_saved_forms_are_signed() {
        use FormStatus::*;
        assert!(check_signable("visit v", [("a", Complete)]).is_ok());
        assert_eq!(
            check_signable("visit v", []).unwrap_err().to_string(),
            "forms: visit v has no saved form to sign"
        );
        assert!(
            check_signable("the casebook", [("v/a", Complete), ("v/b", InProgress)])
                .unwrap_err()
                .to_string()
                .ends_with("(not complete: v/b)")
        );
    }

    #[test]
    fn the_signed_hash_ignores_key_order_and_sees_any_change() {
        let a = json!({"x": 1, "y": {"b": 2, "a": 1}});
        let b = json!({"y": {"a": 1, "b": 2}, "x": 1});
        let c = json!({"y": {"a": 1, "b": 3}, "x": 1});
        assert_eq!(signed_data_hash([("f", &a)]), signed_data_hash([("f", &b)]));
        assert_ne!(signed_data_hash([("f", &a)]), signed_data_hash([("f", &c)]));
        assert_ne!(signed_data_hash([("f", &a)]), signed_data_hash([("g", &a)]));
    }

    #[test]
    fn a_signature_covers_its_visit_or_the_whole_casebook() {
        let (a, b) = (json!({"x": 1}), json!({"y": 2}));
        let forms = [("week-12", "vitals", &a), ("week-24", "vitals", &b)];
        assert_eq!(
            covered_data_hash("week-12", &forms),
            signed_data_hash([("vitals", &a)])
        );
        assert_eq!(
            covered_data_hash("", &forms),
            signed_data_hash([("week-12/vitals", &a), ("week-24/vitals", &b)])
        );
        let changed = json!({"y": 3});
        let later = [("week-12", "vitals", &a), ("week-24", "vitals", &changed)];
        assert_eq!(
            covered_data_hash("week-12", &forms),
            covered_data_hash("week-12", &later)
        );
        assert_ne!(covered_data_hash("", &forms), covered_data_hash("", &later));
    }

    #[test]
    fn refusals_and_voids_name_their_records() {
        let r = SignedRecord::Visit("week-12".into()).refused(4);
        assert_eq!(
            (r.entity.as_str(), r.record_id.as_str()),
            ("visit", "4/week-12")
        );
        assert_eq!(SignedRecord::Casebook.refused(4).record_id, "4/casebook");
        let ae = SignedRecord::AdverseEvent(9).refused(4);
        assert_eq!(
            (ae.entity.as_str(), ae.record_id.as_str()),
            ("adverse-event", "4/ae/9")
        );
        let dsmb = SignedRecord::DsmbDecision("related-grade-4".into()).refused(0);
        assert_eq!(
            (dsmb.entity.as_str(), dsmb.record_id.as_str()),
            ("dsmb-decision", "related-grade-4")
        );
        let voids = void_changes(4, vec![(9, "".into()), (2, "week-12".into())], "w", None);
        assert_eq!(voids[0].record_id, "4/week-12/2");
        assert_eq!(voids[1].record_id, "4/casebook/9");
    }
}
