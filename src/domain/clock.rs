//! The shop's clock: East Africa Time (UTC+3, no daylight saving). Days for reports and
//! filters start at midnight in Nairobi, whatever the server's own time zone is.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

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

#[cfg(test)]
mod tests {
    use super::*;

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
