//! The two databases' migrations describe the same tables with the same columns.

use std::collections::BTreeMap;

use sqlx::Row;

use crate::common::{stores, Backend};

#[tokio::test]
async fn both_schemas_have_the_same_tables_and_columns() {
    let mut schemas = Vec::new();
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let sql = match store.dialect() {
            store::Dialect::Sqlite => {
                "SELECT m.name AS t, p.name AS c FROM sqlite_master m \
                 JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
                 AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'"
            }
            store::Dialect::Postgres => {
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'"
            }
        };
        let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in sqlx::query(sql).fetch_all(store.raw_pool()).await.unwrap() {
            let (t, c): (String, String) = (row.get("t"), row.get("c"));
            tables.entry(t).or_default().push(c);
        }
        for columns in tables.values_mut() {
            columns.sort();
        }
        assert!(tables.contains_key("audit") && tables.contains_key("participants"));
        schemas.push((store.dialect(), tables));
    }
    if let [(_, sqlite), (_, postgres)] = &schemas[..] {
        assert_eq!(
            sqlite, postgres,
            "SQLite's tables and columns, then PostgreSQL's"
        );
    }
}

/// What a column holds, by its name: the same names on both databases.
fn kind_of(column: &str) -> Option<&'static str> {
    const FLAGS: [&str; 5] = ["active", "eligible", "locked", "dlt", "placebo"];
    const JSON: [&str; 4] = ["data", "raw", "classification", "eligibility_reasons"];
    const DATES: [&str; 4] = ["date_of_birth", "target", "earliest", "latest"];
    if column == "at"
        || column.ends_with("_at")
        || column == "locked_until"
        || column == "last_seen"
    {
        Some("instant")
    } else if column.ends_with("_on") || column.ends_with("_date") || DATES.contains(&column) {
        Some("date")
    } else if FLAGS.contains(&column) {
        Some("flag")
    } else if JSON.contains(&column) {
        Some("json")
    } else {
        None
    }
}

/// The types a column of a kind may have on a database.
type Expected = fn(Option<&str>) -> &'static [&'static str];

#[tokio::test]
async fn postgres_keeps_instants_dates_flags_and_json_in_its_own_types() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let (sql, expected): (&str, Expected) = match store.dialect() {
            // SQLite keeps its own: text, and 0/1.
            store::Dialect::Sqlite => (
                "SELECT m.name AS t, p.name AS c, p.type AS ty FROM sqlite_master m \
                     JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
                     AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
                |kind| match kind {
                    Some("flag") => &["INTEGER"],
                    Some(_) => &["TEXT"],
                    None => &["TEXT", "INTEGER"],
                },
            ),
            store::Dialect::Postgres => (
                "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty \
                     FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
                |kind| match kind {
                    Some("instant") => &["timestamp with time zone"],
                    Some("date") => &["date"],
                    Some("flag") => &["boolean"],
                    Some("json") => &["jsonb"],
                    _ => &["text", "bigint"],
                },
            ),
        };
        let mut kinds = BTreeMap::new();
        for row in sqlx::query(sql).fetch_all(store.raw_pool()).await.unwrap() {
            let (t, c, ty): (String, String, String) = (row.get("t"), row.get("c"), row.get("ty"));
            let kind = kind_of(&c);
            // A form's values are kept as written (`json`, checked on the way in: 0022).
            if store.dialect() == store::Dialect::Postgres
                && (t.as_str(), c.as_str()) == ("form_entries", "data")
            {
                assert_eq!(ty, "json", "form_entries.data");
                *kinds.entry(kind).or_insert(0) += 1;
                continue;
            }
            assert!(
                expected(kind).contains(&ty.as_str()),
                "{t}.{c} is {ty}, not one of {:?}",
                expected(kind)
            );
            *kinds.entry(kind).or_insert(0) += 1;
        }
        // Every kind is there: the names above still match the schema.
        assert_eq!(kinds.len(), 5, "{kinds:?}");
        assert!(
            kinds[&Some("instant")] >= 27 && kinds[&Some("date")] >= 14,
            "{kinds:?}"
        );
    }
}
