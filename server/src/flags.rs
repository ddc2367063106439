//! Feature flags with percentage rollouts: `PREFER_STRUCTURED_CHART_COMMANDS` and
//! `ENABLE_STRUCTURED_CHART_OBJECTS`.
//!
//! A caller is in a flag's rollout when a stable hash (FNV-1a 64 of `flag name + ":" + subject`)
//! lands in the first `percent` of 100 buckets. The subject is the user id, else the session id.
//! The hash is fixed by this code (not by a library or the process), so moving a flag from 10% to
//! 50% to 100% only adds callers: whoever was in at 10% stays in. Each flag hashes with its own
//! name, so the two cohorts are independent. A caller with neither id gets a flag only at 100%.

use crate::config::FlagsConfig;
use serde::Serialize;

/// Wire name of the structured-first flag.
pub const PREFER_STRUCTURED: &str = "PREFER_STRUCTURED_CHART_COMMANDS";
/// Wire name of the chart-objects flag.
pub const STRUCTURED_OBJECTS: &str = "ENABLE_STRUCTURED_CHART_OBJECTS";

/// A caller's effective flags, as sent in answers and by `GET /api/flags`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
pub struct EffectiveFlags {
    #[serde(rename = "PREFER_STRUCTURED_CHART_COMMANDS")]
    pub prefer_structured: bool,
    #[serde(rename = "ENABLE_STRUCTURED_CHART_OBJECTS")]
    pub structured_objects: bool,
}

/// FNV-1a, 64 bit: tiny, stable across platforms and releases.
fn fnv1a64(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The bucket (0–99) of `subject` for `flag`.
pub fn bucket(flag: &str, subject: &str) -> u8 {
    (fnv1a64(&[flag.as_bytes(), b":", subject.as_bytes()]) % 100) as u8
}

/// Whether `subject` is in a rollout of `percent`.
pub fn in_rollout(flag: &str, percent: u8, subject: Option<&str>) -> bool {
    match (percent, subject) {
        (0, _) => false,
        (p, _) if p >= 100 => true,
        (_, None) => false,
        (p, Some(s)) => bucket(flag, s) < p,
    }
}

/// The effective flags of a caller identified by `subject` (user id, else session id).
pub fn effective(cfg: &FlagsConfig, subject: Option<&str>) -> EffectiveFlags {
    EffectiveFlags {
        prefer_structured: in_rollout(PREFER_STRUCTURED, cfg.prefer_structured_percent, subject),
        structured_objects: in_rollout(STRUCTURED_OBJECTS, cfg.structured_objects_percent, subject),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Vec<String> {
        (0..2000).map(|i| format!("user-{i}")).collect()
    }

    fn share(percent: u8) -> usize {
        ids()
            .iter()
            .filter(|id| in_rollout(PREFER_STRUCTURED, percent, Some(id)))
            .count()
    }

    #[test]
    fn rollout_share_tracks_the_percentage() {
        // Deterministic: fixed ids, fixed hash. The bounds allow for hash unevenness only.
        let at10 = share(10);
        let at50 = share(50);
        assert!((140..=260).contains(&at10), "10% gave {at10}/2000");
        assert!((900..=1100).contains(&at50), "50% gave {at50}/2000");
        assert_eq!(share(100), 2000);
        assert_eq!(share(0), 0);
    }

    #[test]
    fn raising_the_percentage_only_adds_callers() {
        for id in ids() {
            if in_rollout(PREFER_STRUCTURED, 10, Some(&id)) {
                assert!(
                    in_rollout(PREFER_STRUCTURED, 50, Some(&id)),
                    "{id} dropped out at 50%"
                );
            }
        }
    }

    #[test]
    fn buckets_are_stable_values() {
        // Pinned so a change of hash (which would reshuffle live cohorts) fails loudly.
        assert_eq!(fnv1a64(&[b""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        // FNV-1a 64 of "FLAG:subject" mod 100, computed independently (Python).
        assert_eq!(bucket(PREFER_STRUCTURED, "alice"), 65);
        assert_eq!(bucket(PREFER_STRUCTURED, "bob"), 38);
        assert_eq!(bucket(STRUCTURED_OBJECTS, "alice"), 34);
        assert_eq!(bucket(STRUCTURED_OBJECTS, "bob"), 89);
    }

    #[test]
    fn flags_use_independent_cohorts() {
        let differ = ids()
            .iter()
            .filter(|id| {
                in_rollout(PREFER_STRUCTURED, 50, Some(id))
                    != in_rollout(STRUCTURED_OBJECTS, 50, Some(id))
            })
            .count();
        assert!(differ > 500, "only {differ} differ");
    }

    #[test]
    fn anonymous_callers_get_a_flag_only_at_100() {
        assert!(!in_rollout(PREFER_STRUCTURED, 99, None));
        assert!(in_rollout(PREFER_STRUCTURED, 100, None));
    }

    #[test]
    fn serializes_with_the_flag_names() {
        let f = EffectiveFlags {
            prefer_structured: true,
            structured_objects: false,
        };
        let v = serde_json::to_value(f).unwrap_or_default();
        assert_eq!(v[PREFER_STRUCTURED], true);
        assert_eq!(v[STRUCTURED_OBJECTS], false);
    }
}
