//! The report's figures as PNG over HTTP, on both databases: each PNG the report page links is
//! the page's own inline SVG drawn by `export::png` (so a blinded role's PNG is as pooled as its
//! page, and the DSMB's by arm), in English and in Chinese; a role that may not read results
//! gets 403, a name the report has no figure of 404 naming the figures it has.

use reqwest::StatusCode;
use serde_json::json;

use crate::api::{enrolled, login, spawn};
use crate::common::{databases as fresh, Client};

/// The inline SVG of the report's figure `kind` and the link of its PNG.
fn figure(page: &str, kind: &str) -> (String, String) {
    let at = page
        .find(&format!("<figure data-figure=\"{kind}\">"))
        .unwrap_or_else(|| panic!("no figure {kind}: {page}"));
    let rest = &page[at..];
    let svg = &rest[rest.find("<svg").unwrap()..rest.find("</svg>").unwrap() + "</svg>".len()];
    let link = "class=\"figure-png\" href=\"";
    let href_at = rest.find(link).unwrap() + link.len();
    let href = &rest[href_at..href_at + rest[href_at..].find('"').unwrap()];
    (svg.to_owned(), href.to_owned())
}

/// A GET: the status, the content type and the body's bytes.
async fn fetch(client: &Client, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = client
        .http
        .get(format!("{}{path}", client.base))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let kind = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, r.bytes().await.unwrap().to_vec())
}

/// The viewer's report page, each figure's PNG fetched and compared with its SVG drawn (a
/// `blinded` viewer's figures name no arm, the others' CONSORT flow names the placebo arm);
/// returns the CONSORT figure's PNG.
async fn pngs_of_the_page(client: &Client, sid: &str, suffix: &str, blinded: bool) -> Vec<u8> {
    let (status, _, page) = fetch(client, &format!("/studies/{sid}/report")).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(page).unwrap();
    let mut consort = Vec::new();
    for (kind, stem) in [
        ("consort", "consort-flow"),
        ("mean-change", "mean-change"),
        ("waterfall", "waterfall"),
        ("ais-shift", "ais-shift"),
    ] {
        let (svg, href) = figure(&page, kind);
        assert_eq!(
            href,
            format!("/studies/{sid}/report/figures/{stem}{suffix}.png")
        );
        let (status, content_type, png) = fetch(client, &href).await;
        assert_eq!(status, StatusCode::OK, "{href}");
        assert_eq!(content_type, "image/png", "{href}");
        let names_placebo = svg.contains("Placebo") || svg.contains("安慰剂");
        if blinded {
            assert!(
                !names_placebo,
                "{href}: a blinded viewer's figure names an arm"
            );
        } else if kind == "consort" {
            assert!(names_placebo, "{href}: the flow by arm names its arms");
        }
        let drawn = export::png::svg_to_png(&svg, export::png::PRINT_SCALE).unwrap();
        assert!(png == drawn, "{href}: the page's figure, drawn");
        if kind == "consort" {
            consort = png;
        }
    }
    consort
}

#[tokio::test]
async fn the_report_s_figures_are_offered_as_png_pooled_or_by_arm_as_the_page_is() {
    for db in fresh("scitrial_web_report_png").await {
        let app = spawn(db.url()).await;
        let sid = app.study.id.clone();
        let site = app.study.sites[0].id.clone();
        let crc = login(&app, "crc").await;
        for i in 0..3 {
            let id = enrolled(
                &crc,
                &sid,
                &site,
                &format!("P-{i}"),
                &format!("XS228-10{i}"),
            )
            .await;
            let (status, body) = crc
                .post(
                    &format!("/api/studies/{sid}/participants/{id}/randomisation"),
                    &json!({}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        // The blinded sponsor's figures are pooled, the DSMB's by arm: they differ.
        let admin = login(&app, "admin").await;
        let dsmb = login(&app, "dsmb").await;
        let pooled = pngs_of_the_page(&admin, &sid, "", true).await;
        let by_arm = pngs_of_the_page(&dsmb, &sid, "", false).await;
        assert!(pooled != by_arm, "the flow by arm is another figure");
        // In Chinese: the `.zh.png` files.
        let (status, _, _) = fetch(&admin, "/language/zh").await;
        assert!(status.is_success() || status.is_redirection(), "{status}");
        pngs_of_the_page(&admin, &sid, ".zh", true).await;
        // A coordinator reads no results; an unknown figure is named with the report's.
        let (status, _, _) = fetch(
            &crc,
            &format!("/studies/{sid}/report/figures/mean-change.png"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, _, _) = fetch(&admin, "/language/en").await;
        let (status, _, body) =
            fetch(&admin, &format!("/studies/{sid}/report/figures/arms.png")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let body = String::from_utf8(body).unwrap();
        assert!(
            body.contains("figure arms.png not found")
                && body.contains("consort-flow.png, mean-change.png, waterfall.png, ais-shift.png"),
            "{body}"
        );
    }
}
