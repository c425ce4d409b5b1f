//! `scitrial labs ranges` and `scitrial labs import`, run as the real binary on both
//! databases: the ranges load through the store's one call and are audited as the operator
//! named; a bad file exits 2 naming its line and column and writes nothing; a central lab's
//! file is previewed (nothing written), imported (flagged, graded, an event proposed), and
//! imported again without change.

use store::{Actor, Scope};

use crate::common::{bin, databases, enrolled, phase2_with_user};

const RANGES: &str = "test,site,sex,age_min,age_max,low,high,unit,valid_from,valid_to\n\
    NEUT,*,any,,,2.0,7.5,10*9/L,2026-01-01,\n\
    ALT,*,any,,,7,40,U/L,2026-01-01,\n";

/// The third line's low is not a number.
const BAD_RANGES: &str = "test,site,sex,age_min,age_max,low,high,unit,valid_from,valid_to\n\
    NEUT,*,any,,,2.0,7.5,10*9/L,2026-01-01,\n\
    ALT,*,any,,,seven,40,U/L,2026-01-01,\n";

const RESULTS: &str = "participant,visit,collected_at,test,value,unit,lab_range\n\
    LAB-0,week-2,2026-11-02T08:30:00+08:00,NEUT,4.0,10*9/L,2.0-7.5\n\
    LAB-0,week-4,2026-11-16T08:30:00+08:00,NEUT,0.8,10*9/L,2.0-7.5\n\
    LAB-1,week-2,2026-11-02T09:00:00Z,ALT,35,U/L,\n";

/// Line 3 names a test the study does not measure.
const BAD_RESULTS: &str = "participant,visit,collected_at,test,value,unit,lab_range\n\
    LAB-0,week-2,2026-11-02T08:30:00+08:00,NEUT,4.0,10*9/L,\n\
    LAB-1,week-2,2026-11-02T09:00:00Z,TSH,3,mIU/L,\n";

#[tokio::test]
async fn labs_ranges_and_import_write_through_the_store_as_the_operator() {
    for db in databases("scitrial_labs").await {
        let url = db.url();
        let (sql, study, user) = phase2_with_user(url).await;
        let by = Actor::user(&user);
        let scope = Scope::Study(study.id.clone());
        sql.generate_randomisation(&study, &store::ListRequest::new(7, 12, 40), &by)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for (i, site) in ["SYSU3", "SHEPHERD"].into_iter().enumerate() {
            ids.push(enrolled(&sql, &study, site, i, &format!("LAB-{i}"), &by).await);
        }
        let dir = std::env::temp_dir().join(store::testing::unique("scitrial_labs_files"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let run = |args: &[&str], path: &std::path::Path| {
            let out = bin()
                .arg("labs")
                .args(args)
                .args(["--database-url", url, "--study", &study.id, "--file"])
                .arg(path)
                .args(["--operator", "dm.li"])
                .output()
                .unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            (out.status.code(), text)
        };

        // Ranges: a bad file first, refused naming line and column, nothing written.
        let (code, text) = run(&["ranges"], &file("bad_ranges.csv", BAD_RANGES));
        assert_eq!(code, Some(2), "{text}");
        assert!(text.contains("line 3: low"), "{text}");
        assert!(text.contains("nothing was written"), "{text}");
        assert!(sql.lab_ranges(&study.id).await.unwrap().is_empty());
        let (code, text) = run(&["ranges"], &file("ranges.csv", RANGES));
        assert_eq!(code, Some(0), "{text}");
        assert!(
            text.starts_with("2 normal ranges of XS228-P2 loaded"),
            "{text}"
        );
        assert_eq!(sql.lab_ranges(&study.id).await.unwrap().len(), 2);
        let audit = sql.audit_of("lab-ranges", &study.id).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].username, "dm.li");
        assert!(audit[0]
            .new_value
            .as_deref()
            .unwrap()
            .starts_with("2 ranges, sha256 "));

        // Import: a bad file refused whole, naming the line and column.
        let (code, text) = run(&["import"], &file("bad.csv", BAD_RESULTS));
        assert_eq!(code, Some(2), "{text}");
        assert!(text.contains("line 3: test"), "{text}");
        assert!(text.contains("TSH"), "{text}");
        assert!(sql.lab_results_of(&scope, ids[0]).await.unwrap().is_empty());
        // Preview: each row as it would be recorded, nothing written.
        let results = file("results.csv", RESULTS);
        let (code, text) = run(&["import", "--preview"], &results);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("line 3: LAB-0 week-4"), "{text}");
        assert!(
            text.contains("low, Neutrophil count decreased grade 3, proposes an adverse event"),
            "{text}"
        );
        assert!(text.contains("3 rows would be imported"), "{text}");
        assert!(sql.lab_results_of(&scope, ids[0]).await.unwrap().is_empty());
        // The import, then the same file again.
        let (code, text) = run(&["import"], &results);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.starts_with("3 results imported"), "{text}");
        assert!(text.contains("1 adverse events proposed"), "{text}");
        let first = sql.lab_results_of(&scope, ids[0]).await.unwrap();
        assert_eq!(first.len(), 2);
        assert_eq!(first[1].grade, Some(3));
        assert_eq!(first[1].recorded_by, "dm.li");
        assert!(first[1].proposal.is_some());
        assert_eq!(sql.lab_results_of(&scope, ids[1]).await.unwrap().len(), 1);
        let import = first[1].import_id.unwrap().to_string();
        let audit = sql.audit_of("lab-import", &import).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].username, "dm.li");
        let (code, text) = run(&["import"], &results);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("was imported before"), "{text}");
        assert_eq!(sql.lab_results_of(&scope, ids[0]).await.unwrap().len(), 2);
        // A study that is not there.
        let out = bin()
            .args([
                "labs",
                "ranges",
                "--database-url",
                url,
                "--study",
                "NOPE",
                "--file",
            ])
            .arg(dir.join("ranges.csv"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("no study \"NOPE\""));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
