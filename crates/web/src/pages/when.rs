//! One way of showing an instant on every page: the wall-clock time in a named IANA zone, to
//! the minute, 24-hour, with the zone named — `2026-12-06 17:58 (Asia/Shanghai)`. The store
//! keeps instants in UTC (`2026-11-22T01:29:02.000000Z`); a page shows them in the zone of the
//! site they happened at, or, on a page of the whole study, in the zone of the study's first
//! site ([`study_zone`]). Plain dates (a visit's date) are not instants and stay ISO dates.
//!
//! The zones come from IANA's database bundled into the binary by `jiff`, so a server without
//! `/usr/share/zoneinfo` shows the same times. Nothing here panics: a text that is not an
//! instant is shown as it is, an unknown zone as UTC (and named so).

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The zone of a page about the whole study: the first site's, or UTC.
pub fn study_zone(study: &trial::Study) -> &str {
    study.sites.first().map_or("UTC", |s| s.time_zone.as_str())
}

/// The zone of a site of the study, by id; the study's zone when there is no such site.
pub fn site_zone<'a>(study: &'a trial::Study, site: &str) -> &'a str {
    study
        .sites
        .iter()
        .find(|s| s.id == site)
        .map_or_else(|| study_zone(study), |s| s.time_zone.as_str())
}

/// `at` (an RFC 3339 instant) in `zone`, as pages show instants:
/// `2026-12-06 17:58 (Asia/Shanghai)`. Anything that is not an instant comes back unchanged;
/// an unknown zone is taken as UTC, and the text says `UTC`.
pub fn instant(at: &str, zone: &str) -> String {
    let Ok(ts) = at.trim().parse::<Timestamp>() else {
        return at.to_string();
    };
    let (tz, name) = match TimeZone::get(zone) {
        Ok(tz) => (tz, zone),
        Err(_) => (TimeZone::UTC, "UTC"),
    };
    let local = ts.to_zoned_datetime(tz);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} ({name})",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute()
    )
}

/// [`instant`] as HTML: a `<time>` element whose `datetime` keeps the instant for machines.
/// Both texts are escaped.
pub fn instant_html(at: &str, zone: &str) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        escape(at.trim()),
        escape(&instant(at, zone))
    )
}

/// `text` with every RFC 3339 instant in it (`2026-12-06T09:58:31.123456Z`) shown as
/// [`instant`] shows it, the rest unchanged: for texts written with an instant inside, such as a
/// notification's message or a value in the audit trail.
pub fn instants_in(text: &str, zone: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i + 11 <= bytes.len() {
        let looks = bytes[i..i + 10].iter().enumerate().all(|(k, b)| {
            if k == 4 || k == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        }) && bytes[i + 10] == b'T'
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if looks {
            let end = bytes[i..]
                .iter()
                .position(|b| !(b.is_ascii_digit() || b"-:.TZ+".contains(b)))
                .map_or(bytes.len(), |n| i + n);
            // A sentence's full stop after the instant is not part of it.
            let end = if end > i && bytes[end - 1] == b'.' {
                end - 1
            } else {
                end
            };
            let candidate = &text[i..end];
            if candidate.parse::<Timestamp>().is_ok() {
                out.push_str(&text[copied..i]);
                out.push_str(&instant(candidate, zone));
                copied = end;
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_in_the_sites_zone_with_the_zone_named() {
        assert_eq!(
            instant("2026-12-06T09:58:31.123456Z", "Asia/Shanghai"),
            "2026-12-06 17:58 (Asia/Shanghai)"
        );
        assert_eq!(
            instant("2026-12-06T09:58:31Z", "UTC"),
            "2026-12-06 09:58 (UTC)"
        );
        // 24-hour, never a.m./p.m.
        assert_eq!(
            instant("2026-12-06T22:05:00Z", "Asia/Shanghai"),
            "2026-12-07 06:05 (Asia/Shanghai)"
        );
    }

    #[test]
    fn daylight_saving_time_changes_the_offset_not_the_style() {
        // New York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
        let z = "America/New_York";
        assert_eq!(
            instant("2026-03-08T06:59:00Z", z),
            "2026-03-08 01:59 (America/New_York)"
        );
        assert_eq!(
            instant("2026-03-08T07:00:00Z", z),
            "2026-03-08 03:00 (America/New_York)"
        );
        // The hour repeated in the autumn: the same wall time for two instants an hour apart.
        assert_eq!(
            instant("2026-11-01T05:30:00Z", z),
            "2026-11-01 01:30 (America/New_York)"
        );
        assert_eq!(
            instant("2026-11-01T06:30:00Z", z),
            "2026-11-01 01:30 (America/New_York)"
        );
        // China keeps no daylight saving time.
        assert_eq!(
            instant("2026-07-01T00:00:00Z", "Asia/Shanghai"),
            "2026-07-01 08:00 (Asia/Shanghai)"
        );
    }

    #[test]
    fn across_the_date_line_the_date_changes() {
        let at = "2026-12-31T11:30:00Z";
        assert_eq!(
            instant(at, "Pacific/Kiritimati"),
            "2027-01-01 01:30 (Pacific/Kiritimati)"
        );
        assert_eq!(
            instant(at, "Pacific/Pago_Pago"),
            "2026-12-31 00:30 (Pacific/Pago_Pago)"
        );
        // Samoa skipped 30 December 2011 when it crossed the line: one minute apart, a day
        // and a minute apart on the wall.
        assert_eq!(
            instant("2011-12-30T09:59:00Z", "Pacific/Apia"),
            "2011-12-29 23:59 (Pacific/Apia)"
        );
        assert_eq!(
            instant("2011-12-30T10:00:00Z", "Pacific/Apia"),
            "2011-12-31 00:00 (Pacific/Apia)"
        );
    }

    #[test]
    fn other_texts_and_zones_never_fail() {
        assert_eq!(instant("2026-12-06", "Asia/Shanghai"), "2026-12-06");
        assert_eq!(instant("", "UTC"), "");
        assert_eq!(instant("not a time", "UTC"), "not a time");
        assert_eq!(
            instant("2026-12-06T09:58:00+08:00", "Mars/Olympus"),
            "2026-12-06 01:58 (UTC)"
        );
        assert_eq!(
            instant_html("2026-12-06T09:58:00Z", "Asia/Shanghai"),
            "<time datetime=\"2026-12-06T09:58:00Z\">2026-12-06 17:58 (Asia/Shanghai)</time>"
        );
        assert_eq!(
            instant_html("<b>\"x\"</b>", "UTC"),
            "<time datetime=\"&lt;b&gt;&quot;x&quot;&lt;/b&gt;\">&lt;b&gt;&quot;x&quot;&lt;/b&gt;</time>"
        );
    }

    #[test]
    fn instants_inside_a_text() {
        assert_eq!(
            instants_in(
                "Unblinded at 2026-12-06T10:19:10.971688Z, by Dr Li. Due 2026-12-07T00:00:00Z.",
                "Asia/Shanghai"
            ),
            "Unblinded at 2026-12-06 18:19 (Asia/Shanghai), by Dr Li. Due 2026-12-07 08:00 (Asia/Shanghai)."
        );
        assert_eq!(instants_in("2026-12-06", "UTC"), "2026-12-06");
        assert_eq!(
            instants_in("x2026-12-06T10:00:00Z", "UTC"),
            "x2026-12-06T10:00:00Z"
        );
        assert_eq!(
            instants_in("2026-12-06T99:00:00Z 中文", "UTC"),
            "2026-12-06T99:00:00Z 中文"
        );
        assert_eq!(
            instants_in("新 2026-12-06T10:00:00Z", "UTC"),
            "新 2026-12-06 10:00 (UTC)"
        );
        assert_eq!(instants_in("", "UTC"), "");
    }

    #[test]
    fn the_study_zone_is_the_first_sites() {
        let study = trial::Study::from_toml(include_str!("../../../../studies/xs228-phase2.toml"))
            .expect("the shipped study reads");
        assert_eq!(study_zone(&study), "Asia/Shanghai");
        let last = study.sites.last().unwrap();
        assert_eq!(site_zone(&study, &last.id), "America/New_York");
        assert_eq!(site_zone(&study, "nowhere"), "Asia/Shanghai");
    }
}
