//! The demo's SUSARs (Phase II): two serious, related, unexpected events reported by the site,
//! each with the safety physician's assessment; the first known to the sponsor 20 days before
//! the demo's day, so that its 15-day clock is overdue; the second reported today, with its
//! initial report to the FDA recorded by pharmacovigilance (the CDE's still awaited). The
//! safety roles get e-mail addresses, so that the clocks' notices reach the outbox.

use store::{Actor, Participant, Scope, SponsorInput};
use time::{Date, Duration};
use trial::safety::{
    AdverseEventForm, Authority, Causality, EventContext, Expectedness, ReportKind,
};
use trial::Role;

use super::Staff;
use crate::app::App;

/// Seeds the two SUSARs among `enrolled` (each with its enrolment date).
pub(super) async fn seed_susars(
    app: &App,
    study: &trial::Study,
    scope: &Scope,
    staff: &Staff,
    enrolled: &[(Participant, Date)],
    today: Date,
) -> Result<(), String> {
    let err = |e: store::StoreError| e.to_string();
    for role in [Role::SafetyPhysician, Role::Pharmacovigilance] {
        let actor = staff.actor(role);
        if let Some(id) = actor.user_id {
            let email = format!("{}@example.org", actor.username);
            app.store
                .set_user_email(id, &email, &Actor::system())
                .await
                .map_err(err)?;
        }
    }
    let old_enough: Vec<&(Participant, Date)> = enrolled
        .iter()
        .filter(|(_, on)| *on + Duration::days(24) <= today)
        .collect();
    let [(late, late_on), (fresh, fresh_on), ..] = old_enough[..] else {
        return Err("the demo needs two participants enrolled 24 days before today".into());
    };
    let sp = staff.actor(Role::SafetyPhysician);
    let known_long_ago = (today - Duration::days(20)).midnight().assume_utc() + Duration::hours(9);
    // The overdue one: the sponsor heard of it by telephone 20 days ago.
    let ae = serious(app, scope, staff, late, *late_on, "Vomiting", "possible").await?;
    assess(app, study, scope, ae, Some(known_long_ago), &sp).await?;
    report(app, study, scope, staff, late, ae).await?;
    // The one on time: reported by the site today, its first report sent to the FDA.
    let ae = serious(
        app,
        scope,
        staff,
        fresh,
        *fresh_on,
        "Meningitis",
        "probable",
    )
    .await?;
    report(app, study, scope, staff, fresh, ae).await?;
    assess(app, study, scope, ae, None, &sp).await?;
    app.store
        .record_expedited_report(
            study,
            scope,
            ae,
            Authority::Fda,
            ReportKind::Initial,
            None,
            &staff.actor(Role::Pharmacovigilance),
        )
        .await
        .map_err(err)?;
    Ok(())
}

/// Records a grade 3 event of `term` requiring hospitalisation, related to the product as
/// `causality`, by the participant's site; its id.
async fn serious(
    app: &App,
    scope: &Scope,
    staff: &Staff,
    participant: &Participant,
    enrolled_on: Date,
    term: &str,
    causality: &str,
) -> Result<i64, String> {
    let consent = store::parse_date(&participant.consent_date).ok_or("a consent date")?;
    let terms = app.store.terms().await.map_err(|e| e.to_string())?;
    let event = AdverseEventForm {
        verbatim: format!("{} (admitted to hospital)", term.to_lowercase()),
        term: term.into(),
        onset: store::date(enrolled_on + Duration::days(3)),
        end: None,
        grade: Some(3),
        seriousness: vec!["hospitalisation".into()],
        causality_product: causality.into(),
        causality_procedure: "not-related".into(),
        action: "dose-delayed".into(),
        outcome: "recovering".into(),
    }
    .read(EventContext {
        terms: &terms,
        consent,
        today: time::OffsetDateTime::now_utc().date(),
    })
    .map_err(|problems| format!("demo SUSAR: {problems:?}"))?;
    let by = coordinator(staff, participant);
    let recorded = app
        .store
        .record_adverse_event(scope, participant.id, &event, &by)
        .await
        .map_err(|e| e.to_string())?;
    Ok(recorded.id)
}

/// The coordinator of the participant's site.
fn coordinator(staff: &Staff, participant: &Participant) -> Actor {
    staff
        .coordinators
        .iter()
        .find(|(site, _)| *site == participant.site_id)
        .map_or_else(|| staff.actor(Role::Crc), |(_, a)| a.clone())
}

/// The site reports the event to the sponsor.
async fn report(
    app: &App,
    study: &trial::Study,
    scope: &Scope,
    staff: &Staff,
    participant: &Participant,
    ae: i64,
) -> Result<(), String> {
    app.store
        .report_sae(
            study,
            scope,
            participant.id,
            ae,
            &coordinator(staff, participant),
        )
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The safety physician's assessment: related (probable), unexpected.
async fn assess(
    app: &App,
    study: &trial::Study,
    scope: &Scope,
    ae: i64,
    first_knowledge: Option<time::OffsetDateTime>,
    sp: &Actor,
) -> Result<(), String> {
    let input = SponsorInput {
        causality: Causality::Probable,
        expectedness: Expectedness::Unexpected,
        first_knowledge,
        reason: None,
    };
    app.store
        .assess_case(study, scope, ae, &input, sp)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
