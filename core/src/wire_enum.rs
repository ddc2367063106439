//! One way to declare an enum whose values travel as strings (issue codes, intents, vocabularies,
//! modes): [`wire_enum!`](crate::wire_enum!) writes the enum, its `ALL` list, its `as_str` and its
//! serde spelling from one literal per value, so the three cannot drift apart. These strings are
//! metric labels, JavaScript error codes and config values: a drift would go unnoticed by the
//! compiler, so one test below ties every such enum's `as_str` to what serde writes.
//!
//! A declarative macro rather than `strum`: what is needed is three lines per enum (a slice, a
//! `match`, a `#[serde(rename)]` per value), and a derive crate would add a proc-macro build and a
//! second source of spelling rules (`serialize_all`) beside serde's.

/// An enum declared with [`wire_enum!`](crate::wire_enum!): a closed list of values, each with one
/// wire spelling.
pub trait WireEnum: Copy + PartialEq + 'static {
    /// Every value, in declaration order.
    fn all() -> &'static [Self];
    /// The wire spelling, the one serde writes.
    fn as_str(self) -> &'static str;
    /// The value spelled `s` exactly, if any.
    fn from_wire(s: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.as_str() == s)
    }
}

/// Declares a string enum: `wire_enum! { /// doc  pub enum Name { A = "a", B = "b" } }`.
///
/// Derives `Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize` (more derives and
/// attributes may be given before `pub enum`); each value is written by serde as its literal.
/// Adds `Name::ALL` (every value, in declaration order), `Name::as_str` and the [`WireEnum`] impl.
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order (metric label sets, docs, config validation).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling, the one serde writes.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }
        }

        impl $crate::wire_enum::WireEnum for $name {
            fn all() -> &'static [Self] {
                $name::ALL
            }
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::WireEnum;
    use crate::normalize::{Mode, Source};
    use crate::vocab::{
        AssetType, ChartType, ClearTarget, CrosshairMode, DrawingStyle, IndicatorName, ResetTarget,
        Timeframe, ZoomDirection,
    };
    use crate::{Intent, IssueCode, Severity};

    fn check<T: WireEnum + serde::Serialize + std::fmt::Debug>(count: &mut usize) {
        let mut seen = std::collections::BTreeSet::new();
        for v in T::all() {
            assert_eq!(
                serde_json::to_value(v).ok(),
                Some(serde_json::Value::from(v.as_str())),
                "{v:?}"
            );
            assert_eq!(T::from_wire(v.as_str()), Some(*v));
            assert!(seen.insert(v.as_str()), "{v:?} spelled twice");
            *count += 1;
        }
        assert!(!seen.is_empty());
    }

    /// Every `wire_enum!` of core is listed here (`grep -rn 'wire_enum!\|token_enum!' core/src`).
    #[test]
    fn every_as_str_is_its_serde_spelling() {
        let mut n = 0;
        check::<IssueCode>(&mut n);
        check::<Severity>(&mut n);
        check::<Intent>(&mut n);
        check::<Mode>(&mut n);
        check::<Source>(&mut n);
        check::<AssetType>(&mut n);
        check::<Timeframe>(&mut n);
        check::<IndicatorName>(&mut n);
        check::<DrawingStyle>(&mut n);
        check::<ZoomDirection>(&mut n);
        check::<ResetTarget>(&mut n);
        check::<CrosshairMode>(&mut n);
        check::<ChartType>(&mut n);
        check::<ClearTarget>(&mut n);
        assert!(n > 90, "{n} values");
        // The list above is complete: one `check` per declaration in core's sources.
        let sources = [
            include_str!("issue.rs"),
            include_str!("normalize.rs"),
            include_str!("understand/mod.rs"),
            include_str!("vocab.rs"),
        ];
        let declared: usize = sources
            .iter()
            .map(|s| {
                s.matches("\nwire_enum! {").count()
                    + s.matches("\ncrate::wire_enum! {").count()
                    + s.matches("\ntoken_enum! {").count()
            })
            .sum();
        assert_eq!(declared, 14, "a string enum was added: check it above");
    }
}
