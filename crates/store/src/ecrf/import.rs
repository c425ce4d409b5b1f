//! Forms imported from another system's file (an ODM file: `export::odm::import` reads and
//! validates it): every form saved through the same rules as a save, in ONE write, so that a
//! file that does not fit leaves nothing written.

use std::collections::HashMap;

use trial::FormStatus;

use super::{form_text, save_form_in, saved_form, FormSave};
use crate::db::{Store, Tx};
use crate::model::{scope_filter, Actor, Scope};
use crate::{not_found, Result, StoreError};

/// A form's values read from an imported file, validated and normalised as a save's are.
#[derive(Clone, Debug, PartialEq)]
pub struct FormImport {
    /// The participant as the file names it: the subject id once enrolled, else the screening
    /// number.
    pub subject: String,
    /// The visit.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// The values as stored.
    pub data: serde_json::Map<String, serde_json::Value>,
    /// The status the file gives (REDCap's `<form>_complete`); none keeps a saved form's
    /// status and saves a new one complete.
    pub status: Option<FormStatus>,
    /// The screening visit's ISNCSCI form: the screening exam, whose changes decide
    /// eligibility and are made on its page, never by an import.
    pub screening_exam: bool,
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportCount {
    /// Forms saved for the first time.
    pub created: usize,
    /// Saved forms changed.
    pub changed: usize,
    /// Forms the file holds as they are saved already.
    pub unchanged: usize,
}

impl Store {
    /// Imports forms in one write (`import_odm`): each participant found by its subject id
    /// (or screening number) in scope, each form saved as [`Store::save_form`] saves it, with
    /// `reason` (which names the file) on every audit row; a form already holding the same
    /// values is left as it is. Any refusal (a participant or visit that does not exist, a
    /// locked form, a changed screening exam) names the subject, visit and form, and nothing
    /// is written.
    pub async fn import_forms(
        &self,
        scope: &Scope,
        forms: Vec<FormImport>,
        reason: &str,
        by: &Actor,
    ) -> Result<ImportCount> {
        let (scope, by, reason) = (scope.clone(), by.clone(), reason.to_string());
        trial::required_reason(Some(&reason), "to import")?;
        self.write("import_odm", move |mut tx| {
            Box::pin(async move {
                let mut count = ImportCount::default();
                let mut ids: HashMap<String, i64> = HashMap::new();
                for f in forms {
                    let at = format!(
                        "subject {}, visit {}, form {}",
                        f.subject, f.visit_id, f.form_id
                    );
                    let named = |e: StoreError| match e {
                        StoreError::NotFound { entity, id } => StoreError::Invalid {
                            field: at.clone(),
                            message: format!("{entity} {id} not found"),
                        },
                        StoreError::Conflict { field, message }
                        | StoreError::Invalid { field, message } => StoreError::Invalid {
                            field: format!("{at}, {field}"),
                            message,
                        },
                        other => other,
                    };
                    let id = match ids.get(&f.subject) {
                        Some(id) => *id,
                        None => {
                            let id = subject(&mut tx, &scope, &f.subject).await.map_err(named)?;
                            ids.insert(f.subject.clone(), id);
                            id
                        }
                    };
                    let mut save = FormSave {
                        participant_id: id,
                        visit_id: f.visit_id.clone(),
                        form_id: f.form_id.clone(),
                        data: f.data,
                        status: FormStatus::Complete,
                        reason: Some(reason.clone()),
                        eligibility: None,
                    };
                    let (before, _) = saved_form(&mut tx, &scope, &save).await.map_err(named)?;
                    // A field the saved form holds as null and the file leaves out is the same.
                    for (key, v) in before.iter().flat_map(|b| &b.data) {
                        if v.is_null() && !save.data.contains_key(key) {
                            save.data.insert(key.clone(), serde_json::Value::Null);
                        }
                    }
                    let exam_refused = || StoreError::Invalid {
                        field: at.clone(),
                        message: "the screening exam decides eligibility: it is entered and \
                                  changed on the participant's screening page, not imported"
                            .into(),
                    };
                    match before {
                        Some(b)
                            if b.data == save.data && f.status.is_none_or(|s| s == b.status) =>
                        {
                            count.unchanged += 1;
                            continue;
                        }
                        _ if f.screening_exam => return Err(exam_refused()),
                        Some(b) => {
                            save.status = f.status.unwrap_or(b.status);
                            count.changed += 1;
                        }
                        None => {
                            save.status = f.status.unwrap_or(FormStatus::Complete);
                            count.created += 1;
                        }
                    }
                    save_form_in(&mut tx, &scope, &save, &form_text(&save), &by)
                        .await
                        .map_err(named)?;
                }
                Ok(count)
            })
        })
        .await
    }
}

/// The participant a file names, in scope: by subject id, else by screening number.
async fn subject(tx: &mut Tx<'_>, scope: &Scope, key: &str) -> Result<i64> {
    let (filter, values) = scope_filter(scope, 2);
    let sql = tx.sql(&format!(
        "SELECT id FROM participants WHERE (subject_id = $1 OR \
         (subject_id IS NULL AND screening_number = $1)) AND {filter} ORDER BY id"
    ));
    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(key);
    for v in &values {
        q = q.bind(v);
    }
    q.fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| not_found("participant", key))
}
