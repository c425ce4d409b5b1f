use proptest::prelude::*;
use time::macros::{datetime, offset};

use super::*;

fn options() -> LoggerOptions {
    LoggerOptions {
        limit_c: -150.0,
        max_gap: Duration::minutes(15),
        offset: None,
        date_order: None,
    }
}

#[test]
fn iso_times_with_zones_are_read_in_utc() {
    let text = "Timestamp,Temperature (°C)\n\
                2026-03-02T08:00:00+08:00,-180.5\n\
                2026-03-02T08:05:00+08:00,-180.1\n\
                2026-03-02T00:10:00Z,-179.9\n\
                2026-03-01 19:15:00-05:00,-179.0\n";
    let file = read_logger_csv(text, &options()).unwrap();
    assert_eq!(file.time_columns, TimeColumns::DateTime);
    assert!(!file.fahrenheit);
    assert_eq!(file.offset, None);
    let times: Vec<_> = file.readings.iter().map(|r| r.at).collect();
    assert_eq!(
        times,
        [
            datetime!(2026-03-02 00:00 UTC),
            datetime!(2026-03-02 00:05 UTC),
            datetime!(2026-03-02 00:10 UTC),
            datetime!(2026-03-02 00:15 UTC),
        ]
    );
    assert_eq!(file.readings[0].celsius, -180.5);
    assert_eq!(file.readings[3].line, 5);
    assert!(!file.needs_decision());
}

#[test]
fn a_preamble_zone_and_day_first_dates_give_an_excursion_with_start_end_and_peak() {
    let text = "Logger serial,DS-20391\r\n\
                Model,Cryo shipper probe\r\n\
                Time zone: UTC+08:00\r\n\
                \r\n\
                Date,Time,Temperature (°C)\r\n\
                13/03/2026,09:00:00,-172.0\r\n\
                13/03/2026,09:05:00,-149.0\r\n\
                13/03/2026,09:10:00,-141.5\r\n\
                13/03/2026,09:15:00,-146.0\r\n\
                13/03/2026,09:20:00,-150.0\r\n\
                13/03/2026,09:25:00,-171.0\r\n";
    let file = read_logger_csv(text, &options()).unwrap();
    assert_eq!(file.time_columns, TimeColumns::DateAndTime);
    assert_eq!(file.offset, Some(offset!(+8)));
    assert_eq!(file.readings[0].at, datetime!(2026-03-13 01:00 UTC));
    assert_eq!(
        file.excursions,
        [Excursion {
            start: datetime!(2026-03-13 01:05 UTC),
            end: Some(datetime!(2026-03-13 01:20 UTC)),
            duration: Duration::minutes(15),
            peak_c: -141.5,
            peak_at: datetime!(2026-03-13 01:10 UTC),
            line: 7,
        }]
    );
    assert!(file.gaps.is_empty());
    assert!(file.needs_decision());
}

#[test]
fn semicolons_decimal_commas_fahrenheit_unix_seconds_and_a_gap() {
    // −238 °F is −150 °C: at the limit, not above it.
    let text = "Unix time;Temp (°F);Battery\n\
                1772438400;-292,0;98\n\
                1772438700;-238;98\n\
                1772440500;-291,5;97\n";
    let file = read_logger_csv(text, &options()).unwrap();
    assert_eq!(file.time_columns, TimeColumns::UnixSeconds);
    assert!(file.fahrenheit);
    assert!((file.readings[0].celsius - (-180.0)).abs() < 1e-9);
    assert!((file.readings[1].celsius - (-150.0)).abs() < 1e-9);
    assert!(file.excursions.is_empty());
    assert_eq!(
        file.gaps,
        [Gap {
            from: OffsetDateTime::from_unix_timestamp(1_772_438_700).unwrap(),
            to: OffsetDateTime::from_unix_timestamp(1_772_440_500).unwrap(),
            line: 4,
        }]
    );
    assert!(file.needs_decision());
}

#[test]
fn an_excursion_still_open_at_the_end_lasts_to_the_last_reading() {
    let text = "timestamp,temp_c\n\
                2026-03-02T00:00Z,-160\n\
                2026-03-02T00:05Z,-140\n\
                2026-03-02T00:10Z,-120\n";
    let file = read_logger_csv(text, &options()).unwrap();
    let e = file.excursions[0];
    assert_eq!(e.end, None);
    assert_eq!(e.duration, Duration::minutes(5));
    assert_eq!(e.peak_c, -120.0);
}

#[test]
fn a_time_without_a_zone_needs_one() {
    let text = "Date/Time,Temperature\n2026-03-02 08:00,-170\n";
    let err = read_logger_csv(text, &options()).unwrap_err();
    assert_eq!((err.line, err.column), (2, Some(1)));
    assert!(err.message.contains("no time zone"), "{err}");
    let given = LoggerOptions {
        offset: Some(offset!(-5)),
        ..options()
    };
    let file = read_logger_csv(text, &given).unwrap();
    assert_eq!(file.readings[0].at, datetime!(2026-03-02 13:00 UTC));
    assert_eq!(file.offset, Some(offset!(-5)));
    // A column named for UTC needs nothing more.
    let utc = "Time (UTC),Temperature\n2026-03-02 08:00,-170\n";
    let file = read_logger_csv(utc, &options()).unwrap();
    assert_eq!(file.readings[0].at, datetime!(2026-03-02 08:00 UTC));
}

#[test]
fn slashed_dates_that_could_go_either_way_need_the_order() {
    let text = "Date,Time,Temp (C)\n03/04/2026,10:00,-170\n03/04/2026,10:05,-170\n";
    let given_zone = LoggerOptions {
        offset: Some(UtcOffset::UTC),
        ..options()
    };
    let err = read_logger_csv(text, &given_zone).unwrap_err();
    assert_eq!(err.line, 2);
    assert!(err.message.contains("day/month or month/day"), "{err}");
    let us = LoggerOptions {
        date_order: Some(DateOrder::MonthFirst),
        ..given_zone
    };
    let file = read_logger_csv(text, &us).unwrap();
    assert_eq!(file.readings[0].at, datetime!(2026-03-04 10:00 UTC));
    // A second part over 12 settles it.
    let text = "Date,Time,Temp (C)\n03/04/2026,10:00,-170\n03/25/2026,10:05,-170\n";
    let file = read_logger_csv(text, &given_zone).unwrap();
    assert_eq!(file.readings[0].at, datetime!(2026-03-04 10:00 UTC));
}

#[test]
fn errors_name_the_line_and_column() {
    let cases = [
        (
            "Timestamp,Temperature\n2026-03-02T00:00Z,-170\n2026-03-02T00:00Z,-170\n",
            3,
            Some(1),
            "time order",
        ),
        (
            "Timestamp,Temperature\n2026-03-02T00:00Z,cold\n",
            2,
            Some(2),
            "not a temperature",
        ),
        (
            "Timestamp,Temperature\n2026-03-02T00:00Z,-300\n",
            2,
            Some(2),
            "outside",
        ),
        (
            "Timestamp,Temperature\n2026-02-30T00:00Z,-170\n",
            2,
            Some(1),
            "not a calendar date",
        ),
        (
            "Timestamp,Temperature\n2026-03-02T25:00Z,-170\n",
            2,
            Some(1),
            "not a time",
        ),
        (
            "Timestamp,Temperature\n-170\n",
            2,
            None,
            "values where the header",
        ),
        ("Serial,1\nValue,2\n", 1, None, "no header row"),
        ("Timestamp,Temperature\n", 1, None, "no readings"),
        (
            "Time zone: Shanghai\nTimestamp,Temperature\n2026-03-02T00:00,-170\n",
            1,
            None,
            "not an offset",
        ),
        (
            "Timestamp,Temperature\n\"2026-03-02T00:00Z,-170\n",
            2,
            Some(1),
            "not closed",
        ),
    ];
    for (text, line, column, says) in cases {
        let err = read_logger_csv(text, &options()).unwrap_err();
        assert_eq!((err.line, err.column), (line, column), "{text:?}: {err}");
        assert!(err.message.contains(says), "{text:?}: {err}");
    }
    let shown = read_logger_csv(
        "Timestamp,Temperature\n2026-03-02T00:00Z,cold\n",
        &options(),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(shown, "line 2, column 2: \"cold\" is not a temperature");
}

proptest! {
    /// Every reading above the limit lies in exactly one excursion, and none below it starts
    /// or prolongs one.
    #[test]
    fn excursions_cover_exactly_the_readings_above_the_limit(
        temps in proptest::collection::vec(-200.0f64..-100.0, 1..60),
        limit in -180.0f64..-120.0,
    ) {
        let start = datetime!(2026-01-01 00:00 UTC);
        let readings: Vec<Reading> = temps
            .iter()
            .enumerate()
            .map(|(i, &celsius)| Reading { at: start + Duration::minutes(5 * i as i64), celsius, line: i + 2 })
            .collect();
        let found = excursions(&readings, limit);
        for r in &readings {
            let inside = found
                .iter()
                .filter(|e| r.at >= e.start && e.end.is_none_or(|end| r.at < end))
                .count();
            prop_assert_eq!(inside, usize::from(r.celsius > limit), "{:?}", r);
        }
        for e in &found {
            prop_assert!(e.peak_c > limit);
            prop_assert!(e.end.is_none_or(|end| end - e.start == e.duration));
        }
    }

    /// No text makes the reader panic.
    #[test]
    fn fuzz_logger_csv(text in "(?s)\\PC{0,400}") {
        let _ = read_logger_csv(&text, &options());
    }

    /// Nor does text shaped like a logger file with faults anywhere.
    #[test]
    fn fuzz_logger_csv_shaped(rows in proptest::collection::vec(
        ("[0-9/ .:TZ+-]{0,25}", "[-0-9.,e]{0,8}"), 0..20),
        semicolon in any::<bool>(),
    ) {
        let sep = if semicolon { ';' } else { ',' };
        let mut text = format!("Time zone: UTC+01:00\nDate/Time{sep}Temp (°C)\n");
        for (t, v) in rows {
            text.push_str(&format!("{t}{sep}{v}\n"));
        }
        let _ = read_logger_csv(&text, &options());
    }
}
