//! The JSON input's tests: the split into parts, the read-ahead and the pipeline.

use std::io::Cursor;

use isncsci::flat::json::{write_exam, Id};
use isncsci::synth::{mixed_exam, Rng};

use super::*;
use crate::classify::{format_result, Outcome, Output};
use crate::progress::Progress;
use crate::Format;

/// What came out of a run: the output text, the counts and the error that ended it.
#[derive(Debug, PartialEq)]
struct Ran {
    output: String,
    classified: u64,
    rejected: u64,
    error: Option<String>,
}

fn ran(run: Run<&mut Vec<u8>>, error: Option<String>) -> Ran {
    let Outcome {
        classified,
        rejected,
    } = run.outcome;
    run.out.finish().expect("writing to memory");
    Ran {
        output: String::new(),
        classified,
        rejected,
        error,
    }
}

fn new_run(out: &mut Vec<u8>, keep_going: bool) -> Run<&mut Vec<u8>> {
    Run {
        out: Output::new(Format::Json, out),
        keep_going,
        progress: Progress::new(None),
        outcome: Outcome::default(),
    }
}

/// The library's reader going through the whole text, one exam after another.
fn sequential(text: &[u8], keep_going: bool) -> Ran {
    let mut out = Vec::new();
    let mut run = new_run(&mut out, keep_going);
    let rules = Rules {
        keep_going,
        in_array: false,
        format: Format::Json,
        with_id: true,
    };
    let mut reader = json::Reader::new();
    let mut pos = 0;
    let error = loop {
        match reader.next(&text[pos..], true) {
            Ok(Next::Record(record, used)) => {
                pos += used;
                let mut done = Done::default();
                match record.exam {
                    Ok(exam) => {
                        let result = exam.classify();
                        format_result(&mut done.text, rules, record.id.as_ref(), &result);
                        done.classified = 1;
                    }
                    Err(e) => done.rejected.push((0, record.id, None, e)),
                }
                let stop = !keep_going && !done.rejected.is_empty();
                run.emit(done, pos as u64).expect("writing to memory");
                if stop {
                    break None;
                }
            }
            Ok(Next::End) => break None,
            Ok(Next::NeedMore(_)) => unreachable!("the whole text is given"),
            Err(e) => {
                break Some(format!("not JSON exams: at byte {}: {e}", pos + e.offset));
            }
        }
    };
    let mut result = ran(run, error);
    result.output = String::from_utf8(out).expect("UTF-8 output");
    result
}

fn parallel(text: &[u8], keep_going: bool, sizes: Sizes, workers: usize) -> Ran {
    let mut out = Vec::new();
    let mut run = new_run(&mut out, keep_going);
    let read = read(
        Box::new(Cursor::new(text.to_vec())),
        &mut run,
        sizes,
        workers,
    );
    let mut result = ran(run, read.err().map(|e| format!("{e:#}")));
    result.output = String::from_utf8(out).expect("UTF-8 output");
    result
}

/// An exam object, perhaps with annotations that look like the start of an exam object.
fn object(rng: &mut Rng, i: usize, faults: bool) -> String {
    let id = match rng.below(3) {
        0 => Some(Id::Number(i.to_string())),
        1 => Some(Id::Text(format!("p{i},{{\"id\":{i}}}"))),
        _ => None,
    };
    let mut o = String::new();
    write_exam(&mixed_exam(rng), id.as_ref(), &mut o);
    let annotation = match rng.below(8) {
        0 => r#""note":"a,{","#,
        // Objects nested in an annotation with keys of the layout: a wrong guess.
        1 => r#""check":[{"id":1},{"c5RightMotor":"5"}, {"id":2}],"#,
        2 => {
            r#""check":[{"id":1}
,{"group":"}"}],"#
        }
        _ => "",
    };
    o = o.replacen('{', &format!("{{{annotation}"), 1);
    if rng.chance(0.2) {
        o = o.replace(",\"", ",\n  \"");
    }
    match if faults { rng.below(30) } else { 30 } {
        // A value outside the grammar: a rejected exam.
        0 => o.replacen("\"analSensation\":\"", "\"analSensation\":\"x", 1),
        // A field unknown to the layout: a rejected exam.
        1 => o.replacen('{', "{\"c9LeftMotor\":\"5\",", 1),
        // Not JSON.
        2 => o.replacen("\":\"", "\" \"", 1),
        _ => o,
    }
}

/// Exam objects as an array or one after another, perhaps with faults between them.
fn text(rng: &mut Rng) -> String {
    let array = rng.chance(0.6);
    let separators: &[&str] = if array {
        &[",", ",\n", " , ", ",\r\n  "]
    } else {
        &["\n", "", "\r\n", " \n "]
    };
    let separator = rng.pick(separators);
    let mut text = String::new();
    if array {
        text.push_str(rng.pick(&["[", "[\n", " [ "]));
    }
    for i in 0..rng.below(24) {
        if i > 0 {
            // Separators of one shape are faults in the other.
            text.push_str(match rng.below(60) {
                0 => "\n",
                1 => "",
                2 => ",,",
                3 => ",\n",
                _ => separator,
            });
        }
        text.push_str(&object(rng, i, true));
    }
    if array {
        text.push_str(rng.pick(&["]", "\n]\n", "\n]\n", "] x", "] ]", ""]));
    }
    if rng.chance(0.05) {
        text.truncate(rng.below(text.len() + 1));
    }
    text
}

#[test]
fn read_on_several_threads_as_one_reader_reads_whatever_the_cuts_and_faults() {
    let mut rng = Rng::new(20261122);
    for case in 0..400 {
        let text = text(&mut rng);
        let keep_going = rng.chance(0.5);
        let sizes = Sizes {
            block: 16 + rng.below(6000),
            head: rng.below(3000),
            chunk: 1 + rng.below(4000),
        };
        let workers = 1 + rng.below(3);
        let want = sequential(text.as_bytes(), keep_going);
        let got = parallel(text.as_bytes(), keep_going, sizes, workers);
        let differ = got
            .output
            .bytes()
            .zip(want.output.bytes())
            .position(|(a, b)| a != b);
        assert!(
            got == want,
            "case {case}, {sizes:?}, {workers} workers, keep going {keep_going}:\n\
             got {:?}, want {:?}, outputs differ from byte {differ:?}\ntext:\n{text}",
            (got.classified, got.rejected, &got.error),
            (want.classified, want.rejected, &want.error),
        );
    }
}

#[test]
fn large_default_sizes_give_what_one_reader_gives() {
    let mut rng = Rng::new(7);
    let objects: Vec<String> = (0..2000).map(|i| object(&mut rng, i, false)).collect();
    for text in [
        format!("[\n{}\n]\n", objects.join(",\n")),
        objects.join("\n"),
    ] {
        let want = sequential(text.as_bytes(), true);
        assert_eq!((want.classified, want.rejected), (2000, 0));
        for workers in [1, 2, 4] {
            assert!(parallel(text.as_bytes(), true, SIZES, workers) == want);
        }
    }
}

#[test]
fn likely_starts_need_a_separator_before_and_a_known_key_after() {
    let text = br#"[{"id":1},{"c5RightMotor":"5"},{"x":1}, "a,{", {"#;
    let starts: Vec<usize> = (0..text.len())
        .filter(|&i| text[i] == b'{' && likely_start(text, i))
        .collect();
    assert_eq!(starts, [10]);
    assert_eq!(start_after(text, 0), Some(10));
    assert_eq!(start_after(text, 11), None);
    assert_eq!(start_before_end(text, 0), Some(10));
    assert_eq!(start_before_end(text, 10), None);
}
