//! `scitrial terms load`, run as the real binary on both databases: a CTCAE CSV export of the
//! NCI's layout (written here, with our own grade texts) is loaded and replaces the terms; a
//! bad file exits 2 naming the line and column, and leaves the terms as they were.

use crate::common::{bin, databases};

/// A small file in the layout of the NCI's CSV export: extra columns, a quoted value with a
/// comma, dashes for grades the term does not define.
const GOOD: &str = "MedDRA Code,MedDRA SOC,CTCAE Term,Grade 1,Grade 2,Grade 3,Grade 4,Grade 5,Definition,Navigational Note\n\
10019211,Nervous system disorders,Headache,Mild pain,Moderate pain,\"Severe pain, limits self-care\",-,-,Pain in the head,\n\
10016558,General disorders and administration site conditions,Fever,38.0 to 39.0 C,39.0 to 40.0 C,Over 40.0 C up to 24 h,Over 40.0 C over 24 h,Death,,\n";

/// The third line's code is not a number.
const BAD: &str = "MedDRA Code,MedDRA SOC,CTCAE Term,Grade 1,Grade 2,Grade 3,Grade 4,Grade 5\n\
10028813,Gastrointestinal disorders,Nausea,Less appetite,Eating less,Tube feeding,-,-\n\
1002x,Gastrointestinal disorders,Vomiting,No treatment,Fluids,Tube feeding,Life-threatening,Death\n";

#[tokio::test]
async fn terms_load_reads_a_ctcae_export_and_refuses_a_bad_one_naming_where() {
    for db in databases("scitrial_terms").await {
        let dir = std::env::temp_dir().join(store::testing::unique("scitrial_terms_files"));
        std::fs::create_dir_all(&dir).unwrap();
        let (good, bad) = (dir.join("ctcae.csv"), dir.join("bad.csv"));
        std::fs::write(&good, GOOD).unwrap();
        std::fs::write(&bad, BAD).unwrap();
        let load = |file: &std::path::Path| {
            bin()
                .args(["terms", "load", "--database-url", db.url(), "--ctcae"])
                .arg(file)
                .output()
                .unwrap()
        };
        let out = load(&good);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with("2 terms loaded"), "{stdout}");
        let out = load(&bad);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("line 3, column 1"), "{stderr}");
        assert!(stderr.contains("\"1002x\""), "{stderr}");
        // The good file's terms are still the ones loaded.
        let store = store::open(db.url()).await.unwrap();
        let terms = store.terms().await.unwrap();
        let names: Vec<&str> = terms.terms().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Headache", "Fever"]);
        let headache = terms.find("headache").unwrap();
        assert_eq!(headache.defined_grades(), [1, 2, 3]);
        assert_eq!(
            headache.grade_definition(3),
            Some("Severe pain, limits self-care")
        );
        assert_eq!(headache.definition.as_deref(), Some("Pain in the head"));
        // A missing file: exit 2 naming it.
        let out = load(&dir.join("none.csv"));
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("none.csv"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// `--meddra DIR`: a licensee's MedDRA ASCII files (written here in the release's layout, with
/// made-up codes and names) load every preferred term under its primary system organ class and
/// every current lowest level term; a file that is missing or wrong exits 2 naming it.
#[tokio::test]
async fn terms_load_reads_meddra_ascii_files() {
    for db in databases("scitrial_meddra").await {
        let dir = std::env::temp_dir().join(store::testing::unique("scitrial_meddra_files"));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        write(
            "soc.asc",
            "90000001$Nervous system disorders$Nerv$\n90000002$General disorders$Genrl$\n",
        );
        write(
            "pt.asc",
            "91000001$Headache$$90000001$$$$$$$$\n91000002$Pyrexia$$90000002$$$$$$$$\n",
        );
        write(
            "llt.asc",
            "91000001$Headache$91000001$$$$$$$Y$$\n92000001$Head pain$91000001$$$$$$$Y$$\n\
             92000002$Temperature high$91000002$$$$$$$Y$$\n92000003$Old word$91000002$$$$$$$N$$\n",
        );
        write(
            "mdhier.asc",
            "91000001$93000001$94000001$90000001$Headache$Headaches NEC$Headaches$Nervous system disorders$Nerv$$90000001$Y$\n\
             91000002$93000002$94000002$90000002$Pyrexia$Febrile disorders$Body temperature conditions$General disorders$Genrl$$90000002$Y$\n",
        );
        let load = || {
            bin()
                .args(["terms", "load", "--database-url", db.url(), "--meddra"])
                .arg(&dir)
                .output()
                .unwrap()
        };
        let out = load();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.starts_with("4 terms loaded from the MedDRA files"),
            "{stdout}"
        );
        let store = store::open(db.url()).await.unwrap();
        let terms = store.terms().await.unwrap();
        let got: Vec<(&str, &str, &str)> = terms
            .terms()
            .iter()
            .map(|t| (t.code.as_str(), t.name.as_str(), t.soc.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("91000001", "Headache", "Nervous system disorders"),
                ("91000002", "Pyrexia", "General disorders"),
                ("92000001", "Head pain", "Nervous system disorders"),
                ("92000002", "Temperature high", "General disorders"),
            ]
        );
        assert_eq!(
            terms.find("head pain").unwrap().defined_grades(),
            [1, 2, 3, 4, 5]
        );
        // The audit names the dictionary loaded.
        let loads = store.audit_of("ae-terms", "meddra").await.unwrap();
        assert_eq!(loads.len(), 1, "{loads:?}");
        assert!(store
            .audit_of("ae-terms", "ctcae")
            .await
            .unwrap()
            .is_empty());
        // A lowest level term pointing at no preferred term: exit 2 naming file, line, field;
        // the terms stay as they were.
        write(
            "llt.asc",
            "92000001$Head pain$91000001$$$$$$$Y$$\n92000009$Stray$91999999$$$$$$$Y$$\n",
        );
        let out = load();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("llt.asc: line 2, column 3"), "{stderr}");
        assert_eq!(store.terms().await.unwrap().terms().len(), 4);
        // A file missing: exit 2 naming it. Neither option: a usage error.
        std::fs::remove_file(dir.join("mdhier.asc")).unwrap();
        let out = load();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("mdhier.asc"));
        let out = bin()
            .args(["terms", "load", "--database-url", db.url()])
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
