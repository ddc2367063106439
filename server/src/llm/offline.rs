//! The embedded `offline` provider: answers from core's understanding of the request with a plain
//! templated sentence. No network, no key, no cost; the default when no model is configured.
//!
//! The sentences are honest about what they cannot do: a chart change core understood is
//! reported as done, but a price, an analysis or an explanation is never answered as if it had
//! been: the sentence says what was applied to the chart and that live answers need a model
//! provider. [`describe_fast_path`] is the text of the chart-control fast path (no provider).

use super::{BoxFuture, Completion, Delta, DeltaStream, ModelRequest, Provider, ProviderError};
use crate::config::Usage;
use chartgate_core::command::{CommandKind, DrawingShape};
use chartgate_core::{Command, Intent, Understanding};

/// The model name reported for offline answers.
pub const OFFLINE_MODEL: &str = "offline";

/// What to set to get live answers (named in every "needs a model" sentence).
const HOW_TO_CONFIGURE: &str = "set CHARTGATE_OPENAI_API_KEY, or CHARTGATE_PROVIDER=openai with \
CHARTGATE_OPENAI_BASE_URL for a local model";

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
        let text = describe_offline(&request.understanding);
        Box::pin(async move {
            Ok(Completion {
                text,
                tool_calls: Vec::new(),
                usage: Usage::default(),
                finish_reason: Some("stop".to_owned()),
            })
        })
    }

    /// The same sentence as `complete`, a word at a time.
    fn stream<'a>(
        &'a self,
        _model: &'a str,
        request: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<DeltaStream, ProviderError>> {
        let text = describe_offline(&request.understanding);
        Box::pin(async move {
            let mut deltas: Vec<Result<Delta, ProviderError>> = words(&text)
                .map(|w| Ok(Delta::Text(w.to_owned())))
                .collect();
            deltas.push(Ok(Delta::Usage(Usage::default())));
            deltas.push(Ok(Delta::Finish("stop".to_owned())));
            let stream: DeltaStream = Box::pin(futures_util::stream::iter(deltas));
            Ok(stream)
        })
    }
}

/// `text` in word-sized pieces that concatenate back to it (each keeps its trailing space).
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(' ')
}

/// The fast path's sentence: core applied these chart commands, nothing else was asked.
pub fn describe_fast_path(u: &Understanding) -> String {
    if u.commands.is_empty() {
        return "I could not find a chart command I can apply in that request. Try, for example, \"show TSLA on the daily with RSI\".".to_owned();
    }
    let parts: Vec<String> = u.commands.iter().map(phrase).collect();
    format!("Done: {}.", join_english(&parts))
}

/// The offline provider's sentence: what was applied to the chart, and that the question itself
/// needs a model provider.
pub fn describe_offline(u: &Understanding) -> String {
    if u.intent == Intent::ChartCommand {
        return describe_fast_path(u);
    }
    let topic = match u.intent {
        Intent::PriceOnly => "live prices",
        Intent::TechnicalAnalysis => "technical analysis",
        Intent::NewsSummary => "news summaries",
        Intent::MarketOverview => "market overviews",
        Intent::Educational => "explanations",
        Intent::GeneralQuery | Intent::ChartCommand => "answers to general questions",
    };
    if u.commands.is_empty() {
        return format!(
            "Giving {topic} needs a language model, and none is configured, so I cannot answer that here ({HOW_TO_CONFIGURE}). I can still drive the chart: try \"show TSLA on the daily with RSI\"."
        );
    }
    let parts: Vec<String> = u.commands.iter().map(phrase).collect();
    let done = join_english(&parts);
    let mut done_cap = done.clone();
    if let Some(first) = done_cap.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    format!(
        "{done_cap} on the chart. Giving {topic} needs a language model, and none is configured, so I cannot answer the rest of your question here ({HOW_TO_CONFIGURE})."
    )
}

fn phrase(c: &Command) -> String {
    match c.kind() {
        CommandKind::Load(l) => format!("loaded {}", l.symbol),
        CommandKind::Timeframe(t) => format!("switched to the {} timeframe", t.value.as_str()),
        CommandKind::Indicator(i) => {
            let verb = if i.enabled { "added" } else { "removed" };
            match &i.params {
                Some(p) => format!("{verb} {} ({})", i.name.as_str(), p.period),
                None => format!("{verb} {}", i.name.as_str()),
            }
        }
        CommandKind::Drawing(d) => match &d.shape {
            DrawingShape::Trendline { .. } => "drew a trend line".to_owned(),
            DrawingShape::Fibonacci { high, low } => {
                format!("drew a Fibonacci retracement from {high} to {low}")
            }
            shape => format!(
                "marked {} at {}",
                shape.style().as_str().replace('_', " "),
                shape.level_price().unwrap_or_default()
            ),
        },
        CommandKind::Zoom(z) => format!("zoomed {}", z.direction.as_str()),
        CommandKind::Reset(r) => format!("reset the {}", r.target.as_str()),
        CommandKind::Crosshair(x) => format!("set the crosshair {}", x.mode.as_str()),
        CommandKind::Style(s) => format!(
            "switched to a {} chart",
            s.chart_type.as_str().replace('_', " ")
        ),
        CommandKind::Clear(x) => format!("cleared {}", x.target.as_str()),
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
    use futures_util::StreamExt;

    fn understanding(intent: Intent, legacy: &[&str]) -> Understanding {
        let parsed = parse_legacy_list(legacy);
        assert!(parsed.issues.is_empty(), "{:?}", parsed.issues);
        Understanding::new(intent, parsed.commands)
    }

    fn request(u: Understanding) -> ModelRequest {
        ModelRequest {
            system_prompt: String::new(),
            history: vec![],
            query: "q".into(),
            chart_context: None,
            understanding: u,
            max_completion_tokens: 10,
            temperature: None,
        }
    }

    #[test]
    fn describes_commands_in_one_sentence() {
        let u = understanding(
            Intent::ChartCommand,
            &["LOAD:TSLA", "TIMEFRAME:1W", "INDICATOR:SMA:ON:50"],
        );
        assert_eq!(
            describe_fast_path(&u),
            "Done: loaded TSLA, switched to the 1W timeframe and added SMA (50)."
        );
    }

    #[test]
    fn levels_read_naturally() {
        let u = understanding(Intent::ChartCommand, &["STOPLOSS:140", "ZOOM:IN"]);
        assert_eq!(
            describe_fast_path(&u),
            "Done: marked stop loss at 140 and zoomed in."
        );
    }

    #[test]
    fn a_price_question_is_never_answered_as_done() {
        let u = understanding(Intent::PriceOnly, &["LOAD:TSLA"]);
        let text = describe_offline(&u);
        assert!(!text.contains("Done"), "{text}");
        assert!(text.starts_with("Loaded TSLA on the chart."), "{text}");
        assert!(
            text.contains("Giving live prices needs a language model"),
            "{text}"
        );
        assert!(text.contains("CHARTGATE_OPENAI_API_KEY"), "{text}");
    }

    #[test]
    fn an_analysis_without_commands_says_a_model_is_needed() {
        let u = understanding(Intent::TechnicalAnalysis, &[]);
        let text = describe_offline(&u);
        assert!(
            text.starts_with("Giving technical analysis needs a language model"),
            "{text}"
        );
        assert!(!text.contains("Done"), "{text}");
    }

    #[tokio::test]
    async fn complete_and_stream_say_the_same_and_cost_nothing() {
        let req = request(understanding(Intent::PriceOnly, &["LOAD:AAPL"]));
        let c = OfflineProvider.complete("offline", &req).await.unwrap();
        assert_eq!(c.usage, Usage::default());
        let mut s = OfflineProvider.stream("offline", &req).await.unwrap();
        let mut text = String::new();
        let mut deltas = 0;
        let mut finish = None;
        while let Some(d) = s.next().await {
            match d.unwrap() {
                Delta::Text(t) => {
                    text.push_str(&t);
                    deltas += 1;
                }
                Delta::Usage(u) => assert_eq!(u, Usage::default()),
                Delta::Finish(f) => finish = Some(f),
                Delta::ToolCall { .. } => panic!("no tool calls offline"),
            }
        }
        assert_eq!(text, c.text);
        assert!(deltas > 3, "streamed in words, got {deltas} deltas");
        assert_eq!(finish.as_deref(), Some("stop"));
    }
}
