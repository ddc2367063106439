//! The embedded `offline` provider: answers from core's understanding of the request with a plain
//! templated sentence. No network, no key, no cost; the default when no model is configured, and
//! the text of the chart-control fast path.

use super::{BoxFuture, Completion, ModelRequest, Provider, ProviderError};
use crate::config::Usage;
use chartgate_core::command::{CommandKind, DrawingShape};
use chartgate_core::{Command, Intent, Understanding};

/// The model name reported for offline answers.
pub const OFFLINE_MODEL: &str = "offline";

/// The offline provider.
#[derive(Clone, Copy, Debug, Default)]
pub struct OfflineProvider;

impl Provider for OfflineProvider {
    fn name(&self) -> &'static str {
        OFFLINE_MODEL
    }

    fn complete<'a>(
        &'a self,
        _model: &'a str,
        request: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        let text = describe(&request.understanding);
        Box::pin(async move {
            Ok(Completion {
                text,
                tool_calls: Vec::new(),
                usage: Usage::default(),
            })
        })
    }
}

/// The sentence for an understanding: what was done to the chart, or why nothing more can be said.
pub fn describe(u: &Understanding) -> String {
    if !u.commands.is_empty() {
        let parts: Vec<String> = u.commands.iter().map(phrase).collect();
        return format!("Done: {}.", join_english(&parts));
    }
    let topic = match u.intent {
        Intent::ChartCommand => {
            return "I could not find a chart command I can apply in that request. Try, for example, \"show TSLA on the daily with RSI\".".to_owned()
        }
        Intent::PriceOnly => "price questions",
        Intent::TechnicalAnalysis => "technical analysis",
        Intent::NewsSummary => "news summaries",
        Intent::MarketOverview => "market overviews",
        Intent::Educational => "explanations",
        Intent::GeneralQuery => "general questions",
    };
    format!(
        "No language model is configured, so I cannot help with {topic} right now. I can still drive the chart: try \"show TSLA on the daily with RSI\"."
    )
}

fn phrase(c: &Command) -> String {
    match c.kind() {
        CommandKind::Load(l) => format!("loaded {}", l.symbol),
        CommandKind::Timeframe(t) => format!("switched to the {} timeframe", t.value.as_wire()),
        CommandKind::Indicator(i) => {
            let verb = if i.enabled { "added" } else { "removed" };
            match &i.params {
                Some(p) => format!("{verb} {} ({})", i.name.as_wire(), p.period),
                None => format!("{verb} {}", i.name.as_wire()),
            }
        }
        CommandKind::Drawing(d) => match &d.shape {
            DrawingShape::Trendline { .. } => "drew a trend line".to_owned(),
            DrawingShape::Fibonacci { high, low } => {
                format!("drew a Fibonacci retracement from {high} to {low}")
            }
            shape => format!(
                "marked {} at {}",
                shape.style().as_wire().replace('_', " "),
                shape.level_price().unwrap_or_default()
            ),
        },
        CommandKind::Zoom(z) => format!("zoomed {}", z.direction.as_wire()),
        CommandKind::Reset(r) => format!("reset the {}", r.target.as_wire()),
        CommandKind::Crosshair(x) => format!("set the crosshair {}", x.mode.as_wire()),
        CommandKind::Style(s) => format!(
            "switched to a {} chart",
            s.chart_type.as_wire().replace('_', " ")
        ),
        CommandKind::Clear(x) => format!("cleared {}", x.target.as_wire()),
        _ => format!("applied {}", c.legacy()),
    }
}

fn join_english(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chartgate_core::parse_legacy_list;

    fn understanding(intent: Intent, legacy: &[&str]) -> Understanding {
        let parsed = parse_legacy_list(legacy);
        assert!(parsed.issues.is_empty(), "{:?}", parsed.issues);
        Understanding::new(intent, parsed.commands)
    }

    #[test]
    fn describes_commands_in_one_sentence() {
        let u = understanding(
            Intent::ChartCommand,
            &["LOAD:TSLA", "TIMEFRAME:1W", "INDICATOR:SMA:ON:50"],
        );
        assert_eq!(
            describe(&u),
            "Done: loaded TSLA, switched to the 1W timeframe and added SMA (50)."
        );
    }

    #[test]
    fn says_no_model_is_configured_for_questions() {
        let u = understanding(Intent::TechnicalAnalysis, &[]);
        let text = describe(&u);
        assert!(text.contains("No language model is configured"), "{text}");
        assert!(text.contains("technical analysis"), "{text}");
    }

    #[test]
    fn levels_read_naturally() {
        let u = understanding(Intent::ChartCommand, &["STOPLOSS:140", "ZOOM:IN"]);
        assert_eq!(describe(&u), "Done: marked stop loss at 140 and zoomed in.");
    }

    #[tokio::test]
    async fn provider_costs_nothing() {
        let u = understanding(Intent::ChartCommand, &["LOAD:AAPL"]);
        let req = ModelRequest {
            system_prompt: String::new(),
            history: vec![],
            query: "show apple".into(),
            chart_context: None,
            understanding: u,
            max_completion_tokens: 10,
            temperature: None,
        };
        let c = OfflineProvider.complete("offline", &req).await.unwrap();
        assert_eq!(c.usage, Usage::default());
        assert_eq!(c.text, "Done: loaded AAPL.");
    }
}
