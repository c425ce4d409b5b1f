//! The application as every handler shares it: the store, the loaded studies, and the limits on
//! failed logins.

use std::collections::BTreeMap;
use std::sync::Arc;

use store::Store;
use trial::Study;

use crate::error::ApiError;
use crate::throttle::LoginThrottle;

/// The application: the store and the studies it serves.
pub struct App {
    /// The system of record.
    pub store: Arc<Store>,
    /// The loaded studies, by id.
    pub studies: BTreeMap<String, trial::Study>,
    /// Whether the session cookie is marked Secure (behind TLS).
    pub secure_cookies: bool,
    /// Whether a proxy stands in front, so that the client address of a request is the last
    /// of its `X-Forwarded-For` (off unless the server is told so).
    pub trust_proxy: bool,
    /// The failed logins per client address and per submitted name.
    pub logins: LoginThrottle,
    /// The address people open the server at (`https://trial.example.org`), which links in
    /// e-mail start with; without it they carry the path only (never the request's `Host`,
    /// which the asker chooses).
    pub public_url: Option<String>,
}

/// The application as handlers share it.
pub type AppState = Arc<App>;

impl App {
    /// An application over a store, loading each study definition (TOML source) into it.
    pub async fn new(
        store: Arc<Store>,
        definitions: &[String],
        secure_cookies: bool,
    ) -> Result<App, String> {
        let mut studies = BTreeMap::new();
        for source in definitions {
            let study = trial::Study::from_toml(source).map_err(|e| e.to_string())?;
            store
                .load_study(&study, source, &store::Actor::system())
                .await
                .map_err(|e| e.to_string())?;
            studies.insert(study.id.clone(), study);
        }
        // The hash an unknown name is checked against is made now, so that the first such login
        // takes no longer than the others.
        let _ = tokio::task::spawn_blocking(crate::auth::dummy_hash).await;
        Ok(App {
            store,
            studies,
            secure_cookies,
            trust_proxy: false,
            logins: LoginThrottle::default(),
            public_url: None,
        })
    }

    /// A loaded study, or 404.
    pub fn study(&self, id: &str) -> Result<&Study, ApiError> {
        self.studies
            .get(id)
            .ok_or_else(|| ApiError::NotFound(format!("study {id} not found")))
    }
}
