//! Reads a JSON file of exams with one [`isncsci::flat::json::Reader`], on one thread, for
//! profiling the reader alone (issue #20 item 4) under `valgrind --tool=cachegrind`:
//!
//! ```text
//! cargo build --release --example json_read -p isncsci
//! target/release/examples/json_read generate 3000 7 > exams.json   # as `scitrial generate-exams`
//! python3 bench/vary_json.py optional 7 < exams.json > optional.json
//! valgrind --tool=cachegrind --cache-sim=no target/release/examples/json_read read optional.json
//! ```
//!
//! `read` prints the exams read and those rejected; with `CHECK=1` in the environment, also a
//! checksum of the exams and their ids (written out again, which costs more than the reading),
//! so that two builds can be seen to read a file alike.

use std::io::Write;

use isncsci::flat::json::{self, Id, Next, Reader};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("generate") => {
            let count: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3000);
            let seed: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(7);
            let mut rng = isncsci::synth::Rng::new(seed);
            let mut text = String::from("[");
            for n in 1..=count {
                text.push_str(if n == 1 { "\n" } else { ",\n" });
                let id = Id::Number(n.to_string());
                json::write_exam(&isncsci::synth::mixed_exam(&mut rng), Some(&id), &mut text);
            }
            text.push_str("\n]\n");
            std::io::stdout()
                .write_all(text.as_bytes())
                .expect("standard output");
        }
        Some("read") => {
            let path = args.get(2).expect("a file to read");
            let bytes = std::fs::read(path).expect("a readable file");
            let check = std::env::var_os("CHECK").is_some();
            let mut reader = Reader::new();
            let (mut pos, mut exams, mut rejected, mut sum) = (0, 0u64, 0u64, 0u64);
            loop {
                match reader.next(&bytes[pos..], true) {
                    Ok(Next::Record(record, used)) => {
                        pos += used;
                        match record.exam {
                            Ok(exam) => {
                                exams += 1;
                                if check {
                                    // Every field's value, to compare two builds' reading.
                                    let mut out = String::new();
                                    json::write_exam(&exam, record.id.as_ref(), &mut out);
                                    sum = out.bytes().fold(sum, |s, b| {
                                        s.wrapping_mul(0x100_0000_01B3) ^ u64::from(b)
                                    });
                                }
                                std::hint::black_box(&exam);
                            }
                            Err(_) => rejected += 1,
                        }
                    }
                    Ok(Next::End) => break,
                    Ok(Next::NeedMore(_)) => panic!("the whole file was given"),
                    Err(e) => panic!("at {}: {e}", pos + e.offset),
                }
            }
            println!("{exams} exams, {rejected} rejected, checksum {sum:016x}");
        }
        _ => eprintln!("usage: json_read generate COUNT SEED | json_read read FILE"),
    }
}
