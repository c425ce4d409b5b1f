//! The demo's cell product (issue 17): a lot history that shows each state — quarantined,
//! released, conditionally released with a test pending, rejected — one shipment whose logger
//! file shows an excursion and the qualified person's decision on it, one lot that fails its
//! 14-day sterility after it was given, and every dosed participant's administration traced to
//! a unit: in the randomised study each kit's unit of its own treatment (placebo units for the
//! placebo arm, labelled alike), in the escalation each dose of each cohort.

use std::collections::BTreeMap;

use store::{Actor, NewAdministration, NewBank, NewHandover, NewLot, NewShipment, NewUnit, Scope};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};
use trial::product::isbt128::Din;
use trial::product::release::{Disposition, ResultValue};
use trial::{ArmKind, Study};

use crate::app::App;

/// The product definition both demo studies use.
const PRODUCT: &str = include_str!("../../../../studies/xs228-product.toml");

/// Cells per dose in the randomised study (its definition names no dose).
const PHASE2_CELLS: i64 = 100_000_000;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The manufacturer's people: the demo's QC and qualified person when they have accounts,
/// else the system.
async fn manufacturer(app: &App) -> Result<(Actor, Actor), String> {
    let mut out = Vec::new();
    for name in ["qc", "qualified-person"] {
        let user = app.store.user_by_name(name).await.map_err(err)?;
        out.push(user.map_or_else(Actor::system, |u| Actor::user(&u)));
    }
    let qp = out.pop().unwrap_or_else(Actor::system);
    let qc = out.pop().unwrap_or_else(Actor::system);
    Ok((qc, qp))
}

/// A unit's label: facility G1234, year 26, the study's series and a sequence number.
fn new_unit(series: u32, n: u32, placebo: bool) -> Result<NewUnit, String> {
    let din = format!("G1234{series:02}{n:06}");
    let check = Din::parse(&din).map_err(err)?.check_character().to_string();
    Ok(NewUnit {
        din,
        check_character: check,
        product_code: "E1234V00".into(),
        placebo,
        location_id: None,
    })
}

/// What a lot's release comes to.
enum Release<'a> {
    /// No decision yet.
    Quarantined,
    /// Every test passed.
    Released,
    /// Released before these tests came back.
    Conditional(&'a [&'a str]),
    /// A test failed.
    Rejected(&'a str, &'a str),
}

/// The manufacturer's part: the lot made, its units, QC's results and the qualified person's
/// decision.
struct Maker<'a> {
    app: &'a App,
    study: &'a Study,
    qc: Actor,
    qp: Actor,
    bank: i64,
    series: u32,
    next: u32,
}

impl<'a> Maker<'a> {
    /// The manufacturer of a study's demo lots, with its master cell bank.
    async fn new(
        app: &'a App,
        study: &'a Study,
        (qc, qp): (&Actor, &Actor),
        series: u32,
    ) -> Result<Maker<'a>, String> {
        let bank = app
            .store
            .create_bank(
                &study.id,
                &NewBank {
                    code: "MCB-01".into(),
                    donor: "D-0001".into(),
                    hla_typing: "A*02:01 A*11:01 B*40:01 B*46:01 DRB1*09:01 DRB1*15:01".into(),
                },
                qc,
            )
            .await
            .map_err(err)?;
        Ok(Maker {
            app,
            study,
            qc: qc.clone(),
            qp: qp.clone(),
            bank: bank.id,
            series,
            next: 0,
        })
    }

    async fn lot(
        &mut self,
        number: &str,
        made: Date,
        units: &[bool],
        release: Release<'_>,
    ) -> Result<Vec<store::Unit>, String> {
        let store = &self.app.store;
        let sid = &self.study.id;
        let lot = store
            .create_lot(
                sid,
                &NewLot {
                    bank_id: self.bank,
                    lot_number: number.into(),
                    manufacturing_site: "XellSmart GMP facility, Suzhou".into(),
                    manufactured_on: made,
                    cell_count: 4_000_000_000,
                    expires_on: made + Duration::days(3 * 365),
                },
                &self.qc,
            )
            .await
            .map_err(err)?;
        let mut new = Vec::with_capacity(units.len());
        for placebo in units {
            self.next += 1;
            new.push(new_unit(self.series, self.next, *placebo)?);
        }
        let made_units = store
            .add_units(sid, lot.id, &new, &self.qc)
            .await
            .map_err(err)?;
        let (pending, failed): (&[&str], Option<(&str, &str)>) = match release {
            Release::Quarantined => return Ok(made_units),
            Release::Released => (&[], None),
            Release::Conditional(p) => (p, None),
            Release::Rejected(test, value) => (&[], Some((test, value))),
        };
        for (test, passing) in [
            ("sterility", ResultValue::Word("negative".into())),
            ("mycoplasma", ResultValue::Word("negative".into())),
            ("endotoxin", ResultValue::Number(0.4)),
            ("viability", ResultValue::Number(88.0)),
            ("identity", ResultValue::Number(94.0)),
            ("residual_ipsc", ResultValue::Number(0.02)),
            ("karyotype", ResultValue::Word("normal".into())),
        ] {
            if pending.contains(&test) {
                continue;
            }
            let value = match failed {
                Some((t, v)) if t == test => ResultValue::Word(v.into()),
                _ => passing,
            };
            store
                .record_release_result(sid, lot.id, test, &value, "Demo QC", &self.qc)
                .await
                .map_err(err)?;
        }
        let disposition = match (pending, failed) {
            (_, Some((test, _))) => Disposition::Reject {
                reason: format!("{test} failed"),
            },
            ([], None) => Disposition::Release,
            (p, None) => Disposition::ReleaseConditionally {
                pending: p.iter().map(|t| t.to_string()).collect(),
            },
        };
        store
            .decide_lot(sid, lot.id, &disposition, "Demo QP", &self.qp)
            .await
            .map_err(err)?;
        Ok(made_units)
    }
}

/// A dry shipper's logger file for a journey from `start`: a reading every 10 minutes for six
/// hours, below −180 °C but for 20 minutes at −141 °C when `warm`.
fn logger_file(start: OffsetDateTime, warm: bool) -> String {
    let mut text = String::from("Timestamp,Temperature (°C)\n");
    for i in 0..37 {
        let at = start + Duration::minutes(10 * i);
        let c = if warm && (15..17).contains(&i) {
            "-141.0"
        } else {
            "-183.5"
        };
        let at = at
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(err)
            .unwrap_or_default();
        text.push_str(&format!("{at},{c}\n"));
    }
    text
}

/// A local time at the site's (demo) offset on a date.
fn at(on: Date, hour: u8, minute: u8) -> OffsetDateTime {
    let offset = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
    PrimitiveDateTime::new(
        on,
        time::Time::from_hms(hour, minute, 0).unwrap_or(time::Time::MIDNIGHT),
    )
    .assume_offset(offset)
}

/// Ships units to a site on `day` and has the site's pharmacist receive them the next day,
/// with the logger file of the journey (an excursion decided `use` when `warm`).
async fn ship(
    app: &App,
    study: &Study,
    site: &str,
    units: &[&store::Unit],
    day: Date,
    warm: bool,
    (qc, qp, pharm): (&Actor, &Actor, &Actor),
) -> Result<(), String> {
    if units.is_empty() {
        return Ok(());
    }
    let store = &app.store;
    let scope = Scope::Study(study.id.clone());
    let shipment = store
        .create_shipment(
            study,
            &NewShipment {
                site_id: site.into(),
                shipper: format!("DS-{site}-{}", day.ordinal()),
                unit_ids: units.iter().map(|u| u.id).collect(),
            },
            day,
            qc,
        )
        .await
        .map_err(err)?;
    let leave = at(day, 8, 0);
    store
        .record_handover(
            &scope,
            shipment.id,
            &NewHandover {
                from: "Suzhou dispatch".into(),
                place: "Suzhou".into(),
                at: leave,
                received: false,
            },
            "Demo courier",
            qc,
        )
        .await
        .map_err(err)?;
    let imported = store
        .import_logger_file(
            &scope,
            shipment.id,
            &logger_file(leave, warm),
            None,
            None,
            qc,
        )
        .await
        .map_err(err)?;
    for excursion in &imported.excursions {
        store
            .decide_excursion(
                &study.id,
                excursion.id,
                "use",
                "20 minutes at -141 °C, below the glass transition; the stability data cover it",
                qp,
            )
            .await
            .map_err(err)?;
    }
    store
        .record_handover(
            &scope,
            shipment.id,
            &NewHandover {
                from: "Demo courier".into(),
                place: "Cell therapy pharmacy".into(),
                at: leave + Duration::hours(7),
                received: true,
            },
            "Demo pharmacist",
            pharm,
        )
        .await
        .map_err(err)?;
    Ok(())
}

/// One administration on `on` (day 1 or a later dose day) at 10:00 at the site.
async fn give(
    app: &App,
    study: &Study,
    (p, kit): (i64, Option<&str>),
    unit: &store::Unit,
    on: Date,
    cells: i64,
    pharm: &Actor,
) -> Result<(), String> {
    let injected = at(on, 10, 0);
    let scope = Scope::Study(study.id.clone());
    app.store
        .administer(
            study,
            &scope,
            p,
            &NewAdministration {
                kit_number: kit.map(str::to_string),
                unit: unit.label(),
                thawed_at: injected - Duration::minutes(35),
                injected_at: injected,
                dose_cells: cells,
                volume_ml: 5.0,
                weight_kg: 68.0,
                route: "intrathecal".into(),
                puncture_level: "L3-L4".into(),
            },
            pharm,
        )
        .await
        .map_err(err)?;
    Ok(())
}

/// The participant's first-dose date, when it is before `today`.
async fn first_dose(app: &App, scope: &Scope, p: i64, today: Date) -> Result<Option<Date>, String> {
    let participant = app.store.participant(scope, p).await.map_err(err)?;
    Ok(participant
        .anchor_date
        .as_deref()
        .and_then(store::parse_date)
        .filter(|d| *d < today))
}

/// The randomised study's lot history and its participants' doses.
pub(super) async fn seed_randomised(
    app: &App,
    study: &Study,
    today: Date,
    pharm: &Actor,
) -> Result<(), String> {
    let started = std::time::Instant::now();
    let store = &app.store;
    let sid = &study.id;
    let scope = Scope::Study(sid.clone());
    let (qc, qp) = manufacturer(app).await?;
    store
        .load_product_definition(sid, PRODUCT, &qc)
        .await
        .map_err(err)?;
    // Who was dosed: every randomised participant whose day 1 has passed, by site and arm.
    let placebo_arms: Vec<&str> = study
        .arms
        .iter()
        .filter(|a| a.kind == ArmKind::Placebo)
        .map(|a| a.id.as_str())
        .collect();
    let mut dosed: Vec<(i64, String, bool, Date, String)> = Vec::new();
    let mut sites: BTreeMap<i64, String> = BTreeMap::new();
    for p in store.participants(&scope).await.map_err(err)? {
        sites.insert(p.id, p.site_id.clone());
    }
    for a in store.allocations(&scope).await.map_err(err)? {
        if let Some(on) = first_dose(app, &scope, a.participant_id, today).await? {
            let site = sites.get(&a.participant_id).cloned().unwrap_or_default();
            let placebo = placebo_arms.contains(&a.arm_id.as_str());
            dosed.push((a.participant_id, site, placebo, on, a.kit_number));
        }
    }
    dosed.sort_by_key(|d| d.3);
    let earliest = dosed.first().map_or(today, |d| d.3);
    let made = earliest - Duration::days(60);
    let mut maker = Maker::new(app, study, (&qc, &qp), 26).await?;
    // The last two participants dosed at the first site get units of a lot released before
    // its 14-day sterility came back; it comes back positive after they were dosed.
    let first_site = study
        .sites
        .first()
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let late: Vec<usize> = dosed
        .iter()
        .enumerate()
        .filter(|(_, d)| d.1 == first_site)
        .map(|(i, _)| i)
        .rev()
        .take(2)
        .collect();
    let treatments = |pick: &dyn Fn(usize) -> bool| -> Vec<bool> {
        dosed
            .iter()
            .enumerate()
            .filter(|(i, _)| pick(*i))
            .map(|(_, d)| d.2)
            .collect()
    };
    // Each lot carries product and placebo units alike; a spare of each stays at the sites.
    let mut main = treatments(&|i| !late.contains(&i));
    main.extend([false, true]);
    let released = maker
        .lot("XS26-001", made, &main, Release::Released)
        .await?;
    let late_units = maker
        .lot(
            "XS26-002",
            made + Duration::days(10),
            &treatments(&|i| late.contains(&i)),
            Release::Conditional(&["sterility"]),
        )
        .await?;
    maker
        .lot(
            "XS26-003",
            today - Duration::days(30),
            &[false, false, true],
            Release::Conditional(&["karyotype"]),
        )
        .await?;
    maker
        .lot(
            "XS26-004",
            today - Duration::days(40),
            &[false, true],
            Release::Rejected("mycoplasma", "positive"),
        )
        .await?;
    maker
        .lot(
            "XS26-005",
            today - Duration::days(5),
            &[false, false, true],
            Release::Quarantined,
        )
        .await?;
    // Units by treatment, handed out in order: the kit of each dosed participant gets one of
    // its own treatment.
    let mut pool: Vec<(&store::Unit, bool)> = released.iter().map(|u| (u, u.placebo)).collect();
    let mut late_pool: Vec<(&store::Unit, bool)> =
        late_units.iter().map(|u| (u, u.placebo)).collect();
    let take = |pool: &mut Vec<(&store::Unit, bool)>, placebo: bool| {
        let i = pool.iter().position(|(_, p)| *p == placebo)?;
        Some(pool.remove(i).0.clone())
    };
    let mut plan: Vec<(usize, store::Unit)> = Vec::new();
    for (i, d) in dosed.iter().enumerate() {
        let from = if late.contains(&i) {
            &mut late_pool
        } else {
            &mut pool
        };
        let unit = take(from, d.2).ok_or("the demo lot has too few units")?;
        plan.push((i, unit));
    }
    // The shipments: one per site before its first dose (the first site's with the
    // excursion), the late lot's separately; the spares to the first site.
    let people = (&qc, &qp, pharm);
    for (n, site) in study.sites.iter().enumerate() {
        let mine: Vec<&store::Unit> = plan
            .iter()
            .filter(|(i, _)| dosed[*i].1 == site.id && !late.contains(i))
            .map(|(_, u)| u)
            .chain(if n == 0 {
                pool.iter().map(|(u, _)| *u).collect::<Vec<_>>()
            } else {
                Vec::new()
            })
            .collect();
        let first = dosed
            .iter()
            .filter(|d| d.1 == site.id)
            .map(|d| d.3)
            .min()
            .unwrap_or(today);
        ship(
            app,
            study,
            &site.id,
            &mine,
            first - Duration::days(3),
            n == 0,
            people,
        )
        .await?;
    }
    let late_mine: Vec<&store::Unit> = plan
        .iter()
        .filter(|(i, _)| late.contains(i))
        .map(|(_, u)| u)
        .collect();
    if let Some(first) = late.iter().map(|i| dosed[*i].3).min() {
        ship(
            app,
            study,
            &first_site,
            &late_mine,
            first - Duration::days(3),
            false,
            people,
        )
        .await?;
    }
    // At the bedside: the kit scanned, its unit linked and given on day 1.
    for (i, unit) in &plan {
        let (p, _, _, on, kit) = &dosed[*i];
        store
            .link_unit(study, &scope, kit, &unit.label(), pharm)
            .await
            .map_err(err)?;
        give(app, study, (*p, Some(kit)), unit, *on, PHASE2_CELLS, pharm).await?;
    }
    // The 14-day sterility of the late lot: positive, after it was given.
    if let Some(lot) = late_units.first().map(|u| u.lot_id) {
        store
            .record_release_result(
                sid,
                lot,
                "sterility",
                &ResultValue::Word("positive".into()),
                "Demo QC",
                &qc,
            )
            .await
            .map_err(err)?;
    }
    tracing::debug!(
        study = %study.id,
        administrations = plan.len(),
        ms = started.elapsed().as_millis() as u64,
        "demo product seeded"
    );
    Ok(())
}

/// The escalation's doses: one released lot, received at the site before the first dose, and
/// each dose of each cohort given from it (no kits in an open-label study).
pub(super) async fn seed_escalation(app: &App, study: &Study, today: Date) -> Result<(), String> {
    let started = std::time::Instant::now();
    let store = &app.store;
    let sid = &study.id;
    let scope = Scope::Study(sid.clone());
    let (qc, qp) = manufacturer(app).await?;
    let pharm = match store
        .user_by_name("unblinded-pharmacist")
        .await
        .map_err(err)?
    {
        Some(u) => Actor::user(&u),
        None => Actor::system(),
    };
    store
        .load_product_definition(sid, PRODUCT, &qc)
        .await
        .map_err(err)?;
    let mut doses: Vec<(i64, Date, i64)> = Vec::new();
    for (d, _) in store.doses(&scope).await.map_err(err)? {
        let (Some(level), Some(first)) = (
            study.dose_level(&d.level_id),
            first_dose(app, &scope, d.participant_id, today).await?,
        ) else {
            continue;
        };
        for day in &level.dose_days {
            let on = trial::date_of_day(first, *day);
            if on < today {
                doses.push((d.participant_id, on, level.cells.round() as i64));
            }
        }
    }
    doses.sort_by_key(|d| (d.1, d.0));
    let Some(earliest) = doses.first().map(|d| d.1) else {
        return Ok(());
    };
    let mut maker = Maker::new(app, study, (&qc, &qp), 25).await?;
    let units = maker
        .lot(
            "XS25-001",
            earliest - Duration::days(60),
            &vec![false; doses.len() + 2],
            Release::Released,
        )
        .await?;
    let site = study
        .sites
        .first()
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let all: Vec<&store::Unit> = units.iter().collect();
    ship(
        app,
        study,
        &site,
        &all,
        earliest - Duration::days(3),
        false,
        (&qc, &qp, &pharm),
    )
    .await?;
    for ((p, on, cells), unit) in doses.iter().zip(&units) {
        give(app, study, (*p, None), unit, *on, *cells, &pharm).await?;
    }
    tracing::debug!(
        study = %study.id,
        administrations = doses.len(),
        ms = started.elapsed().as_millis() as u64,
        "demo product seeded"
    );
    Ok(())
}
