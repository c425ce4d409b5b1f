//! `scitrial randomization verify` through the real binary: 0 when the stored list, kits and
//! allocations reproduce from the seed, 1 naming the slot after one is changed behind the
//! application's back, 2 when there is no list.

use store::{Actor, Scope};

use crate::common::{self, bin};

const PHASE1: &str = "../../studies/xs228-phase1.toml";
const PHASE2: &str = "../../studies/xs228-phase2.toml";

fn verify(url: &str, study: &str) -> (i32, String) {
    let out = bin()
        .args([
            "randomization",
            "verify",
            "--database-url",
            url,
            "--study",
            study,
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test]
async fn verify_finds_the_list_intact_then_names_a_changed_slot() {
    // The first database (SQLite), named if the test fails.
    let db = common::databases("scitrial_verify").await.next().unwrap();
    let url = db.url();
    let (sql, study, user) = common::phase2_with_user(url).await;
    let by = Actor::user(&user);
    let (code, text) = verify(url, PHASE2);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no randomisation list"), "{text}");
    sql.generate_randomisation(&study, &store::ListRequest::new(99, 12, 40), &by)
        .await
        .unwrap();
    let scope = Scope::Study(study.id.clone());
    for i in 0..6 {
        let site = &study.sites[i % 3].id;
        let id = common::enrolled(&sql, &study, site, i, &format!("P{i}"), &by).await;
        let c =
            trial::Covariates::new(&study, isncsci::Grade::B, isncsci::Level::C6, site).unwrap();
        sql.randomise(&scope, &study, id, &c, &by).await.unwrap();
    }
    let (code, text) = verify(url, PHASE2);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("6 allocations") && text.contains("reproduces from its seed"),
        "{text}"
    );
    sqlx::query(
        "UPDATE allocation_slots SET arm_id = CASE WHEN arm_id = 'xs228' THEN 'placebo' ELSE 'xs228' END \
         WHERE stratum = 3 AND position = 2",
    )
    .execute(sql.raw_pool())
    .await
    .unwrap();
    let (code, text) = verify(url, PHASE2);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("problem: slot 3/2 is not the one the seed gives"),
        "{text}"
    );
    assert!(
        !text.contains("xs228") && !text.contains("placebo"),
        "{text}"
    );
    let (code, text) = verify(url, PHASE1);
    assert_eq!(code, 2, "{text}");
}
