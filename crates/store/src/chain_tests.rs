//! Unit tests of the hash chain (`chain.rs`).
use super::*;

/// The hash as first written (one `format!` per field), the definition the fast one must
/// agree with.
fn plain_hash(r: &AuditRow) -> String {
    let mut h = Sha256::new();
    let mut put = |value: Option<&str>| match value {
        Some(v) => {
            h.update(format!("{}:", v.len()).as_bytes());
            h.update(v.as_bytes());
            h.update(b"|");
        }
        None => h.update(b"-|"),
    };
    put(Some("scitrial-audit-v1"));
    put(Some(&r.chain));
    put(Some(&r.seq.to_string()));
    put(Some(&r.at));
    put(r.user_id.map(|u| u.to_string()).as_deref());
    put(Some(&r.username));
    put(Some(&r.action));
    put(Some(&r.entity));
    put(Some(&r.record_id));
    put(r.field.as_deref());
    put(r.old_value.as_deref());
    put(r.new_value.as_deref());
    put(r.reason.as_deref());
    put(Some(&r.prev_hash));
    hex::encode(h.finalize())
}

/// The CSV line as first written.
fn plain_csv(r: &AuditRow) -> String {
    let cell = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let opt = |s: &Option<String>| s.as_deref().map(cell).unwrap_or_default();
    [
        r.id.to_string(),
        cell(&r.chain),
        r.seq.to_string(),
        cell(&r.at),
        r.user_id.map(|u| u.to_string()).unwrap_or_default(),
        cell(&r.username),
        cell(&r.action),
        cell(&r.entity),
        cell(&r.record_id),
        opt(&r.field),
        opt(&r.old_value),
        opt(&r.new_value),
        opt(&r.reason),
        r.prev_hash.clone(),
        r.hash.clone(),
    ]
    .join(",")
        + "\n"
}

fn rows() -> Vec<AuditRow> {
    let texts = [
        "",
        "plain",
        "a,b",
        "say \"no\"",
        "\"\"",
        "line\nbreak\r",
        "四肢 \u{1F600}",
    ];
    let numbers = [0, 1, 9, 10, 99, 12_345, -1, -10, i64::MAX, i64::MIN];
    let mut out = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        for (j, n) in numbers.iter().enumerate() {
            let opt = |k: usize| (!(i + j + k).is_multiple_of(3)).then(|| text.to_string());
            let mut row = AuditRow {
                id: *n,
                chain: format!("XS228-P2{text}"),
                seq: numbers[(j + 3) % numbers.len()],
                at: "2026-11-22T01:29:02.000000Z".into(),
                user_id: (j % 2 == 0).then_some(*n),
                username: text.to_string(),
                action: "update".into(),
                entity: text.repeat(j),
                record_id: n.to_string(),
                field: opt(0),
                old_value: opt(1),
                new_value: opt(2),
                reason: opt(3),
                prev_hash: GENESIS.into(),
                hash: String::new(),
            };
            row.hash = plain_hash(&row);
            out.push(row);
        }
    }
    out
}

#[test]
fn the_fast_hash_and_csv_agree_with_their_plain_definitions() {
    let mut buf = Vec::new();
    for row in rows() {
        assert_eq!(row.expected_hash(), row.hash, "{row:?}");
        assert!(row.as_ref().hash_matches(&mut buf), "{row:?}");
        assert_eq!(row.csv_line(), plain_csv(&row), "{row:?}");
        let change = Change {
            action: row.action.clone(),
            entity: row.entity.clone(),
            record_id: row.record_id.clone(),
            field: row.field.clone(),
            old_value: row.old_value.clone(),
            new_value: row.new_value.clone(),
            reason: row.reason.clone(),
        };
        let entry = Entry {
            user_id: row.user_id,
            username: &row.username,
            changes: &[],
        };
        let written = hash_of(&row_of(
            &row.chain,
            &row.at,
            &entry,
            &change,
            row.seq,
            &row.prev_hash,
        ));
        assert_eq!(written, row.hash);
        assert_eq!(row.as_ref().to_row(), row);
    }
}

#[test]
fn a_changed_byte_or_an_absent_value_changes_the_hash() {
    let mut buf = Vec::new();
    for row in rows().into_iter().take(20) {
        let mut changed = row.clone();
        changed.username.push('x');
        assert!(!changed.as_ref().hash_matches(&mut buf));
        let mut absent = row.clone();
        absent.field = match absent.field {
            Some(_) => None,
            None => Some(String::new()),
        };
        assert!(!absent.as_ref().hash_matches(&mut buf));
        let mut upper = row.clone();
        upper.hash = upper.hash.to_uppercase();
        assert_eq!(
            upper.as_ref().hash_matches(&mut buf),
            upper.hash == row.hash
        );
    }
}
