//! The application as every handler shares it: the store and the loaded studies.

use std::collections::BTreeMap;
use std::sync::Arc;

use store::Store;
use trial::Study;

use crate::error::ApiError;

/// The application: the store and the studies it serves.
pub struct App {
    /// The system of record.
    pub store: Arc<Store>,
    /// The loaded studies, by id.
    pub studies: BTreeMap<String, trial::Study>,
    /// Whether the session cookie is marked Secure (behind TLS).
    pub secure_cookies: bool,
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
        Ok(App {
            store,
            studies,
            secure_cookies,
        })
    }

    /// A loaded study, or 404.
    pub fn study(&self, id: &str) -> Result<&Study, ApiError> {
        self.studies
            .get(id)
            .ok_or_else(|| ApiError::NotFound(format!("study {id} not found")))
    }
}
