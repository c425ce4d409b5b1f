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
