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
