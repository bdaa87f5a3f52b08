//! The shop's clock: East Africa Time (UTC+3, no daylight saving). Days for reports and
//! filters start at midnight in Nairobi, whatever the server's own time zone is.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use crate::domain::Error;

pub fn eat() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("UTC+3 is a valid offset")
}

/// A moment as the shop's clock shows it.
pub fn shop_time(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&eat())
}

/// The shop's calendar date at a moment.
pub fn shop_date(at: DateTime<Utc>) -> NaiveDate {
    shop_time(at).date_naive()
}

/// Midnight at the start of `date` in Nairobi.
pub fn day_start(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_local_timezone(eat())
        .single()
        .expect("a fixed offset has one midnight")
        .with_timezone(&Utc)
}

/// A date as people in the shop type it: 25/11/2026 (day first, as in Kenya) or
/// 2026-11-25.
pub fn parse_date(text: &str) -> Result<NaiveDate, crate::domain::Error> {
    let text = text.trim();
    ["%d/%m/%Y", "%Y-%m-%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .ok_or_else(|| crate::domain::Error::invalid("Date", "like 25/11/2026 or 2026-11-25"))
}

/// A range of the shop's days (either end open) whose first day is not after its last.
pub fn check_days(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(), Error> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err(Error::invalid(
            "Dates",
            "the first date is after the second",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_day_first_or_iso() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 5).unwrap();
        for typed in ["05/11/2026", "5/11/2026", " 2026-11-05 "] {
            assert_eq!(parse_date(typed).unwrap(), date, "{typed}");
        }
        for wrong in ["11/25/2026", "2026/11/05", "5 Nov", "31/02/2026"] {
            assert!(parse_date(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn nairobi_days_start_at_21_utc_the_evening_before() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(day_start(date).to_rfc3339(), "2026-11-24T21:00:00+00:00");
        assert_eq!(shop_date(day_start(date)), date);
        assert_eq!(
            shop_date(day_start(date) - chrono::Duration::seconds(1)),
            date.pred_opt().unwrap()
        );
    }
}
