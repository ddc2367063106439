//! Intent scoring: whether the request is a question, the cue words no command rule claimed, and
//! the first-rule-wins classification described under "Intent" in the parent module.

use super::lexicon::{is_chart_verb, is_concept_word, is_move_word};
use super::{Claim, Cues, Intent, Reader};

impl<'a> Reader<'a> {
    // ---------------------------------------------------------------- intent

    /// Whether the request asks something (rather than asking for chart control).
    pub(super) fn is_question(&self) -> bool {
        let ends_with_mark = self.text.trim_end().ends_with('?');
        let starts_with_question = words!(
            "what"
                | "whats"
                | "how"
                | "hows"
                | "why"
                | "when"
                | "where"
                | "who"
                | "whos"
                | "which"
                | "is"
                | "are"
                | "was"
                | "were"
                | "does"
                | "do"
                | "did"
                | "should"
                | "will"
                | "would"
                | "could"
                | "can"
                | "has"
                | "have"
                | "any"
        )
        .contains(self.w(0));
        (ends_with_mark || starts_with_question) && !self.is_request()
    }

    /// "can you show me Tesla", "please add RSI", "show me the weekly?".
    pub(super) fn is_request(&self) -> bool {
        let mut k = 0;
        while words!("please" | "pls" | "plz" | "hey" | "hi" | "ok" | "okay" | "so" | "yo")
            .contains(self.w(k))
        {
            k += 1;
        }
        if words!("can" | "could" | "would" | "will").contains(self.w(k))
            && words!("you" | "u" | "i" | "we" | "ya").contains(self.w(k + 1))
        {
            k += 2;
            if self.w(k) == "please" {
                k += 1;
            }
        }
        is_chart_verb(self.w(k))
    }

    pub(super) fn classify(&self) -> Intent {
        let question = self.is_question();
        let has_ticker = self.loads > 0;
        let only_indices = has_ticker && self.index_loads == self.loads;
        let mut cues = Cues::default();
        for i in 0..self.n() {
            match self.claims[i] {
                Claim::Free => self.cue_at(i, &mut cues, has_ticker, question),
                Claim::Indicator => {
                    cues.concept = true;
                    cues.technical |= question;
                }
                Claim::Level => cues.technical |= question,
                Claim::Name | Claim::Other => {}
            }
        }
        let concept = cues.concept || (cues.state_concept && !cues.edu_weak_the);
        if !has_ticker && (cues.edu_strong || (cues.edu_weak && concept)) {
            return Intent::Educational;
        }
        if cues.news {
            return Intent::NewsSummary;
        }
        if cues.technical {
            return Intent::TechnicalAnalysis;
        }
        if cues.price || (cues.doing && has_ticker && !only_indices && !cues.market) {
            return Intent::PriceOnly;
        }
        if cues.market || (question && only_indices) {
            return Intent::MarketOverview;
        }
        if !self.found.is_empty() && !question {
            return Intent::ChartCommand;
        }
        Intent::GeneralQuery
    }

    /// Records the cues of the free word at `i`.
    pub(super) fn cue_at(&self, i: usize, cues: &mut Cues, has_ticker: bool, question: bool) {
        let (w, w1, prev) = (self.w(i), self.w(i + 1), self.before(i, 1));
        let first = self.w(0);
        let earlier = |word: &str| self.words[..i].iter().any(|x| x.lower == word);
        match w {
            // News.
            word if words!(
                "news"
                    | "headline"
                    | "headlines"
                    | "earnings"
                    | "announce"
                    | "announced"
                    | "announcement"
                    | "announcements"
                    | "report"
                    | "reports"
                    | "reported"
                    | "happened"
                    | "happening"
                    | "catalyst"
                    | "catalysts"
                    | "lawsuit"
                    | "merger"
                    | "acquisition"
                    | "acquire"
                    | "acquired"
                    | "acquires"
                    | "ipo"
                    | "guidance"
                    | "downgrade"
                    | "downgraded"
                    | "upgrade"
                    | "upgraded"
                    | "rumor"
                    | "rumors"
                    | "rumour"
                    | "rumours"
                    | "filing"
                    | "filings"
                    | "fda"
                    | "recall"
                    | "layoffs"
            )
            .contains(word) =>
            {
                cues.news = true
            }
            "press" if w1 == "release" => cues.news = true,
            "going" if w1 == "on" => cues.news = true,
            "why" if self.words[i..].iter().any(|x| is_move_word(x.lower)) => cues.news = true,
            // Technical analysis.
            word if words!(
                "support"
                    | "resistance"
                    | "trend"
                    | "trends"
                    | "trending"
                    | "uptrend"
                    | "downtrend"
                    | "trendline"
                    | "trendlines"
                    | "breakout"
                    | "breakouts"
                    | "breakdown"
                    | "pattern"
                    | "patterns"
                    | "overbought"
                    | "oversold"
                    | "level"
                    | "levels"
                    | "analyze"
                    | "analyse"
                    | "analysis"
                    | "analyzing"
                    | "technical"
                    | "technicals"
                    | "ta"
                    | "buy"
                    | "sell"
                    | "hold"
                    | "entry"
                    | "exit"
                    | "target"
                    | "targets"
                    | "stop"
                    | "setup"
                    | "momentum"
                    | "divergence"
                    | "signal"
                    | "signals"
                    | "bullish"
                    | "bearish"
                    | "outlook"
                    | "forecast"
                    | "predict"
                    | "prediction"
                    | "reversal"
                    | "consolidation"
                    | "consolidating"
                    | "channel"
                    | "wedge"
                    | "triangle"
                    | "shoulders"
                    | "fibonacci"
                    | "fib"
                    | "retracement"
                    | "crossover"
                    | "pullback"
                    | "bounce"
            )
            .contains(word) =>
            {
                cues.technical = true;
                if words!(
                    "overbought"
                        | "oversold"
                        | "pattern"
                        | "patterns"
                        | "divergence"
                        | "fibonacci"
                        | "retracement"
                        | "crossover"
                        | "wedge"
                        | "triangle"
                        | "shoulders"
                        | "momentum"
                        | "stop"
                        | "breakout"
                )
                .contains(w)
                {
                    cues.concept = true;
                } else if words!(
                    "support"
                        | "resistance"
                        | "trend"
                        | "trends"
                        | "level"
                        | "levels"
                        | "target"
                        | "channel"
                )
                .contains(w)
                {
                    cues.state_concept = true;
                }
            }
            "break" if words!("out" | "above" | "below" | "down").contains(w1) => {
                cues.technical = true
            }
            "double" if matches!(w1, "top" | "bottom") => {
                cues.technical = true;
                cues.concept = true;
            }
            "cross" if matches!(prev, "golden" | "death") => {
                cues.technical = true;
                cues.concept = true;
            }
            // Price.
            word if words!("price" | "prices" | "priced" | "pricing").contains(word) => match w1 {
                "action" | "target" | "targets" => cues.technical = true,
                word if words!("chart" | "charts" | "graph" | "scale" | "axis").contains(word) => {}
                _ => cues.price = true,
            },
            word if words!("quote" | "quotes" | "worth" | "cost" | "costs").contains(word) => {
                cues.price = true
            }
            "much" if prev == "how" => cues.price = true,
            "trading"
                if matches!(
                    w1,
                    "" | "at" | "now" | "today" | "currently" | "right" | "around"
                ) =>
            {
                cues.price = true
            }
            "at" if question && has_ticker && i + 1 == self.n() => cues.price = true,
            "doing" => cues.doing = true,
            "high" | "highs" | "low" | "lows"
                if words!("time" | "week" | "day" | "ath").contains(prev) =>
            {
                cues.price = true
            }
            "ath" => cues.price = true,
            // Market.
            "market" | "markets"
                if !words!(
                    "cap" | "capitalization" | "order" | "orders" | "maker" | "makers" | "value"
                )
                .contains(w1) =>
            {
                cues.market = true
            }
            "stocks" if !has_ticker => cues.market = true,
            word if words!(
                "sector"
                    | "sectors"
                    | "indices"
                    | "indexes"
                    | "movers"
                    | "gainers"
                    | "losers"
                    | "economy"
                    | "breadth"
                    | "premarket"
                    | "futures"
            )
            .contains(word) =>
            {
                cues.market = true
            }
            "street" if prev == "wall" => cues.market = true,
            "moving" if !has_ticker && earlier("what") => cues.market = true,
            // Education.
            word if words!(
                "explain"
                    | "explained"
                    | "explaining"
                    | "explanation"
                    | "teach"
                    | "define"
                    | "definition"
                    | "meaning"
                    | "tutorial"
                    | "eli5"
                    | "learn"
                    | "learning"
                    | "beginner"
                    | "beginners"
            )
            .contains(word) =>
            {
                cues.edu_strong = true
            }
            "difference" if matches!(w1, "between" | "of") => cues.edu_strong = true,
            "mean" | "means" | "stand" if earlier("what") => cues.edu_strong = true,
            "work" | "works" | "calculated" | "computed" | "calculate" if first == "how" => {
                cues.edu_strong = true
            }
            "how"
                if words!("do" | "can" | "should" | "would").contains(w1)
                    && words!("i" | "you" | "one" | "we").contains(self.w(i + 2)) =>
            {
                cues.edu_strong = true
            }
            _ => {}
        }
        // Weak educational cue: "what is/are/'s …", "tell me about …".
        let weak_at = match w {
            "what" if matches!(w1, "is" | "are" | "does") => Some(i + 2),
            "what" if self.words[i].possessive => Some(i + 1),
            "whats" | "what're" => Some(i + 1),
            "tell" if w1 == "me" && self.w(i + 2) == "about" => Some(i + 3),
            _ => None,
        };
        if let Some(k) = weak_at {
            cues.edu_weak = true;
            cues.edu_weak_the |= self.w(k) == "the";
        }
        if is_concept_word(w) {
            cues.concept = true;
        }
    }
}
