//! `scitrial backup` taken while writes go on, and `scitrial restore` into a fresh database,
//! on both databases: every write acknowledged before the backup began is in the restored
//! database, and its chains verify.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{self, bin};

/// Runs the binary off the runtime's threads (the writers go on): exit code and output.
async fn run(args: Vec<String>) -> (i32, String) {
    tokio::task::spawn_blocking(move || {
        let out = bin().args(&args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    })
    .await
    .unwrap()
}

async fn wait_for(count: &Mutex<Vec<i64>>, at_least: usize) {
    for _ in 0..2_000 {
        if count.lock().unwrap().len() >= at_least {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the writers stopped short of {at_least} writes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_writing_restores_every_write_acknowledged_before_it() {
    for db in common::databases("scitrial_backup").await {
        let url = db.url().to_string();
        let (sql, study, user) = common::phase2_with_user(&url).await;
        let sql = Arc::new(sql);
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let next = Arc::new(AtomicUsize::new(0));
        let site = study.sites[0].id.clone();
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let (sql, acknowledged, stop, next, site) = (
                    sql.clone(),
                    acknowledged.clone(),
                    stop.clone(),
                    next.clone(),
                    site.clone(),
                );
                let (scope, by) = (
                    store::Scope::Study(study.id.clone()),
                    store::Actor::user(&user),
                );
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let p = sql
                            .screen(&scope, &common::screening(&site, i), &by)
                            .await
                            .unwrap();
                        acknowledged.lock().unwrap().push(p.id);
                    }
                })
            })
            .collect();
        wait_for(&acknowledged, 40).await;
        let before: Vec<i64> = acknowledged.lock().unwrap().clone();
        let dir = std::env::temp_dir().join(store::testing::unique("scitrial_backup"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("trial.backup").display().to_string();
        let (code, said) = run(vec![
            "backup".into(),
            "--database-url".into(),
            url.clone(),
            "--output".into(),
            file.clone(),
        ])
        .await;
        assert_eq!(code, 0, "{said}");
        assert!(said.contains("backup written to"), "{said}");
        let during = acknowledged.lock().unwrap().len();
        wait_for(&acknowledged, during + 20).await;
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.await.unwrap();
        }
        assert!(
            during > before.len(),
            "writes went on while the backup ran ({} before, {during} after)",
            before.len()
        );

        // A fresh database of the same kind.
        let fresh = store::testing::fresh_databases("scitrial_restore")
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.split(':').next() == url.split(':').next())
            .unwrap();
        let restore = |target: &str| {
            vec![
                "restore".to_string(),
                "--input".into(),
                file.clone(),
                "--database-url".into(),
                target.to_string(),
            ]
        };
        let (code, said) = run(restore(&fresh)).await;
        assert_eq!(code, 0, "{said}");
        assert!(said.contains("audit trail intact"), "{said}");
        let restored = store::open(&fresh).await.unwrap();
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM participants")
            .fetch_all(restored.raw_pool())
            .await
            .unwrap();
        let missing: Vec<&i64> = before.iter().filter(|id| !ids.contains(id)).collect();
        assert_eq!(
            missing,
            Vec::<&i64>::new(),
            "acknowledged before the backup"
        );
        assert!(matches!(
            restored.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));
        // Never over a database that has data, nor the wrong kind of backup.
        let (code, said) = run(restore(&fresh)).await;
        assert_eq!(code, 2, "{said}");
        assert!(
            said.contains("exists") || said.contains("has tables"),
            "{said}"
        );
        let other = if url.starts_with("sqlite:") {
            "postgres://postgres@127.0.0.1:5432/none".to_string()
        } else {
            format!("sqlite:{}", dir.join("other.db").display())
        };
        let (code, said) = run(restore(&other)).await;
        assert_eq!(code, 2, "{said}");
        assert!(said.contains("backup: restore it into"), "{said}");
        // The original goes on verifying too.
        assert!(matches!(
            sql.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));
    }
}
