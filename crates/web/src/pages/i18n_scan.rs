//! The catalogue against the sources of `trial`: every refusal sentence a rule can send to a
//! page has a Chinese pattern (issue #16, item 8).
//!
//! The scanner is deliberately simple, and these are its limits:
//! - it reads `crates/trial/src`, `crates/store/src` and `crates/web/src` (but its own `i18n*`
//!   files) recursively, stopping in each file at its `#[cfg(test)]`
//!   module and skipping `tests.rs` / `*_tests.rs` files (their sentences are the tests' own);
//! - it finds calls written `invalid(` or `conflict(` (so `Refusal::invalid`, `Refusal::conflict`,
//!   `crate::Refusal::…` and local closures named so), `problem(` and `FieldIssue::new(` (the
//!   problems of a form or a record the API shows at their fields), the API's own
//!   `ApiError::field(`, `FieldProblem::new(`, `Forbidden(`, `Unauthorized(`, `BadRequest(` and
//!   `NotFound(`, and the store's `not_found(entity, id)` (read as `{entity} {} not found`),
//!   and takes their message
//!   argument: the second argument of two, the only one of one;
//! - in the message it takes every string literal, except that a `format!` contributes only its
//!   format string (its arguments are values, not sentences); so an `if`/`match` choosing between
//!   literals yields each of them;
//! - a struct literal's `message: "…"` or `message: format!("…", …)` (`StoreError::Conflict`,
//!   `ApiError::Conflict`, a form's problem) is read too;
//! - a message held in a variable, built by a helper function elsewhere, or a field name passed
//!   as a literal third argument is not seen; `required_reason(reason, "…")` is read as the
//!   sentence `is required …` it makes;
//! - `{…}` placeholders become `{}`, which the check fills with a code (`X-1`): the values a
//!   sentence names (identifiers, dates, states) are not its words.
//!
//! A sentence passes when [`to_chinese`] translates it and the Chinese keeps no English word:
//! a run of ASCII letters with a lower-case letter that is not a unit or an allowed term.

use std::path::Path;

use super::i18n_errors::to_chinese;

/// Runs of Latin letters that Chinese clinical text keeps as they are (units, formats, codes).
const KEPT: &[&str] = &[
    "mmHg", "mL", "kg", "min", "beats", "EU", "cm", "mg", "YYYY", "MM", "DD", "e", "g", "x", "en",
    "zh", "fda", "cde", "Token", "sqlite",
];

/// The Rust string literals of `src` from `at` (the opening quote), unescaped, and the end.
fn literal(src: &[u8], at: usize) -> (String, usize) {
    let mut out = Vec::new();
    let mut i = at + 1;
    while i < src.len() {
        match src[i] {
            b'"' => return (String::from_utf8_lossy(&out).into_owned(), i + 1),
            b'\\' if i + 1 < src.len() => {
                match src[i + 1] {
                    b'\n' => {
                        i += 2;
                        while i < src.len() && src[i].is_ascii_whitespace() {
                            i += 1;
                        }
                        continue;
                    }
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    c => out.push(c),
                }
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), i)
}

/// The index of the `)` closing the `(` at `open`, skipping strings and chars.
fn close(src: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < src.len() {
        match src[i] {
            b'"' => {
                i = literal(src, i).1;
                continue;
            }
            b'\'' if i + 2 < src.len() && (src[i + 2] == b'\'' || src[i + 1] == b'\\') => {
                i += if src[i + 1] == b'\\' { 4 } else { 3 };
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    src.len()
}

/// The top-level arguments of the call whose `(` is at `open`, as byte ranges.
fn arguments(src: &[u8], open: usize) -> Vec<(usize, usize)> {
    let end = close(src, open);
    let mut args = Vec::new();
    let (mut depth, mut start, mut i) = (0usize, open + 1, open + 1);
    while i < end {
        match src[i] {
            b'"' => {
                i = literal(src, i).1;
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                args.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if src[start..end].iter().any(|c| !c.is_ascii_whitespace()) {
        args.push((start, end));
    }
    args
}

/// The sentences in an argument: its literals, a `format!` giving only its format string.
fn sentences(src: &[u8], (start, end): (usize, usize), out: &mut Vec<String>) {
    let mut i = start;
    while i < end {
        if src[i..end].starts_with(b"format!(") {
            let open = i + "format!".len();
            if let Some(&(a, _)) = arguments(src, open).first() {
                let at = a + src[a..].iter().position(|&c| c == b'"').unwrap_or(0);
                out.push(literal(src, at).0);
            }
            i = close(src, open) + 1;
        } else if src[i] == b'"' {
            let (text, next) = literal(src, i);
            out.push(text);
            i = next;
        } else {
            i += 1;
        }
    }
}

/// `{name}`, `{:?}`, `{x:.3}` → `{}`; `{{`/`}}` → `{`/`}`.
fn placeholders(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                }
                out.push_str("{}");
            }
            c => out.push(c),
        }
    }
    out
}

/// Every refusal sentence of one source file.
fn refusals_of(text: &str, out: &mut Vec<String>) {
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    let src = text.as_bytes();
    let calls = [
        "invalid(",
        "conflict(",
        "required_reason(",
        "problem(",
        "FieldIssue::new(",
        "ApiError::field(",
        "FieldProblem::new(",
        "Forbidden(",
        "Unauthorized(",
        "BadRequest(",
        "NotFound(",
        "not_found(",
    ];
    for name in calls {
        let mut from = 0;
        while let Some(pos) = text[from..].find(name) {
            let at = from + pos;
            from = at + name.len();
            let before = src.get(at.wrapping_sub(1)).copied().unwrap_or(b' ');
            if before.is_ascii_alphanumeric() || before == b'_' {
                continue;
            }
            // `fn invalid(` is the definition, not a call.
            if text[..at].trim_end().ends_with("fn") {
                continue;
            }
            let open = at + name.len() - 1;
            let args = arguments(src, open);
            let message = match args.len() {
                1 => args[0],
                2 => args[1],
                _ => continue,
            };
            let mut found = Vec::new();
            sentences(src, message, &mut found);
            if name == "not_found(" {
                // `not_found(entity, id)` says `{entity} {id} not found`.
                found = found
                    .into_iter()
                    .take(1)
                    .map(|e| format!("{e} {{}} not found"))
                    .collect();
                if let Some(&(a, b)) = args.first() {
                    let entity = String::from_utf8_lossy(&src[a..b]);
                    let entity = entity.trim();
                    if entity.starts_with('"') {
                        found = vec![format!("{} {{}} not found", entity.trim_matches('"'))];
                    }
                }
            }
            for s in found {
                let s = if name == "required_reason(" {
                    format!("is required {s}").trim().to_string()
                } else {
                    s
                };
                out.push(placeholders(&s));
            }
        }
    }
}

/// The messages of error struct literals: `message: "…"` or `message: format!("…", …)`.
fn struct_messages(text: &str, out: &mut Vec<String>) {
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    let src = text.as_bytes();
    for (at, _) in text.match_indices("message: ") {
        let rest = text[at + "message: ".len()..].trim_start();
        let start = text.len() - rest.len();
        if rest.starts_with('"') {
            out.push(placeholders(&literal(src, start).0));
        } else if rest.starts_with("format!(") {
            let mut found = Vec::new();
            sentences(
                src,
                (start, close(src, start + "format!".len()) + 1),
                &mut found,
            );
            out.extend(found.iter().map(|s| placeholders(s)));
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("the sources of trial")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            walk(&path, out);
        } else if name.ends_with(".rs")
            && name != "tests.rs"
            && !name.ends_with("_tests.rs")
            && !name.starts_with("i18n")
        {
            let text = std::fs::read_to_string(&path).expect("a source file");
            refusals_of(&text, out);
            struct_messages(&text, out);
        }
    }
}

/// English words left in a translation (Latin-letter runs with a lower-case letter); a token
/// holding `_`, `/` or `@` is a name the API takes (`late_reason`, a path, `local@domain`).
fn english_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_graphic())
        .filter(|token| !token.contains(['_', '/', '@']))
        .flat_map(|token| token.split(|c: char| !c.is_ascii_alphabetic()))
        .filter(|w| w.chars().any(|c| c.is_ascii_lowercase()) && !KEPT.contains(w))
        .map(str::to_string)
        .collect()
}

/// The sentence with each `{}` filled by a code.
fn filled(sentence: &str) -> String {
    sentence.replace("{}", "X-1")
}

#[test]
fn the_scanner_reads_refusals_as_written() {
    let src = r#"
        Refusal::invalid("a", "is required");
        Err(crate::Refusal::conflict(
            "b",
            format!("form {form_id} is already {}", if x { "locked" } else { "open" }),
        ));
        let conflict = |m: String| Refusal::conflict("c", m);
        conflict(format!("the list of {} was \
             generated {{ok}}", s));
        required_reason(reason, "to unlock a form");
        #[cfg(test)]
        Refusal::invalid("z", "never read");
    "#;
    let mut out = Vec::new();
    refusals_of(src, &mut out);
    assert_eq!(
        out,
        [
            "is required",
            "form {} is already {}",
            "the list of {} was generated {ok}",
            "is required to unlock a form",
        ]
    );
    assert_eq!(
        english_words("应为 X-1 mmHg，实际为 x"),
        Vec::<String>::new()
    );
    assert_eq!(english_words("表单 X-1 is locked"), ["is", "locked"]);
    assert_eq!(
        english_words("请填写 late_reason（local@domain）"),
        Vec::<String>::new()
    );
}

#[test]
fn every_refusal_of_the_rules_reads_in_chinese() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for dir in ["../trial/src", "../store/src", "src"] {
        walk(&root.join(dir), &mut found);
    }
    found.sort();
    found.dedup();
    assert!(
        found.len() > 100,
        "the scanner found {} sentences",
        found.len()
    );
    let missing: Vec<String> = found
        .iter()
        .filter_map(|sentence| {
            let text = filled(sentence);
            match to_chinese(&text) {
                None => Some(format!("{sentence}  — no pattern")),
                Some(zh) => {
                    let left = english_words(&zh);
                    (!left.is_empty()).then(|| format!("{sentence}  — {zh}  — left: {left:?}"))
                }
            }
        })
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} refusal sentences are not in Chinese:\n{}",
        missing.len(),
        found.len(),
        missing.join("\n")
    );
}
