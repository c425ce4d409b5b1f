//! Nothing acknowledged is lost: concurrent clients screen participants through the real
//! server, the server is killed with SIGKILL in the middle of the load and started again, and
//! every write a client saw acknowledged is there, with an audit trail that verifies. On a
//! fresh SQLite file and on a fresh PostgreSQL database (`TEST_DATABASE_URL`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{self, serve};

const PASSWORD: &str = "durable password";

async fn login(base: &str) -> (reqwest::Client, String) {
    common::login(base, "crc-durable", PASSWORD).await
}

/// A screening exam: complete, motor and sensory function lost below T6.
pub fn exam() -> serde_json::Map<String, Value> {
    let mut exam = isncsci::Exam::normal();
    exam.anal_contraction = isncsci::Anal::No;
    exam.anal_sensation = isncsci::Anal::No;
    for side in [&mut exam.right, &mut exam.left] {
        for m in isncsci::MotorLevel::ALL
            .into_iter()
            .filter(|m| m.level() > isncsci::Level::T6)
        {
            side.motor[m.index()] = isncsci::MotorValue::parse("0").unwrap();
        }
        for l in isncsci::Level::DERMATOMES
            .into_iter()
            .filter(|l| *l > isncsci::Level::T6)
        {
            side.set_touch(l, isncsci::SensoryValue::parse("0").unwrap());
            side.set_prick(l, isncsci::SensoryValue::parse("0").unwrap());
        }
    }
    isncsci::flat::fields(&exam)
        .map(|(k, v)| (k, Value::String(v.into())))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    for db in common::databases("scitrial_durable").await {
        let url = db.url();
        common::add_crc(url, "crc-durable", PASSWORD);

        let (mut server, base) = serve(url);
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let exam = exam();
        let mut writers = Vec::new();
        for w in 0..8 {
            let (http, csrf) = login(&base).await;
            let (base, acknowledged, exam) = (base.clone(), acknowledged.clone(), exam.clone());
            writers.push(tokio::spawn(async move {
                for n in 0.. {
                    let number = format!("D{w}-{n}");
                    let sent = common::screen(&http, &base, &csrf, &number, &exam).await;
                    match sent {
                        Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                            acknowledged.lock().unwrap().push(number)
                        }
                        Ok(r) => panic!("unexpected answer {}", r.status()),
                        // The server is gone: this write was never acknowledged.
                        Err(_) => return,
                    }
                }
            }));
        }
        // Let the load run, then kill the server in the middle of it.
        let started = Instant::now();
        while acknowledged.lock().unwrap().len() < 60 && started.elapsed() < Duration::from_secs(20)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        for w in writers {
            w.await.unwrap();
        }
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(
            acknowledged.len() >= 60,
            "only {} writes before the kill",
            acknowledged.len()
        );

        let (mut server, base) = serve(url);
        let present = common::screening_numbers(&base, "crc-durable", PASSWORD).await;
        let lost: Vec<&String> = acknowledged
            .iter()
            .filter(|n| !present.contains(*n))
            .collect();
        assert!(
            lost.is_empty(),
            "{} acknowledged writes lost on {url}: {lost:?}",
            lost.len()
        );
        server.kill().unwrap();
        server.wait().unwrap();

        let verified = common::audit_verify(url);
        eprintln!(
            "{url}: {} acknowledged writes, all present after kill -9; {}",
            acknowledged.len(),
            verified
        );
    }
}
