//! The few differences between the two databases, in one place.
//!
//! The two databases keep instants, dates, flags and JSON differently: SQLite as text and
//! integers, PostgreSQL in its own types (`timestamptz`, `date`, `boolean`, `jsonb`), which
//! sqlx's `Any` driver can neither decode nor bind from a Rust string. Every statement that
//! touches such a column is written once, in PostgreSQL's cast syntax, and rendered for the
//! database by [`render`] (through `Store::sql` or `Tx::sql`):
//!
//! - a parameter written into a typed column carries its type: `$3::timestamptz`, `$4::date`,
//!   `$5::jsonb` (a cast on PostgreSQL; SQLite drops it);
//! - a typed column that is read is cast to text: `col::instant` (an instant, in the store's
//!   text form `2026-11-22T01:29:02.000000Z`, keeping the column's name), `col::text` (a date
//!   or JSON); SQLite drops the cast;
//! - flags are booleans: bound as Rust `bool`, tested as `WHERE active` / `NOT locked`, written
//!   as `TRUE`/`FALSE`, and read into a `bool` through [`Flag`] (SQLite keeps 0/1).

use sqlx::AnyConnection;

use crate::Dialect;

/// Which database a connection reaches.
pub(crate) fn dialect_of(conn: &AnyConnection) -> Dialect {
    if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
        Dialect::Postgres
    } else {
        Dialect::Sqlite
    }
}

/// How PostgreSQL writes an instant as the store's text (`model::instant`).
const PG_INSTANT: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";

/// Renders a statement for a database from its portable form, PostgreSQL's cast syntax:
/// SQLite drops every cast (`::word`); PostgreSQL keeps them, but for the pseudo-cast
/// `col::instant`, which becomes `to_char(col AT TIME ZONE 'UTC', …) AS col` (without the
/// `AS col` when the statement names the column itself with `AS`).
pub(crate) fn render(dialect: Dialect, portable: &str) -> String {
    let mut out = String::with_capacity(portable.len() + 64);
    let mut rest = portable;
    while let Some(at) = rest.find("::") {
        let (before, after) = rest.split_at(at);
        let after = &after[2..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let (cast, tail) = after.split_at(len);
        match (dialect, cast) {
            (Dialect::Sqlite, _) => out.push_str(before),
            (Dialect::Postgres, "instant") => {
                let start = before
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    .map_or(0, |i| i + 1);
                let column = &before[start..];
                out.push_str(&before[..start]);
                out.push_str(&format!(
                    "to_char({column} AT TIME ZONE 'UTC', {PG_INSTANT})"
                ));
                let named = tail
                    .trim_start()
                    .get(..3)
                    .is_some_and(|w| w.eq_ignore_ascii_case("as "));
                if !named {
                    let name = column.rsplit('.').next().unwrap_or(column);
                    out.push_str(&format!(" AS {name}"));
                }
            }
            (Dialect::Postgres, _) => {
                out.push_str(before);
                out.push_str("::");
                out.push_str(cast);
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// A flag as either database reads it: PostgreSQL's `boolean`, SQLite's 0/1. Row structs read
/// a flag into a `bool` with `#[sqlx(try_from = "Flag")]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <bool as sqlx::Type<sqlx::Any>>::compatible(ty)
            || <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Flag, sqlx::error::BoxDynError> {
        use sqlx::{Decode, ValueRef};
        if value.type_info().kind() == sqlx::any::AnyTypeInfoKind::Bool {
            Ok(Flag(<bool as Decode<sqlx::Any>>::decode(value)?))
        } else {
            Ok(Flag(<i64 as Decode<sqlx::Any>>::decode(value)? != 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_for_each_database() {
        let portable = "SELECT a.at::instant, s.created_at::instant AS session_created_at, \
                        data::text FROM t WHERE d = $1::date AND NOT locked";
        assert_eq!(
            render(Dialect::Sqlite, portable),
            "SELECT a.at, s.created_at AS session_created_at, \
             data FROM t WHERE d = $1 AND NOT locked"
        );
        assert_eq!(
            render(Dialect::Postgres, portable),
            "SELECT to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at, \
             to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
             AS session_created_at, data::text FROM t WHERE d = $1::date AND NOT locked"
        );
    }
}
