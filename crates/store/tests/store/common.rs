//! What the store's tests share.

use store::testing::Backend;
use store::*;

/// A fresh SQLite file and, when available, a fresh PostgreSQL database, each named when a
/// test fails on it.
pub async fn stores() -> Vec<Backend> {
    store::testing::backends("scitrial_store").await.unwrap()
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
