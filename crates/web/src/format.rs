//! Dates, numbers and durations as each language writes them: `3 Desember 2026, 14.05 WIB` and
//! `1.234.567` in Indonesian, `3 December 2026, 14:05 WIB` and `1,234,567` in English.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;

use crate::Lang;

fn month(lang: Lang, month: u32, short: bool) -> &'static str {
    const SHORT: [&str; 12] = [
        "month_short.jan",
        "month_short.feb",
        "month_short.mar",
        "month_short.apr",
        "month_short.may",
        "month_short.jun",
        "month_short.jul",
        "month_short.aug",
        "month_short.sep",
        "month_short.oct",
        "month_short.nov",
        "month_short.dec",
    ];
    const LONG: [&str; 12] = [
        "month.jan",
        "month.feb",
        "month.mar",
        "month.apr",
        "month.may",
        "month.jun",
        "month.jul",
        "month.aug",
        "month.sep",
        "month.oct",
        "month.nov",
        "month.dec",
    ];
    let i = (month.clamp(1, 12) - 1) as usize;
    lang.t(if short { SHORT[i] } else { LONG[i] })
}

/// Indonesian separates hours and minutes with a full stop, English with a colon.
fn clock(lang: Lang, hour: u32, minute: u32) -> String {
    match lang {
        Lang::Id => format!("{hour:02}.{minute:02}"),
        Lang::En => format!("{hour:02}:{minute:02}"),
    }
}

/// The day, the month (short or long), the year, the time and the zone's abbreviation.
fn written_out(t: DateTime<Utc>, tz: Tz, lang: Lang, short_month: bool) -> String {
    let local = t.with_timezone(&tz);
    format!(
        "{} {} {}, {} {}",
        local.day(),
        month(lang, local.month(), short_month),
        local.year(),
        clock(lang, local.hour(), local.minute()),
        local.format("%Z")
    )
}

/// `3 Desember 2026, 14.05 WIB`: the time in `tz`, named by its abbreviation.
pub fn date_time(t: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    written_out(t, tz, lang, false)
}

/// `3 Des 2026, 14.05 WIB`: a whole date where space is short (the public lists and pages).
pub fn medium_date_time(t: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    written_out(t, tz, lang, true)
}

/// `3 Des, 14.05`: for tables, where the year and zone are those of the page.
pub fn short_date_time(t: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let local = t.with_timezone(&tz);
    format!("{} {}, {}", local.day(), month(lang, local.month(), true), clock(lang, local.hour(), local.minute()))
}

/// `3 Des`: a day on a chart's axis.
pub fn day_month(t: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let local = t.with_timezone(&tz);
    format!("{} {}", local.day(), month(lang, local.month(), true))
}

/// `3 Desember 2026`.
pub fn date(t: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let local = t.with_timezone(&tz);
    format!("{} {} {}", local.day(), month(lang, local.month(), false), local.year())
}

fn group_separator(lang: Lang) -> char {
    match lang {
        Lang::Id => '.',
        Lang::En => ',',
    }
}

fn decimal_separator(lang: Lang) -> char {
    match lang {
        Lang::Id => ',',
        Lang::En => '.',
    }
}

/// `1.234.567` / `1,234,567`.
pub fn number(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(group_separator(lang));
        }
        out.push(c);
    }
    out
}

/// `1.234,5` / `1,234.5`, with `places` decimals (negative values keep their sign).
pub fn decimal(x: f64, places: usize, lang: Lang) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let fixed = format!("{:.*}", places, x.abs());
    let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut out = String::new();
    if x < 0.0 && fixed.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    out.push_str(&number(whole.parse().unwrap_or(0), lang));
    if !fraction.is_empty() {
        out.push(decimal_separator(lang));
        out.push_str(fraction);
    }
    out
}

/// `45%` / `45%` of a share in 0..=1.
pub fn percent(share: f64, lang: Lang) -> String {
    format!("{}%", decimal(share * 100.0, 0, lang))
}

/// `5 jam 12 mnt` / `5 h 12 min` for a length of time in seconds (its sign ignored); the desk's
/// script writes countdowns the same way from the same words.
pub fn duration(seconds: i64, lang: Lang) -> String {
    let minutes = seconds.unsigned_abs() / 60;
    let (hours, minutes) = (minutes / 60, minutes % 60);
    if hours == 0 {
        return lang.fill("time.minutes", &[("m", &minutes.to_string())]);
    }
    lang.fill("time.hours_minutes", &[("h", &number(hours, lang)), ("m", &minutes.to_string())])
}

/// "5 jam 12 mnt lagi" before a deadline, "lewat 2 jam 3 mnt" after it.
pub fn time_left(seconds_left: i64, lang: Lang) -> String {
    let span = duration(seconds_left, lang);
    if seconds_left >= 0 {
        lang.fill("time.left", &[("d", &span)])
    } else {
        lang.fill("time.over", &[("d", &span)])
    }
}

/// "baru saja", "12 mnt lalu", "3 jam lalu", "2 hari lalu": how long ago `t` was at `now`.
pub fn ago(t: DateTime<Utc>, now: DateTime<Utc>, lang: Lang) -> String {
    let minutes = (now - t).num_minutes().max(0);
    match minutes {
        0 => lang.t("time.just_now").to_string(),
        1..=59 => lang.fill("time.minutes_ago", &[("n", &minutes.to_string())]),
        60..=2879 => lang.fill("time.hours_ago", &[("n", &(minutes / 60).to_string())]),
        _ => lang.fill("time.days_ago", &[("n", &number((minutes / 1440) as u64, lang))]),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn dates_read_as_each_language_writes_them() {
        let t = Utc.with_ymd_and_hms(2026, 12, 3, 7, 5, 0).unwrap();
        let jakarta = chrono_tz::Asia::Jakarta;
        assert_eq!(date_time(t, jakarta, Lang::Id), "3 Desember 2026, 14.05 WIB");
        assert_eq!(date_time(t, jakarta, Lang::En), "3 December 2026, 14:05 WIB");
        assert_eq!(date_time(t, chrono_tz::Asia::Makassar, Lang::Id), "3 Desember 2026, 15.05 WITA");
        assert_eq!(date_time(t, chrono_tz::Asia::Jayapura, Lang::Id), "3 Desember 2026, 16.05 WIT");
        assert_eq!(short_date_time(t, jakarta, Lang::Id), "3 Des, 14.05");
        assert_eq!(medium_date_time(t, jakarta, Lang::Id), "3 Des 2026, 14.05 WIB");
        assert_eq!(medium_date_time(t, jakarta, Lang::En), "3 Dec 2026, 14:05 WIB");
        assert_eq!(short_date_time(t, jakarta, Lang::En), "3 Dec, 14:05");
        assert_eq!(date(t, jakarta, Lang::Id), "3 Desember 2026");
        assert_eq!(day_month(t, jakarta, Lang::En), "3 Dec");
        // Late in the UTC day is already tomorrow in Jakarta.
        let late = Utc.with_ymd_and_hms(2026, 8, 16, 20, 0, 0).unwrap();
        assert_eq!(date_time(late, jakarta, Lang::Id), "17 Agustus 2026, 03.00 WIB");
    }

    #[test]
    fn numbers_group_by_thousands() {
        assert_eq!(number(0, Lang::Id), "0");
        assert_eq!(number(999, Lang::Id), "999");
        assert_eq!(number(1_000, Lang::Id), "1.000");
        assert_eq!(number(1_234_567, Lang::Id), "1.234.567");
        assert_eq!(number(1_234_567, Lang::En), "1,234,567");
        assert_eq!(decimal(1234.56, 1, Lang::Id), "1.234,6");
        assert_eq!(decimal(1234.56, 1, Lang::En), "1,234.6");
        assert_eq!(decimal(-0.04, 1, Lang::En), "0.0");
        assert_eq!(decimal(-2.5, 1, Lang::Id), "-2,5");
        assert_eq!(decimal(f64::NAN, 1, Lang::Id), "–");
        assert_eq!(percent(0.456, Lang::Id), "46%");
    }

    #[test]
    fn durations_count_hours_and_minutes() {
        assert_eq!(duration(59, Lang::Id), "0 mnt");
        assert_eq!(duration(5 * 3600 + 12 * 60 + 30, Lang::Id), "5 jam 12 mnt");
        assert_eq!(duration(5 * 3600 + 12 * 60, Lang::En), "5 h 12 min");
        assert_eq!(duration(-(30 * 3600), Lang::En), "30 h 0 min");
        assert_eq!(time_left(3600, Lang::Id), "1 jam 0 mnt lagi");
        assert_eq!(time_left(-120, Lang::Id), "lewat 2 mnt");
        assert_eq!(time_left(-120, Lang::En), "2 min overdue");
    }

    #[test]
    fn ages_count_minutes_then_hours_then_days() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 7, 5, 0).unwrap();
        let before = |minutes: i64| now - chrono::Duration::minutes(minutes);
        assert_eq!(ago(now + chrono::Duration::seconds(5), now, Lang::Id), "baru saja");
        assert_eq!(ago(before(12), now, Lang::Id), "12 mnt lalu");
        assert_eq!(ago(before(3 * 60 + 5), now, Lang::Id), "3 jam lalu");
        assert_eq!(ago(before(47 * 60), now, Lang::En), "47 h ago");
        assert_eq!(ago(before(3 * 1440), now, Lang::Id), "3 hari lalu");
        assert_eq!(ago(before(3 * 1440), now, Lang::En), "3 days ago");
    }
}
