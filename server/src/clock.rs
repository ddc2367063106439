//! Wall-clock helpers: RFC 3339 timestamps and Unix milliseconds, without a date-time dependency.
//!
//! Only the server reads the clock (core never does). Monotonic timing uses `Instant` directly.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `t` as RFC 3339 in UTC with milliseconds, e.g. `2026-11-25T16:01:02.345Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let ms = unix_ms(t);
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

/// The wall clock of what expires or resets by the calendar (cache entries, budget windows
/// aligned to UTC): the system clock, or a manual one that tests set and advance instead of
/// sleeping (an entry's expiry, a window reset without waiting an hour). Cloning shares it.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    /// Unix milliseconds, set by the test.
    Manual(std::sync::Arc<std::sync::atomic::AtomicI64>),
}

impl Clock {
    /// A manual clock at `unix_ms`.
    pub fn manual(unix_ms: i64) -> Clock {
        Clock::Manual(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
            unix_ms,
        )))
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => unix_ms(SystemTime::now()),
            Clock::Manual(t) => t.load(std::sync::atomic::Ordering::SeqCst),
        }
    }

    /// A manual clock standing at the system clock's current time.
    pub fn starting_now() -> Clock {
        Clock::manual(unix_ms(SystemTime::now()))
    }

    /// Sets a manual clock to `unix_ms` (replays of recorded timestamps; no effect on the system
    /// clock).
    pub fn set(&self, unix_ms: i64) {
        if let Clock::Manual(t) = self {
            t.store(unix_ms, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Moves a manual clock forward by `d`.
    pub fn advance_by(&self, d: std::time::Duration) {
        self.advance(i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    }

    /// Moves a manual clock forward by `ms` (no effect on the system clock).
    pub fn advance(&self, ms: i64) {
        if let Clock::Manual(t) = self {
            t.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// RFC 3339 of a Unix-millisecond instant.
pub fn rfc3339_ms(ms: i64) -> String {
    let t = if ms >= 0 {
        UNIX_EPOCH + std::time::Duration::from_millis(ms.unsigned_abs())
    } else {
        UNIX_EPOCH
    };
    rfc3339(t)
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 → (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20.123Z");
        // A leap day.
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_secs(4_102_444_799);
        assert_eq!(rfc3339(t), "2099-12-31T23:59:59.000Z");
    }

    #[test]
    fn unix_ms_counts_milliseconds() {
        assert_eq!(unix_ms(UNIX_EPOCH + Duration::from_millis(42)), 42);
    }
}
