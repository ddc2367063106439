//! Property tests: legacy ↔ structured round trips for every generated valid command, and
//! normalization that never panics, always terminates, and is idempotent on its own output;
//! core's JSON reader and writer (what the wasm module uses) agree with serde_json on every answer.

use chartgate_core::command::*;
use chartgate_core::vocab::*;
use chartgate_core::{
    decode_command, json, normalize_chart_command_payload, parse_legacy, Command, NormalizeFlags,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn price() -> impl Strategy<Value = f64> {
    prop_oneof![
        (1u32..100_000).prop_map(f64::from),
        (1u64..10_000_000_000).prop_map(|c| c as f64 / 100.0),
        (1e-8f64..1e15f64),
    ]
}

fn zoom_amount() -> impl Strategy<Value = f64> {
    prop_oneof![
        (1u32..=100).prop_map(f64::from),
        (1u32..10_000).prop_map(|c| f64::from(c) / 100.0),
        (0.01f64..100.0),
    ]
}

fn pick<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    (0..all.len()).prop_map(move |i| all[i])
}

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.-]{1,12}"
}

fn snake() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,20}"
}

fn symbol() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Z]{1,5}",
        "[A-Z]{1,4}\\.[A-Z]",
        "[A-Z]{2,5}-(USD|USDT|USDC|EUR|BTC|ETH)",
        "\\^[A-Z0-9]{1,6}",
        "[A-Z]{6}=X",
        "[A-Z]{1,3}=F",
    ]
}

fn shape() -> impl Strategy<Value = DrawingShape> {
    prop_oneof![
        (
            pick(DrawingStyle::ALL).prop_filter("level", |s| s.is_level()),
            price()
        )
            .prop_map(|(s, p)| DrawingShape::level(s, p).expect("level style")),
        (
            price(),
            price(),
            proptest::option::of((0u64..4_000_000_000, 0u64..4_000_000_000))
        )
            .prop_map(|(a, b, t)| DrawingShape::Trendline {
                start_price: a,
                end_price: b,
                start_time: t.map(|t| t.0),
                end_time: t.map(|t| t.1),
            }),
        (price(), price())
            .prop_filter("distinct", |(a, b)| a != b)
            .prop_map(|(a, b)| DrawingShape::Fibonacci {
                high: a.max(b),
                low: a.min(b)
            }),
    ]
}

fn kind() -> impl Strategy<Value = CommandKind> {
    prop_oneof![
        (symbol(), proptest::option::of(pick(AssetType::ALL)))
            .prop_map(|(symbol, asset_type)| CommandKind::Load(Load { symbol, asset_type })),
        pick(Timeframe::ALL).prop_map(|value| CommandKind::Timeframe(TimeframeChange { value })),
        (
            pick(IndicatorName::ALL),
            any::<bool>(),
            proptest::option::of(1u32..=500)
        )
            .prop_map(|(name, enabled, p)| CommandKind::Indicator(Indicator {
                name,
                enabled,
                params: p.map(|period| IndicatorParams { period }),
            })),
        (shape(), proptest::option::of(id()))
            .prop_map(|(shape, pattern_id)| CommandKind::Drawing(Drawing { shape, pattern_id })),
        (
            pick(ZoomDirection::ALL),
            proptest::option::of(zoom_amount())
        )
            .prop_map(|(direction, amount)| CommandKind::Zoom(Zoom { direction, amount })),
        pick(ResetTarget::ALL).prop_map(|target| CommandKind::Reset(Reset { target })),
        pick(CrosshairMode::ALL).prop_map(|mode| CommandKind::Crosshair(Crosshair { mode })),
        pick(ChartType::ALL).prop_map(|chart_type| CommandKind::Style(Style { chart_type })),
        prop_oneof![
            (1000u32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| Scroll::Date {
                date: format!("{y:04}-{m:02}-{d:02}")
            }),
            (0u64..100_000_000_000).prop_map(|time| Scroll::Time { time }),
        ]
        .prop_map(CommandKind::Scroll),
        prop_oneof![
            (
                snake(),
                proptest::option::of(id()),
                proptest::option::of(snake()),
                proptest::option::of((0u64..100_000, 0u64..100_000))
            )
                .prop_map(|(t, pid, status, c)| Pattern {
                    pattern_type: Some(t),
                    pattern_id: pid,
                    status,
                    start_candle: c.map(|c| c.0),
                    end_candle: c.map(|c| c.1),
                }),
            (id(), proptest::option::of(snake())).prop_map(|(pid, status)| Pattern {
                pattern_type: None,
                pattern_id: Some(pid),
                status,
                start_candle: None,
                end_candle: None
            }),
        ]
        .prop_map(CommandKind::Pattern),
        prop_oneof![
            pick(ClearTarget::ALL).prop_map(|target| Clear {
                target,
                pattern_id: None
            }),
            id().prop_map(|pid| Clear {
                target: ClearTarget::Pattern,
                pattern_id: Some(pid)
            }),
        ]
        .prop_map(CommandKind::Clear),
    ]
}

/// Arbitrary JSON, including deep nesting, long strings and extreme numbers.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        prop_oneof![Just(1e308), Just(-0.0), Just(5e-324), Just(f64::MAX)].prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        "(LOAD|ADD|SUPPORT|FIBONACCI|DRAW|ZOOM|FOO|TIMEFRAME|PATTERN|CLEAR)(:[A-Za-z0-9.=^-]{0,8}){0,5}".prop_map(Value::String),
        (0usize..3).prop_map(|n| Value::String("Z".repeat(n * 40_000))),
        prop_oneof![Just("type"), Just("payload"), Just("chart_commands"), Just("version"), Just("2.0"), Just("NaN"), Just("Infinity")].prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(12, 256, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("type".to_owned()),
                        Just("payload".to_owned()),
                        Just("legacy".to_owned()),
                        Just("symbol".to_owned()),
                        Just("chart_commands".to_owned()),
                        Just("chart_commands_structured".to_owned()),
                        Just("chart_objects".to_owned()),
                        Just("version".to_owned()),
                        Just("commands".to_owned()),
                        Just("responseText".to_owned()),
                        "[a-z_]{1,10}",
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Payloads that look like what producers send: valid commands in all three shapes, mixed with junk.
fn payload() -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec(kind(), 0..8),
        proptest::collection::vec(kind(), 0..8),
        proptest::option::of(proptest::collection::vec(kind(), 0..6)),
        proptest::collection::vec(any_json(), 0..3),
    )
        .prop_map(|(legacy, structured, objects, junk)| {
            let mut legacy: Vec<Value> = legacy
                .into_iter()
                .map(|k| json!(Command::new(k).expect("kind() is valid").legacy()))
                .collect();
            let mut structured: Vec<Value> = structured
                .into_iter()
                .map(|k| {
                    serde_json::to_value(Command::new(k).expect("kind() is valid"))
                        .expect("serializable")
                })
                .collect();
            for (i, j) in junk.into_iter().enumerate() {
                if i % 2 == 0 {
                    legacy.push(j);
                } else {
                    structured.push(j);
                }
            }
            let mut obj =
                json!({ "chart_commands": legacy, "chart_commands_structured": structured });
            if let Some(cmds) = objects {
                let cmds: Vec<Command> = cmds
                    .into_iter()
                    .map(|k| Command::new(k).expect("kind() is valid"))
                    .collect();
                obj["chart_objects"] =
                    serde_json::to_value(chartgate_core::build_chart_objects(&cmds))
                        .expect("serializable");
            }
            obj
        })
}

fn flags() -> impl Strategy<Value = NormalizeFlags> {
    (any::<bool>(), any::<bool>()).prop_map(|(prefer_structured, structured_objects)| {
        NormalizeFlags {
            prefer_structured,
            structured_objects,
        }
    })
}

/// What core's reader (the wasm module's) and serde_json read from `text`, each printed by
/// serde_json, so the sign of a zero counts; `None` for an error.
fn both_read(text: &str) -> (Option<String>, Option<String>) {
    let print = |v: Value| serde_json::to_string(&v).expect("prints");
    (
        json::parse(text).ok().map(print),
        serde_json::from_str::<Value>(text).ok().map(print),
    )
}

#[test]
fn core_json_reads_hard_numbers_as_serde_json_does() {
    let long_fraction = format!("0.{}1", "0".repeat(2000));
    let halfway = format!("2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125{}e-324", "0".repeat(50));
    // The same digits and one more, far past the 800 digits a reader must keep: above halfway.
    let halfway_then_more = format!("{}1e-324", halfway.trim_end_matches("e-324"));
    for t in [
        "-0",
        "-0.0",
        "0e999999",
        "-0e-99999999999",
        "1e-400",
        "-1e-400",
        "1e400",
        "18446744073709551615",
        "18446744073709551616",
        "-18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "0.30000000000000004",
        "183.95999999999998",
        "2.2250738585072011e-308",
        "4.9406564584124654e-324",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "9007199254740993",
        "123456789012345678901234567890e-10",
        &long_fraction,
        &halfway,
        &halfway_then_more,
    ] {
        let (got, want) = both_read(t);
        assert_eq!(got, want, "{t}");
    }
    // The two cases are what their names say: a tie rounds to even (zero), one more digit up.
    assert_eq!(both_read(&halfway).0.as_deref(), Some("0.0"));
    assert_eq!(both_read(&halfway_then_more).0.as_deref(), Some("5e-324"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn legacy_round_trip_for_every_valid_command(k in kind()) {
        let c = Command::new(k).expect("kind() is valid");
        let parsed = parse_legacy(c.legacy());
        prop_assert!(parsed.issues.is_empty(), "{}: {:?}", c.legacy(), parsed.issues);
        prop_assert_eq!(parsed.commands.len(), 1);
        prop_assert_eq!(&parsed.commands[0], &c);
        prop_assert_eq!(parsed.commands[0].legacy(), c.legacy());
    }

    #[test]
    fn structured_round_trip_for_every_valid_command(k in kind()) {
        let c = Command::new(k).expect("kind() is valid");
        let wire = serde_json::to_value(&c).expect("serializable");
        let d = decode_command(&wire);
        prop_assert!(d.issues.is_empty(), "{wire}: {:?}", d.issues);
        prop_assert_eq!(d.command.as_ref(), Some(&c));
    }

    #[test]
    fn canonical_legacy_is_a_fixed_point(s in "[A-Za-z_]{1,12}(:[A-Za-z0-9.=^_-]{0,10}){0,5}") {
        let once = parse_legacy(&s);
        for c in &once.commands {
            let again = parse_legacy(c.legacy());
            prop_assert_eq!(again.commands.len(), 1);
            prop_assert_eq!(again.commands[0].legacy(), c.legacy());
        }
    }

    #[test]
    fn normalize_never_panics_on_arbitrary_json(v in any_json(), f in flags(), text in proptest::option::of(".{0,20}")) {
        let out = normalize_chart_command_payload(&v, text.as_deref(), f);
        prop_assert!(out.commands.len() <= 3 * chartgate_core::MAX_COMMANDS);
        prop_assert!(serde_json::to_string(&out).is_ok());
    }

    #[test]
    fn core_json_writes_every_answer_as_serde_json_does(p in payload(), junk in any_json(), f in flags(), text in proptest::option::of(".{0,20}")) {
        for v in [&p, &junk] {
            let out = normalize_chart_command_payload(v, text.as_deref(), f);
            prop_assert_eq!(json::to_string(&out).expect("writes"), serde_json::to_string(&out).expect("writes"));
            for s in out.legacy.iter().chain(text.iter()) {
                let parsed = parse_legacy(s);
                prop_assert_eq!(json::to_string(&parsed).expect("writes"), serde_json::to_string(&parsed).expect("writes"));
                let u = chartgate_core::understand(s);
                prop_assert_eq!(json::to_string(&u).expect("writes"), serde_json::to_string(&u).expect("writes"));
            }
        }
    }

    #[test]
    fn normalize_is_idempotent_on_its_own_output(p in payload(), f in flags()) {
        let once = normalize_chart_command_payload(&p, None, f);
        let wire = serde_json::to_value(&once).expect("serializable");
        let twice = normalize_chart_command_payload(&wire, None, f);
        prop_assert_eq!(&twice.legacy, &once.legacy);
        prop_assert_eq!(&twice.structured, &once.structured);
        prop_assert_eq!(&twice.objects, &once.objects);
        prop_assert_eq!(&twice.response_text, &once.response_text);
        prop_assert_eq!(&twice.commands, &once.commands);
        prop_assert_eq!(twice.mode, once.mode);
        prop_assert_eq!(twice.source, once.source);
        prop_assert!(twice.issues.iter().all(|i| !i.is_error()), "{:?}", twice.issues);
    }
}

#[test]
fn normalize_terminates_on_nesting_at_the_parser_limit() {
    // serde_json refuses input nested deeper than 128; everything it accepts must normalize.
    let deep = format!("{}1{}", "[".repeat(127), "]".repeat(127));
    let v: Value = serde_json::from_str(&deep).expect("127 levels parse");
    let out = normalize_chart_command_payload(
        &json!({ "chart_commands": v.clone(), "chart_commands_structured": v.clone(), "chart_objects": v }),
        None,
        NormalizeFlags::default(),
    );
    assert!(out.commands.is_empty());
    assert!(!out.issues.is_empty());
    let too_deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    assert!(serde_json::from_str::<Value>(&too_deep).is_err());
}

#[test]
fn huge_strings_are_bounded_not_parsed() {
    let big = "LOAD:TSLA ".repeat(200_000);
    let out = normalize_chart_command_payload(&json!([big]), None, NormalizeFlags::default());
    assert!(out.commands.is_empty());
    assert_eq!(out.issues[0].code.as_str(), "too_long");
}

proptest! {
    // Fewer cases: long mantissas take core's exact (big-integer) path, and arbitrary JSON holds
    // strings of up to 80,000 characters, both slow in debug builds (chartgate-json's own tests
    // run thousands more on random values).
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn core_json_reads_what_serde_json_reads(v in any_json(), p in payload()) {
        for v in [v, p] {
            for t in [serde_json::to_string(&v).expect("writes"), serde_json::to_string_pretty(&v).expect("writes")] {
                let (got, want) = both_read(&t);
                prop_assert!(want.is_some());
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn core_json_reads_number_tokens_as_serde_json_does(
        neg in any::<bool>(),
        int in "0|[1-9][0-9]{0,30}",
        frac in proptest::option::of("[0-9]{1,30}"),
        exp in proptest::option::of(-420i32..420),
    ) {
        let mut t = format!("{}{int}", if neg { "-" } else { "" });
        if let Some(f) = frac {
            t += &format!(".{f}");
        }
        if let Some(e) = exp {
            t += &format!("e{e}");
        }
        let (got, want) = both_read(&t);
        prop_assert_eq!(got, want, "{}", t);
    }
}
