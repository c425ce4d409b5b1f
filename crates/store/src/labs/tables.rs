//! The laboratory safety tables: the participants in scope in the groups asked for (by arm,
//! dose level or pooled: the caller's blinding decides), and the values of the study, made
//! into shifts and worst grades by `trial::labs::lab_tables`.

use sqlx::Row;
use trial::labs::{lab_tables, Flag, LabTables, TableValue};
use trial::Study;

use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::grouping::{participant_groups, TableGrouping};
use crate::model::{parse_instant, Scope};
use crate::Result;

impl Store {
    /// The laboratory safety tables of the participants in scope, grouped as asked: per test
    /// the shifts from baseline, per CTCAE term and per group the worst grades.
    pub async fn lab_safety_tables(
        &self,
        scope: &Scope,
        study: &Study,
        grouping: TableGrouping,
    ) -> Result<LabTables> {
        let mut conn = self.pool.acquire().await?;
        let groups = participant_groups(&mut conn, scope, study, grouping).await?;
        let sql = render(
            dialect_of(&conn),
            "SELECT participant_id, test, collected_at::instant AS collected_at, flag, term, \
             grade FROM lab_results WHERE participant_id IN \
             (SELECT id FROM participants WHERE study_id = $1) ORDER BY id",
        );
        let rows = sqlx::query(&sql)
            .bind(&study.id)
            .fetch_all(&mut *conn)
            .await?;
        let mut read = Vec::with_capacity(rows.len());
        for row in rows {
            let at: String = row.try_get("collected_at")?;
            let flag: String = row.try_get("flag")?;
            let (Some(collected_at), Some(flag)) = (parse_instant(&at), Flag::parse(&flag)) else {
                continue;
            };
            read.push((
                row.try_get::<i64, _>("participant_id")?,
                row.try_get::<String, _>("test")?,
                collected_at,
                flag,
                row.try_get::<Option<String>, _>("term")?,
                row.try_get::<Option<i64>, _>("grade")?
                    .and_then(|g| u8::try_from(g).ok()),
            ));
        }
        let values: Vec<TableValue<'_>> = read
            .iter()
            .map(
                |(participant, test, collected_at, flag, term, grade)| TableValue {
                    participant: *participant,
                    test,
                    collected_at: *collected_at,
                    flag: *flag,
                    term: term.as_deref(),
                    grade: *grade,
                },
            )
            .collect();
        let groups: Vec<(i64, &str)> = groups.iter().map(|(p, g)| (*p, g.as_str())).collect();
        Ok(lab_tables(&groups, &study.labs.test_codes(), &values))
    }
}
