//! Studies: a study's definition (TOML) and sites, loaded at start; reloading the same text
//! changes nothing, a new text is audited by its digest.

use serde::Serialize;

use crate::db::Store;
use crate::model::{now, Actor};
use crate::{Change, Result};

/// A study as loaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StudyRecord {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The TOML definition as loaded.
    pub definition: String,
    /// When it was loaded.
    pub loaded_at: String,
}

impl Store {
    /// Loads (or reloads) a study definition and its sites.
    /// The screening exams of a database made before the exam had one home are moved into
    /// their visits' ISNCSCI forms (see [`Store::move_exams_to_forms`]).
    pub async fn load_study(
        &self,
        definition: &trial::Study,
        source: &str,
        actor: &Actor,
    ) -> Result<()> {
        let (study, source, by) = (definition.clone(), source.to_string(), actor.clone());
        self.write("load_study", move |mut tx| {
            Box::pin(async move {
                let previous: Option<(String,)> =
                    sqlx::query_as("SELECT definition FROM studies WHERE id = $1")
                        .bind(&study.id)
                        .fetch_optional(tx.conn())
                        .await?;
                if previous.as_ref().is_some_and(|(d,)| *d == source) {
                    return Ok(());
                }
                sqlx::query(&tx.sql(
                    "INSERT INTO studies (id, title, definition, loaded_at) \
                     VALUES ($1, $2, $3, $4::timestamptz) \
                     ON CONFLICT (id) DO UPDATE SET title = excluded.title, \
                     definition = excluded.definition, loaded_at = excluded.loaded_at",
                ))
                .bind(&study.id)
                .bind(&study.title)
                .bind(&source)
                .bind(now())
                .execute(tx.conn())
                .await?;
                for site in &study.sites {
                    sqlx::query(
                        "INSERT INTO sites (study_id, id, name, time_zone) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (study_id, id) DO UPDATE SET name = excluded.name, \
                         time_zone = excluded.time_zone",
                    )
                    .bind(&study.id)
                    .bind(&site.id)
                    .bind(&site.name)
                    .bind(&site.time_zone)
                    .execute(tx.conn())
                    .await?;
                }
                let action = if previous.is_some() {
                    "update"
                } else {
                    "create"
                };
                let mut change =
                    Change::new(action, "study", &study.id).set("definition", digest(&source));
                if let Some((old,)) = &previous {
                    change = change.was(digest(old));
                }
                tx.audit(&study.id, &by, &[change]).await
            })
        })
        .await?;
        self.move_exams_to_forms(definition, actor).await
    }

    /// The studies, with their definitions as loaded.
    pub async fn studies(&self) -> Result<Vec<StudyRecord>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            &self.sql("SELECT id, title, definition, loaded_at::instant FROM studies ORDER BY id"),
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, title, definition, loaded_at)| StudyRecord {
                id,
                title,
                definition,
                loaded_at,
            })
            .collect())
    }
}

/// A definition's digest, as the audit trail records it.
fn digest(text: &str) -> String {
    use sha2::Digest;
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    )
}
