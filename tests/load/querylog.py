#!/usr/bin/env python3
"""Generates tests/load/querylog.jsonl: one trading session of an assistant's questions.

Seeded and deterministic (standard library only): `python3 tests/load/querylog.py` rewrites the
committed file byte for byte; `--seed`, `--lines`, `--out` change it.

What it models (docs/CACHE_TUNING.md explains how the cache sees it):
- symbols drawn from a Zipf law (s = 1.1) over 300 tickers: a handful of names (TSLA, NVDA,
  AAPL, SPY…) carry most of the day, the tail is long;
- the phrasings people use: tickers, company names, lower-case and cash-tags, typos, and
  voice-style run-ons ("hey so um what's tesla doing right now");
- intents mixed like an assistant's trading day: prices 35 %, chart control 20 %, technical
  questions 15 %, explanations 15 %, market and news 10 %, other 5 %;
- timestamps over a session (09:30 to 16:00 New York, busier at the open and the close), in
  sessions of a few questions per user.

Each line: {"ts_ms", "session_id", "user_id", "kind", "query"}; `kind` is the generator's
label, not the server's intent (the server understands the text itself).
"""

import argparse
import json
import math
import random

# (ticker, names people say). The first ~100 are in core's name table; the rest are tickers
# people type as tickers.
NAMED = [
    ("TSLA", ["tesla"]), ("NVDA", ["nvidia"]), ("AAPL", ["apple"]), ("SPY", ["s&p", "s&p 500"]),
    ("QQQ", ["nasdaq"]), ("AMD", ["amd"]), ("MSFT", ["microsoft"]), ("AMZN", ["amazon"]),
    ("META", ["meta", "facebook"]), ("GOOGL", ["google", "alphabet"]), ("BTC-USD", ["bitcoin", "btc"]),
    ("ETH-USD", ["ethereum", "ether"]), ("PLTR", ["palantir"]), ("NFLX", ["netflix"]),
    ("COIN", ["coinbase"]), ("GME", ["gamestop"]), ("AMC", ["amc"]), ("INTC", ["intel"]),
    ("DIS", ["disney"]), ("BA", ["boeing"]), ("JPM", ["jpmorgan"]), ("GS", ["goldman"]),
    ("XOM", ["exxon"]), ("CVX", ["chevron"]), ("KO", ["coca cola", "coke"]), ("PEP", ["pepsi"]),
    ("NKE", ["nike"]), ("SBUX", ["starbucks"]), ("WMT", ["walmart"]), ("COST", ["costco"]),
    ("ORCL", ["oracle"]), ("CRM", ["salesforce"]), ("ADBE", ["adobe"]), ("PYPL", ["paypal"]),
    ("UBER", ["uber"]), ("LYFT", ["lyft"]), ("ABNB", ["airbnb"]), ("SHOP", ["shopify"]),
    ("SNOW", ["snowflake"]), ("RIVN", ["rivian"]), ("LCID", ["lucid"]), ("NIO", ["nio"]),
    ("BABA", ["alibaba"]), ("MU", ["micron"]), ("QCOM", ["qualcomm"]), ("AVGO", ["broadcom"]),
    ("ASML", ["asml"]), ("PFE", ["pfizer"]), ("MRNA", ["moderna"]), ("LLY", ["eli lilly", "lilly"]),
    ("GC=F", ["gold"]), ("CL=F", ["oil", "crude"]), ("DOGE-USD", ["dogecoin", "doge"]),
    ("HOOD", ["robinhood"]), ("RBLX", ["roblox"]), ("ROKU", ["roku"]), ("F", ["ford"]),
    ("T", ["at&t"]), ("V", ["visa"]), ("MA", ["mastercard"]), ("HD", ["home depot"]),
    ("MCD", ["mcdonalds"]), ("IBM", ["ibm"]), ("CSCO", ["cisco"]), ("CAT", ["caterpillar"]),
    ("DE", ["deere", "john deere"]), ("MSTR", ["microstrategy"]), ("MARA", ["marathon"]),
    ("RIOT", ["riot"]), ("SQ", []), ("SOFI", []), ("DKNG", ["draftkings"]), ("PINS", ["pinterest"]),
    ("RDDT", ["reddit"]), ("CRWD", ["crowdstrike"]), ("NET", ["cloudflare"]), ("DDOG", ["datadog"]),
    ("MDB", ["mongodb"]), ("OKTA", ["okta"]), ("ZS", []), ("PANW", ["palo alto"]), ("FTNT", ["fortinet"]),
    ("IWM", ["russell 2000"]), ("DIA", ["dow"]), ("SMH", ["semiconductors"]), ("ARKK", ["ark"]),
    ("TSM", []), ("SONY", []), ("TM", []), ("WFC", []), ("BAC", ["bank of america"]), ("C", ["citi"]),
    ("MS", ["morgan stanley"]), ("SCHW", ["schwab"]), ("BLK", ["blackrock"]), ("UNH", []),
    ("JNJ", ["johnson & johnson"]), ("PG", ["procter"]), ("ABBV", ["abbvie"]), ("MRK", ["merck"]),
]
# A long tail of tickers typed as tickers, deterministic, so the universe is a few hundred.
_TAIL_LETTERS = "ABCDEFGHIJKLMNOPRSTUVWXYZ"


def tail_tickers(rng, n, taken):
    out = []
    while len(out) < n:
        t = "".join(rng.choice(_TAIL_LETTERS) for _ in range(rng.choice([3, 4, 4])))
        if t not in taken:
            taken.add(t)
            out.append((t, []))
    return out


PRICE = [
    "what's {T} at?", "{name} price?", "how much is {name} right now", "{T} quote",
    "price of {name}", "where is {T} trading", "{t} price", "what is {name} trading at",
    "${T} price?", "current price of {T}", "hey so um what's {name} doing right now price wise",
    "waht's {t} at", "{name} stock price today", "check {T} for me",
]
CHART = [
    "show me {T} on the daily", "load {name} weekly with rsi", "pull up {T} 1h chart",
    "switch to {T}", "{T} 15 minute chart with macd", "put {name} on a candle chart",
    "show {T} with the 50 day moving average", "ok now go to {name}",
]
TECH = [
    "is {T} overbought?", "rsi on {name}?", "what's the support for {T}",
    "is {name} in a downtrend", "where's resistance on {T}", "does {T} look bullish here",
    "what do the moving averages say about {name}", "is {T} breaking out",
]
EDU = [
    "what is RSI", "explain MACD", "how do bollinger bands work", "what is a moving average",
    "what does overbought mean", "explain support and resistance", "what is a stop loss",
    "what is implied volatility", "how do options work", "what is a limit order",
    "what's the difference between a market and limit order", "what is short selling",
    "explain candlestick patterns", "what is a doji", "what is volume", "what is VWAP",
    "what is a golden cross", "what is the VIX", "explain fibonacci retracement",
    "what does market cap mean", "what is a dividend", "what is an ETF", "how does margin work",
    "what is a bear market", "what is a short squeeze", "explain the stochastic oscillator",
    "what is beta", "what is the P/E ratio", "what is after hours trading", "what is a head and shoulders pattern",
]
MARKET = [
    "what's moving the market today", "why is {name} down today", "any news on {T}?",
    "how's the market doing", "what happened to {name} this morning", "summarize today's market",
    "why is {T} up", "what are the top movers today",
]
OTHER = [
    "thanks", "can you help me", "what can you do", "good morning", "how do I add an alert",
    "what time does the market close",
]
KINDS = [("price", 0.35, PRICE), ("chart", 0.20, CHART), ("technical", 0.15, TECH),
         ("educational", 0.15, EDU), ("market", 0.10, MARKET), ("other", 0.05, OTHER)]


def zipf_weights(n, s):
    return [1.0 / math.pow(k, s) for k in range(1, n + 1)]


def typo(rng, text):
    """One swapped pair of letters in one word (people type fast)."""
    words = text.split(" ")
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) >= 4 and w.isalpha():
        j = rng.randrange(len(w) - 1)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def phrase(rng, template, ticker, names):
    name = rng.choice(names) if names and rng.random() < 0.6 else ticker
    text = template.replace("{T}", ticker).replace("{t}", ticker.lower()).replace("{name}", name)
    r = rng.random()
    if r < 0.08:
        text = typo(rng, text)
    elif r < 0.20:
        text = text.lower()
    elif r < 0.25:
        text = text.capitalize()
    if rng.random() < 0.05:
        text = rng.choice(["um ", "ok so ", "hey ", "quick one, "]) + text
    return text


def session_times(rng, lines, open_ms):
    """Arrival times over 6.5 hours, denser in the first and last hour (a U-shaped day)."""
    day = int(6.5 * 3600 * 1000)
    out = []
    while len(out) < lines:
        x = rng.random()
        # Accept with a U-shaped density: 1 + 2 * (distance from midday)^2 scaled to [1, 3].
        if rng.random() * 3 <= 1 + 2 * ((2 * x - 1) ** 2) * 1.0:
            out.append(open_ms + int(x * day))
    out.sort()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=20261208)
    ap.add_argument("--lines", type=int, default=5000)
    ap.add_argument("--out", default="tests/load/querylog.jsonl")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    universe = list(NAMED) + tail_tickers(rng, 300 - len(NAMED), {t for t, _ in NAMED})
    weights = zipf_weights(len(universe), 1.1)
    edu_weights = zipf_weights(len(EDU), 0.9)
    # 2026-12-08 09:30 New York = 14:30 UTC.
    open_ms = 1796740200000
    times = session_times(rng, a.lines, open_ms)
    users = [f"u{i:04d}" for i in range(400)]
    user_weights = zipf_weights(len(users), 0.8)
    kinds, kind_weights = [k[0] for k in KINDS], [k[1] for k in KINDS]
    templates = {k[0]: k[2] for k in KINDS}
    with open(a.out, "w", encoding="utf-8") as f:
        for i, ts in enumerate(times):
            kind = rng.choices(kinds, kind_weights)[0]
            user = rng.choices(users, user_weights)[0]
            ticker, names = rng.choices(universe, weights)[0]
            if kind == "educational":
                query = rng.choices(EDU, edu_weights)[0]
                r = rng.random()
                if r < 0.2:
                    query = query.lower()
                elif r < 0.3:
                    query = query + "?"
                elif r < 0.35:
                    query = typo(rng, query)
            else:
                query = phrase(rng, rng.choice(templates[kind]), ticker, names)
            line = {"ts_ms": ts, "session_id": f"s-{user}-{(ts - open_ms) // 1800000}",
                    "user_id": user, "kind": kind, "query": query}
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
    print(f"wrote {len(times)} lines to {a.out}")


if __name__ == "__main__":
    main()
