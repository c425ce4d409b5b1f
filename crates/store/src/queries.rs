//! Data queries on a field of a visit's form: raised by a monitor or data manager, answered by
//! the site, closed or re-opened by whoever raised it. The state machine is `trial::queries`.

use serde::Serialize;
use sqlx::AnyConnection;
use trial::queries::{self as rules, QueryStep};
use trial::QueryStatus;

use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::model::{now, participant_in, scope_filter, Actor, Scope};
use crate::not_found;
use crate::{Change, Result};

/// A query to raise on a field of a visit's form.
#[derive(Clone, Debug)]
pub struct NewQuery {
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// The field.
    pub field: String,
    /// The question.
    pub text: String,
}

/// A data query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Query {
    /// Its id.
    pub id: i64,
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// The field.
    pub field: String,
    /// Where it stands.
    pub status: QueryStatus,
    /// The question (the latest, when re-opened).
    pub text: String,
    /// Who raised it.
    pub raised_by: String,
    /// Who raised it, by id.
    pub raised_by_id: Option<i64>,
    /// When.
    #[schema(format = DateTime)]
    pub raised_at: String,
    /// The site's answer.
    pub answer: Option<String>,
    /// Who answered.
    pub answered_by: Option<String>,
    /// When.
    #[schema(format = DateTime)]
    pub answered_at: Option<String>,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

const QUERY_COLUMNS: &str =
    "id, participant_id, visit_id, form_id, field, status, text, raised_by, \
    raised_by_id, raised_at::instant, answer, answered_by, answered_at::instant, \
    updated_at::instant";

#[derive(sqlx::FromRow)]
struct QueryRow {
    id: i64,
    participant_id: i64,
    visit_id: String,
    form_id: String,
    field: String,
    status: String,
    text: String,
    raised_by: String,
    raised_by_id: Option<i64>,
    raised_at: String,
    answer: Option<String>,
    answered_by: Option<String>,
    answered_at: Option<String>,
    updated_at: String,
}

impl From<QueryRow> for Query {
    fn from(r: QueryRow) -> Query {
        Query {
            id: r.id,
            participant_id: r.participant_id,
            visit_id: r.visit_id,
            form_id: r.form_id,
            field: r.field,
            // Written only from `QueryStatus`.
            status: QueryStatus::parse(&r.status).unwrap_or(QueryStatus::Open),
            text: r.text,
            raised_by: r.raised_by,
            raised_by_id: r.raised_by_id,
            raised_at: r.raised_at,
            answer: r.answer,
            answered_by: r.answered_by,
            answered_at: r.answered_at,
            updated_at: r.updated_at,
        }
    }
}

impl Store {
    /// Raises a query on a field of a participant's visit form.
    pub async fn raise_query(&self, scope: &Scope, q: &NewQuery, by: &Actor) -> Result<Query> {
        let text = rules::check_new_query(&q.text, &q.field)?.to_string();
        let (scope, q, by) = (scope.clone(), q.clone(), by.clone());
        self.write("raise_query", move |mut tx| {
            Box::pin(async move {
                participant_in(tx.conn(), &scope, q.participant_id).await?;
                let at = now();
                let id: i64 = sqlx::query_scalar(&tx.sql(
                    "INSERT INTO queries (participant_id, visit_id, form_id, field, status, text, \
                     raised_by, raised_by_id, raised_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, $10::timestamptz) \
                     RETURNING id",
                ))
                .bind(q.participant_id)
                .bind(&q.visit_id)
                .bind(&q.form_id)
                .bind(&q.field)
                .bind(QueryStatus::Open.as_str())
                .bind(&text)
                .bind(&by.username)
                .bind(by.user_id)
                .bind(&at)
                .bind(&at)
                .fetch_one(tx.conn())
                .await?;
                let about = format!(
                    "{}/{}/{}/{}",
                    q.participant_id, q.visit_id, q.form_id, q.field
                );
                let changes = [
                    Change::new("create", "query", id).set("about", about),
                    Change::new("create", "query", id).set("text", &text),
                ];
                tx.audit(scope.study(), &by, &changes).await?;
                query_in(tx.conn(), &scope, id).await
            })
        })
        .await
    }

    /// The site's answer to an open query.
    pub async fn answer_query(
        &self,
        scope: &Scope,
        id: i64,
        answer: &str,
        by: &Actor,
    ) -> Result<Query> {
        self.query_step(scope, id, QueryStep::Answer(answer.into()), by)
            .await
    }

    /// Closes an open or answered query.
    pub async fn close_query(&self, scope: &Scope, id: i64, by: &Actor) -> Result<Query> {
        self.query_step(scope, id, QueryStep::Close, by).await
    }

    /// Re-opens an answered or closed query with a new question.
    pub async fn reopen_query(
        &self,
        scope: &Scope,
        id: i64,
        text: &str,
        by: &Actor,
    ) -> Result<Query> {
        self.query_step(scope, id, QueryStep::Reopen(text.into()), by)
            .await
    }

    /// Moves a query by one step of its state machine, with its audit row.
    async fn query_step(
        &self,
        scope: &Scope,
        id: i64,
        step: QueryStep,
        by: &Actor,
    ) -> Result<Query> {
        let step = step.checked()?;
        let (scope, by) = (scope.clone(), by.clone());
        self.write("query_step", move |mut tx| {
            Box::pin(async move {
                let before = query_in(tx.conn(), &scope, id).await?;
                let moved = rules::step_query(id, before.status, before.answer.as_deref(), &step)?;
                let at = now();
                let (answered_by, answered_at) = if moved.answered {
                    (Some(by.username.clone()), Some(at.clone()))
                } else {
                    (before.answered_by.clone(), before.answered_at.clone())
                };
                sqlx::query(&tx.sql(
                    "UPDATE queries SET status = $1, answer = $2, answered_by = $3, \
                     answered_at = $4::timestamptz, text = $5, updated_at = $6::timestamptz \
                     WHERE id = $7",
                ))
                .bind(moved.status.as_str())
                .bind(&moved.answer)
                .bind(answered_by)
                .bind(answered_at)
                .bind(moved.text.as_deref().unwrap_or(&before.text))
                .bind(&at)
                .bind(id)
                .execute(tx.conn())
                .await?;
                tx.audit(scope.study(), &by, &[moved.change]).await?;
                query_in(tx.conn(), &scope, id).await
            })
        })
        .await
    }

    /// The queries in scope, of one participant when given, in one status when given.
    pub async fn queries(
        &self,
        scope: &Scope,
        participant_id: Option<i64>,
        status: Option<QueryStatus>,
    ) -> Result<Vec<Query>> {
        let (filter, values) = scope_filter(scope, 1);
        let mut sql = format!(
            "SELECT {QUERY_COLUMNS} FROM queries \
             WHERE participant_id IN (SELECT id FROM participants WHERE {filter})"
        );
        let mut n = values.len();
        if participant_id.is_some() {
            n += 1;
            sql.push_str(&format!(" AND participant_id = ${n}"));
        }
        if status.is_some() {
            n += 1;
            sql.push_str(&format!(" AND status = ${n}"));
        }
        sql.push_str(" ORDER BY id");
        let sql = self.sql(&sql);
        let mut q = sqlx::query_as::<_, QueryRow>(&sql);
        for v in &values {
            q = q.bind(v);
        }
        if let Some(p) = participant_id {
            q = q.bind(p);
        }
        if let Some(s) = status {
            q = q.bind(s.as_str());
        }
        Ok(q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Query::from)
            .collect())
    }
}

/// One query, if its participant is in scope.
async fn query_in(conn: &mut AnyConnection, scope: &Scope, id: i64) -> Result<Query> {
    let (filter, values) = scope_filter(scope, 2);
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT {QUERY_COLUMNS} FROM queries \
             WHERE id = $1 AND participant_id IN (SELECT id FROM participants WHERE {filter})"
        ),
    );
    let mut q = sqlx::query_as::<_, QueryRow>(&sql).bind(id);
    for v in &values {
        q = q.bind(v);
    }
    q.fetch_optional(&mut *conn)
        .await?
        .map(Query::from)
        .ok_or_else(|| not_found("query", id))
}
