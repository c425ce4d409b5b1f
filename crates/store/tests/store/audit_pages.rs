//! The audit trail as a filtered, paged list (`Store::audit_page`): every filter is applied in
//! SQL, on both databases, and a page is newest first.

use store::*;

use crate::common::*;
use crate::story::{screening, with_study};

#[tokio::test]
async fn the_audit_trail_is_filtered_and_paged_newest_first() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store).await;
        let site = study.sites[0].id.clone();
        let scope = Scope::Study(study.id.clone());
        let (ann, bob) = (user(&store, "ann").await, user(&store, "bob").await);
        let p1 = store
            .screen(&scope, &screening(&site, "S-001", true), &Actor::user(&ann))
            .await
            .unwrap();
        let p2 = store
            .screen(&scope, &screening(&site, "S-002", true), &Actor::user(&bob))
            .await
            .unwrap();
        let chains = vec![study.id.clone()];
        let all = store
            .audit_page(
                &AuditFilter {
                    chains: chains.clone(),
                    ..AuditFilter::default()
                },
                0,
                1000,
            )
            .await
            .unwrap();
        assert!(all.total >= 4, "{all:?}");
        assert_eq!(all.rows.len() as i64, all.total);
        assert!(
            all.rows.windows(2).all(|w| w[0].id > w[1].id),
            "newest first"
        );
        assert!(all.rows.iter().all(|r| r.chain == study.id));

        // One participant: its own rows and its screening exam's form, none of the other's.
        let of = |p: i64| AuditFilter {
            chains: chains.clone(),
            participant: Some(p),
            ..AuditFilter::default()
        };
        let first = store.audit_page(&of(p1.id), 0, 1000).await.unwrap();
        assert!(first.total > 0);
        assert!(
            first.rows.iter().any(
                |r| r.entity == "form" && r.record_id == format!("{}/screening/isncsci", p1.id)
            ),
            "{first:?}"
        );
        assert!(first.rows.iter().all(|r| r.username == "ann"), "{first:?}");
        let second = store.audit_page(&of(p2.id), 0, 1000).await.unwrap();
        assert!(second.rows.iter().all(|r| r.username == "bob"));
        assert!(first.rows.iter().all(|r| !second.rows.contains(r)));

        // By user and by action.
        let by_bob = store
            .audit_page(
                &AuditFilter {
                    chains: chains.clone(),
                    username: Some("bob".into()),
                    ..AuditFilter::default()
                },
                0,
                1000,
            )
            .await
            .unwrap();
        assert_eq!(by_bob.total, second.total);
        let action = all.rows[0].action.clone();
        let by_action = store
            .audit_page(
                &AuditFilter {
                    chains: chains.clone(),
                    action: Some(action.clone()),
                    ..AuditFilter::default()
                },
                0,
                1000,
            )
            .await
            .unwrap();
        assert!(by_action.total > 0);
        assert!(by_action.rows.iter().all(|r| r.action == action));
        assert_eq!(
            by_action.total,
            all.rows.iter().filter(|r| r.action == action).count() as i64
        );

        // Dates: today holds every row, the day before none; days are whole (both ends in).
        let today = time::OffsetDateTime::now_utc().date();
        let yesterday = today.previous_day().unwrap();
        let days = |from, to| AuditFilter {
            chains: chains.clone(),
            from,
            to,
            ..AuditFilter::default()
        };
        let on_today = store
            .audit_page(&days(Some(today), Some(today)), 0, 1000)
            .await
            .unwrap();
        assert_eq!(on_today.total, all.total);
        let before = store
            .audit_page(&days(None, Some(yesterday)), 0, 1000)
            .await
            .unwrap();
        assert_eq!(before.total, 0);
        let after = store
            .audit_page(&days(today.next_day(), None), 0, 1000)
            .await
            .unwrap();
        assert_eq!(after.total, 0);

        // Words a blinded reader must not see, in entity or field.
        let hidden = store
            .audit_page(
                &AuditFilter {
                    chains: chains.clone(),
                    hide_containing: vec!["exam".into()],
                    ..AuditFilter::default()
                },
                0,
                1000,
            )
            .await
            .unwrap();
        assert!(hidden.total < all.total);
        assert!(hidden
            .rows
            .iter()
            .all(|r| !r.entity.contains("exam")
                && !r.field.as_deref().unwrap_or("").contains("exam")));

        // Pages: consecutive, no overlap, the same total.
        let page1 = store.audit_page(&days(None, None), 0, 2).await.unwrap();
        let page2 = store.audit_page(&days(None, None), 2, 2).await.unwrap();
        assert_eq!((page1.rows.len(), page2.rows.len()), (2, 2));
        assert_eq!(page1.total, all.total);
        assert_eq!(&all.rows[..2], &page1.rows[..]);
        assert_eq!(&all.rows[2..4], &page2.rows[..]);

        // No chain, no rows; the system chain is another chain.
        let none = store
            .audit_page(&AuditFilter::default(), 0, 1000)
            .await
            .unwrap();
        assert_eq!((none.total, none.rows.len()), (0, 0));
        let system = store
            .audit_filtered(&AuditFilter {
                chains: vec!["system".into()],
                username: Some("bob".into()),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert!(system.iter().all(|r| r.chain == "system"));
    }
}
