//! The dashboard's visits due and overdue, on both databases: every visit of an enrolled
//! participant in the reader's scope that is due or overdue today, overdue first and then by
//! target date, exactly as each participant's own visits say (the list is read in one query
//! for all of them).

use reqwest::StatusCode;
use serde_json::{json, Value};
use trial::{ParticipantStatus, Role};

use crate::allocation::screened;
use crate::common::{self, Databases, TestApp, PHASE2};

const PEOPLE: &[common::Person] = &[
    ("dm", Role::DataManager, None),
    ("crc", Role::Crc, Some(0)),
    ("crcb", Role::Crc, Some(1)),
];

async fn databases() -> Databases {
    common::databases("scitrial_dashboard").await
}

/// A row of the list: participant, site, target, window, status.
type Row = (i64, String, String, String, String);

/// The rows of the dashboard's list of visits due and overdue, as shown.
fn shown(body: &str, sid: &str) -> Vec<Row> {
    let marker = format!("<tr><td><a href=\"/studies/{sid}/participants/");
    body.split(&marker)
        .skip(1)
        .map(|row| {
            let row = &row[..row.find("</tr>").expect("a whole row")];
            let id = row[..row.find('"').unwrap()].parse().unwrap();
            // After the participant's cell: site, visit, target, window, status.
            let cells: Vec<&str> = row
                .split("<td>")
                .skip(1)
                .map(|c| &c[..c.find("</td>").unwrap_or(c.len())])
                .collect();
            let status = cells[4]
                .strip_prefix("<span class=\"badge ")
                .and_then(|c| c.split('"').next())
                .unwrap()
                .to_string();
            (
                id,
                cells[0].to_string(),
                cells[2].to_string(),
                cells[3].to_string(),
                status,
            )
        })
        .collect()
}

/// What the list should hold for `scope`: each enrolled participant's own visits (one read a
/// participant) with their status today, overdue first, then by target.
async fn expected(app: &TestApp, scope: &store::Scope) -> Vec<Row> {
    let today = time::OffsetDateTime::now_utc().date();
    let mut rows = Vec::new();
    for p in app.store.participants(scope).await.unwrap() {
        if p.status != ParticipantStatus::Enrolled {
            continue;
        }
        for v in app.store.visits(scope, p.id).await.unwrap() {
            let planned = trial::PlannedVisit {
                visit_id: v.visit_id.clone(),
                name: v.name.clone(),
                day: 0,
                target: store::parse_date(&v.target).unwrap(),
                earliest: store::parse_date(&v.earliest).unwrap(),
                latest: store::parse_date(&v.latest).unwrap(),
            };
            let done = v.done_on.as_deref().and_then(store::parse_date);
            let status = trial::visit_status(&planned, today, done).as_str();
            if status == "due" || status == "overdue" {
                rows.push((
                    p.id,
                    p.site_id.clone(),
                    v.target.clone(),
                    format!("{} – {}", v.earliest, v.latest),
                    status.to_string(),
                ));
            }
        }
    }
    rows.sort_by(|a, b| (&b.4, &a.2).cmp(&(&a.4, &b.2)));
    rows
}

#[tokio::test]
async fn the_dashboard_lists_the_visits_due_and_overdue_in_scope() {
    for db in databases().await {
        let app = common::with_list(
            common::spawn_with(db.url(), PHASE2, PEOPLE, common::plain_name).await,
        )
        .await;
        let sid = app.study.id.clone();
        let today = time::OffsetDateTime::now_utc().date();
        let day = |back: i64| store::date(today - time::Duration::days(back));
        let (crc, crcb, dm) = (
            common::login(&app, "crc").await,
            common::login(&app, "crcb").await,
            common::login(&app, "dm").await,
        );
        // Enrolled 30, 14 and 0 days ago at the first site and 30 days ago at the second (the
        // baseline visit overdue, the week-2 or week-4 visit due, later ones upcoming), and one
        // in screening at each: not listed.
        for (client, site, number, back) in [
            (&crc, 0, "A-1", Some(30)),
            (&crc, 0, "A-2", Some(14)),
            (&crc, 0, "A-3", Some(0)),
            (&crc, 0, "A-4", None),
            (&crcb, 1, "B-1", Some(30)),
            (&crcb, 1, "B-2", None),
        ] {
            let id = screened(&app, client, site, number, false).await;
            let Some(back) = back else { continue };
            let (status, body) = client
                .post(
                    &format!("/api/studies/{sid}/participants/{id}/enrolment"),
                    &json!({ "subject_id": format!("XS-{number}"), "enrolled_on": day(back),
                             "anchor_date": day(back) }),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let name = db.name();
        for (client, scope) in [
            (&dm, store::Scope::Study(sid.clone())),
            (
                &crc,
                store::Scope::Sites {
                    study: sid.clone(),
                    sites: vec![app.study.sites[0].id.clone()],
                },
            ),
        ] {
            let want = expected(&app, &scope).await;
            for status in ["due", "overdue"] {
                assert!(
                    want.iter().any(|r| r.4 == status),
                    "{name}: no visit {status} in {want:?}"
                );
            }
            let (status, body) = client
                .text("get", &format!("/studies/{sid}"), &Value::Null)
                .await;
            assert_eq!(status, StatusCode::OK, "{name}");
            assert_eq!(shown(&body, &sid), want, "{name}: {scope:?}");
            assert!(
                body.contains(&format!("data-count=\"due\">{}<", want.len())),
                "{name}: {body}"
            );
            if matches!(scope, store::Scope::Sites { .. }) {
                let other = &app.study.sites[1].id;
                assert!(want.iter().all(|r| &r.1 != other), "{name}: {want:?}");
            } else {
                assert!(
                    want.iter().any(|r| r.1 == app.study.sites[1].id),
                    "{name}: {want:?}"
                );
            }
        }
    }
}
