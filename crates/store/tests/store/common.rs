//! What the store's tests share.

pub use store::testing::Backend;
use store::testing::Databases;
use store::*;

/// A fresh SQLite file and, when available, a fresh PostgreSQL database, one at a time: a
/// store opened on one (`Backend::open`) names it when a test fails on it.
pub async fn stores() -> Databases {
    store::testing::databases("scitrial_store").await.unwrap()
}

/// A user with no password (the store never checks one), named `Dr {name}`.
pub async fn user(store: &Store, name: &str) -> User {
    store
        .create_user(
            &NewUser {
                username: name.into(),
                full_name: format!("Dr {name}"),
                password_hash: "not used".into(),
                language: "en".into(),
            },
            &Actor::system(),
        )
        .await
        .unwrap()
}

/// The screening of an eligible participant at a site, with an empty exam.
pub fn screening(site: &str, number: &str) -> NewScreening {
    NewScreening {
        site_id: site.into(),
        screening_number: number.into(),
        sex: "male".into(),
        date_of_birth: "1985-01-02".into(),
        injury_date: "2026-10-01".into(),
        consent_date: "2026-10-20".into(),
        screening_date: "2026-10-21".into(),
        eligible: true,
        eligibility_reasons: vec![],
        exam_visit: "screening".into(),
        exam_visit_name: "Screening".into(),
        exam_form: "isncsci".into(),
        exam_raw: "{}".into(),
        classification: "{}".into(),
    }
}
