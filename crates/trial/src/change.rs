//! What a write records in the audit trail, decided with the write.

/// One change to record in the audit trail: who and when are added by the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// `create`, `update`, `delete`, `login`, `login-failed`, `lock`, `export`, …
    pub action: String,
    /// The kind of record: `participant`, `user`, `role`, `form`, …
    pub entity: String,
    /// The record's id.
    pub record_id: String,
    /// The field, for a change of one field.
    pub field: Option<String>,
    /// The value before.
    pub old_value: Option<String>,
    /// The value after.
    pub new_value: Option<String>,
    /// Why (required for a change to saved data).
    pub reason: Option<String>,
}

impl Change {
    /// A change of one kind of record.
    pub fn new(action: &str, entity: &str, record_id: impl ToString) -> Change {
        Change {
            action: action.into(),
            entity: entity.into(),
            record_id: record_id.to_string(),
            ..Change::default()
        }
    }

    /// With the field and its new value.
    pub fn set(mut self, field: &str, value: impl ToString) -> Change {
        self.field = Some(field.into());
        self.new_value = Some(value.to_string());
        self
    }

    /// With the value before.
    pub fn was(mut self, value: impl ToString) -> Change {
        self.old_value = Some(value.to_string());
        self
    }

    /// With the reason.
    pub fn because(mut self, reason: &str) -> Change {
        self.reason = Some(reason.into());
        self
    }

    /// With the reason, when there is one.
    pub fn because_of(mut self, reason: Option<&str>) -> Change {
        self.reason = reason.map(String::from);
        self
    }
}
