//! The eCRF form pages in a real browser (`tests/browser/forms.test.js`, launched as the other
//! browser tests are, with their helpers): Phase II with an enrolled participant; the coordinator
//! fills SCIM III (the live scores are `trial`'s) and meets a bad vital sign at its field, the
//! monitor raises a query from a field, the data manager locks the visit. Skipped as the other
//! browser tests are.

use serde_json::{json, Value};
use store::Scope;
use trial::{Role, Scim3, Scim3Item, Scim3Subscale};

use crate::api::enrolled;
use crate::browser::{run_script, scripts};
use crate::common::{self, login, PASSWORD, PHASE2};

const PEOPLE: &[common::Person] = &[
    ("crc", Role::Crc, Some(0)),
    ("mon", Role::Monitor, Some(0)),
    ("dm", Role::DataManager, None),
];

#[tokio::test]
async fn the_form_pages_in_a_real_browser() {
    let Some(dir) = scripts("forms browser test") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_forms"));
    std::fs::create_dir_all(&tmp).unwrap();
    let url = format!("sqlite:{}", tmp.join("test.db").display());
    let app =
        common::with_list(common::spawn_with(&url, PHASE2, PEOPLE, common::plain_name).await).await;
    let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
    let crc = login(&app, "crc").await;
    let id = enrolled(&crc, &sid, &site, "B-1", "XS-B1").await;
    // Scores that skip values (bladder 11, bowel 8) and sum to neither end of the range.
    let scores: [u8; 19] = [2, 1, 1, 3, 2, 2, 6, 11, 8, 4, 4, 1, 1, 5, 4, 3, 1, 1, 0];
    let scim = Scim3::from_scores(scores).unwrap();
    let sub = scim.subscales();
    let pairs: Vec<Value> = Scim3Item::ALL
        .iter()
        .zip(scores)
        .map(|(i, s)| json!([i.id(), s.to_string()]))
        .collect();
    let visit = format!("/studies/{sid}/participants/{id}/visits/week-12");
    let data = json!({
        "password": PASSWORD,
        "participantPath": format!("/studies/{sid}/participants/{id}"),
        "scimLink": format!("{visit}/forms/scim3"),
        "scimPath": format!("{visit}/ecrf/scim3"),
        "vitalsPath": format!("{visit}/ecrf/vital-signs"),
        "tablePath": format!("/studies/{sid}/forms"),
        "scim": pairs,
        "expected": {
            Scim3Subscale::SelfCare.id(): sub.self_care,
            Scim3Subscale::RespirationSphincter.id(): sub.respiration_sphincter,
            Scim3Subscale::Mobility.id(): sub.mobility,
            "total": scim.total(),
        },
        "vitals": { "systolic_bp": 118, "diastolic_bp": 76, "heart_rate": 70,
                    "respiratory_rate": 14, "temperature": "36.7", "spo2": 97 },
    });
    let data_file = tmp.join("data.json");
    std::fs::write(&data_file, data.to_string()).unwrap();

    let base = app.base.clone();
    let output = run_script(&dir, "forms.test.js", base, data_file).await;
    assert!(output.status.success(), "the forms browser test failed");
    // What the pages did is in the store: the scores as trial computes them, the query on its
    // field, the visit's forms locked.
    let scope = Scope::Study(sid.clone());
    let forms = app.store.forms(&scope, id).await.unwrap();
    let saved = forms.iter().find(|f| f.form_id == "scim3").unwrap();
    // Feeding changed from 2 to 3, with its reason.
    assert_eq!(saved.data["total"], scim.total() + 1);
    assert_eq!(saved.version, 2);
    assert!(forms
        .iter()
        .filter(|f| f.visit_id == "week-12")
        .all(|f| f.locked));
    assert_eq!(forms.iter().filter(|f| f.visit_id == "week-12").count(), 2);
    let queries = app.store.queries(&scope, Some(id), None).await.unwrap();
    assert_eq!(queries.len(), 1);
    assert_eq!(
        (queries[0].form_id.as_str(), queries[0].field.as_str()),
        ("scim3", "bladder")
    );
}
