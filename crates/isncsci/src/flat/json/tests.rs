use super::*;
use crate::flat::fields;

fn exam_json(exam: &Exam, id: &str) -> String {
    let body: Vec<String> = fields(exam)
        .map(|(k, v)| format!("\"{k}\": \"{v}\""))
        .collect();
    format!("{{\"id\": {id}, {}}}", body.join(", "))
}

#[test]
fn string_ends_are_found_at_every_position() {
    for len in 0..40 {
        for special in [b'"', b'\\', b'\n', 0u8, 0x1f] {
            for at in 0..len {
                let mut bytes = vec![b'a'; len];
                bytes[at] = special;
                if at + 1 < len {
                    bytes[at + 1] = b'"';
                }
                assert_eq!(find_string_end(&bytes), Some(at), "{len} {special} {at}");
            }
            // High bytes (UTF-8) and bytes just above the specials are not ends.
            let plain: Vec<u8> = (0..len)
                .map(|i| [0xC3, 0xA9, b'#', b']', 0x20, 0x7f, 0xff][i % 7])
                .collect();
            assert_eq!(find_string_end(&plain), None);
        }
    }
}

#[test]
fn arrays_and_lines_read_the_same() {
    let exam = Exam::normal();
    let one = exam_json(&exam, "1");
    let two = exam_json(&exam, "\"two\"");
    let array = format!("[\n{one},\n{two}\n]\n");
    let lines = format!("{one}\n{two}\n");
    for text in [array, lines] {
        let records = read_all(text.as_bytes()).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].id, Some(Id::Number("1".into())));
        assert_eq!(records[1].id, Some(Id::Text("two".into())));
        assert_eq!(records[1].exam.as_ref().unwrap(), &exam);
    }
    assert_eq!(read_all(b"[]").unwrap().len(), 0);
    assert_eq!(read_all(b"  ").unwrap().len(), 0);
}

#[test]
fn any_split_point_gives_the_same_records() {
    let exam = Exam::normal();
    let text = format!("[{}, {}]", exam_json(&exam, "1"), exam_json(&exam, "2"));
    let bytes = text.as_bytes();
    for split in (0..bytes.len()).step_by(7) {
        let mut reader = Reader::new();
        let mut buf: Vec<u8> = bytes[..split].to_vec();
        let mut fed = split;
        let mut count = 0;
        loop {
            let at_eof = fed == bytes.len();
            match reader.next(&buf, at_eof).unwrap() {
                Next::Record(r, used) => {
                    assert!(r.exam.is_ok());
                    count += 1;
                    buf.drain(..used);
                }
                Next::End => break,
                Next::NeedMore(used) => {
                    buf.drain(..used);
                    let more = (fed + 100).min(bytes.len());
                    buf.extend_from_slice(&bytes[fed..more]);
                    fed = more;
                }
            }
        }
        assert_eq!(count, 2, "split at {split}");
    }
}

#[test]
fn annotations_and_escapes() {
    let exam = Exam::normal();
    let text = exam_json(&exam, "\"a\\\"b\\u00e9\\ud83d\\ude00\"").replacen(
        '{',
        r#"{"totals": {"x": [1, 2.5e3, {"y": null}], "z": "\\"}, "note": "ok", "#,
        1,
    );
    let records = read_all(text.as_bytes()).unwrap();
    assert_eq!(records[0].id, Some(Id::Text("a\"bé😀".into())));
    assert!(records[0].exam.is_ok());
    assert_eq!(Id::Text("a\"b\n".into()).to_json(), r#""a\"b\n""#);
}

#[test]
fn field_errors_keep_the_stream_going() {
    let exam = Exam::normal();
    let bad = exam_json(&exam, "1").replace("\"c5RightMotor\": \"5\"", "\"c5RightMotor\": 6");
    let text = format!("[{bad}, {}]", exam_json(&exam, "2"));
    let records = read_all(text.as_bytes()).unwrap();
    let e = records[0].exam.as_ref().unwrap_err();
    assert_eq!(e.field, "c5RightMotor");
    assert!(records[1].exam.is_ok());
}

#[test]
fn syntax_errors_say_where() {
    for (text, expected) in [
        ("[{]", "a string"),
        ("[{\"id\": 1}", "']' to close the array"),
        ("[{\"id\": 1},]", "an exam object"),
        ("[{\"id\" 1}]", "':'"),
        ("{\"id\": tru}", "true, false or null"),
        ("x", "'[' or '{' to start the exams"),
        ("[] []", "nothing after the closing ']'"),
        ("[{\"note\": [[[[", "the rest of the exam object"),
    ] {
        let e = read_all(text.as_bytes()).unwrap_err();
        assert!(
            e.expected.contains(expected) || expected.contains(e.expected),
            "{text}: {e:?}"
        );
    }
    let deep = format!("[{{\"note\": {}}}]", "[".repeat(100_000));
    assert_eq!(
        read_all(deep.as_bytes()).unwrap_err().expected,
        "less deeply nested values"
    );
}
