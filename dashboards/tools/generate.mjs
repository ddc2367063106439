// Generates the Grafana dashboards in dashboards/*.json from the definitions below, so every
// dashboard shares one datasource variable, one `job`/`instance` filter, one panel shape, and
// every panel has a description and a unit.
//
//   node dashboards/tools/generate.mjs            # rewrite dashboards/*.json
//   node dashboards/tools/generate.mjs --check    # exit 1 when a committed file differs (drift)
//   node dashboards/tools/generate.mjs --check --dir DIR   # the same against DIR's files
//
// The JSON files are committed (Grafana provisioning reads them as they are); never edit them by
// hand. Schema validation, the promtool parse check and the live-scrape check of every query are
// in check.mjs (run by scripts/test-observability.sh).
import { defaultDashboard } from '@grafana/schema';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dirArg = process.argv.indexOf('--dir');
const OUT = dirArg > 0 ? process.argv[dirArg + 1] : join(dirname(fileURLToPath(import.meta.url)), '..');

// Every query filters on the two variables; `$__rate_interval` adapts to the scrape interval.
const SEL = 'job=~"$job", instance=~"$instance"';
const RI = '$__rate_interval';
const DS = { type: 'prometheus', uid: '${datasource}' };

/** `sel(extra)`: the label selector of every query, plus `extra` matchers. */
const sel = (extra) => `{${SEL}${extra ? ', ' + extra : ''}}`;
const rate = (metric, extra, by) =>
  `sum by (${by}) (rate(${metric}${sel(extra)}[${RI}]))`;
const quantile = (q, metric, by, extra) =>
  `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (rate(${metric}_bucket${sel(extra)}[${RI}])))`;

const ASK_ROUTES = 'route=~"/ask|/api/agent/orchestrate"';

const BREAKER_MAPPINGS = [
  {
    type: 'value',
    options: {
      0: { text: 'closed', color: 'green', index: 0 },
      1: { text: 'half-open', color: 'yellow', index: 1 },
      2: { text: 'open', color: 'red', index: 2 },
    },
  },
];

function thresholds(...steps) {
  return {
    mode: 'absolute',
    steps: [{ color: 'green', value: null }, ...steps.map(([value, color]) => ({ color, value }))],
  };
}

/**
 * A panel. `kind` is `timeseries`, `stat` or `state-timeline`; `targets` are
 * `[expr, legendFormat]` pairs; `w`/`h` its grid size (the layout flows left to right).
 */
function panel({ title, description, unit, targets, kind = 'timeseries', w = 12, h = 8, mappings, thresholds: th, min }) {
  if (!description || !unit) throw new Error(`panel ${title}: description and unit are required`);
  const defaults = { unit };
  if (mappings) defaults.mappings = mappings;
  if (th) defaults.thresholds = th;
  if (min !== undefined) defaults.min = min;
  if (kind === 'timeseries') defaults.custom = { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never' };
  const options =
    kind === 'stat'
      ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'auto' }
      : kind === 'state-timeline'
        ? { showValue: 'auto', mergeValues: true, legend: { showLegend: true, displayMode: 'list', placement: 'bottom' } }
        : { legend: { showLegend: true, displayMode: 'table', placement: 'bottom', calcs: ['mean', 'max', 'lastNotNull'] }, tooltip: { mode: 'multi', sort: 'desc' } };
  return {
    type: kind,
    title,
    description,
    datasource: DS,
    fieldConfig: { defaults, overrides: [] },
    options,
    targets: targets.map(([expr, legendFormat], i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      expr,
      legendFormat: legendFormat ?? '__auto',
      range: true,
    })),
    w,
    h,
  };
}

function row(title) {
  return { type: 'row', title, collapsed: false, panels: [], w: 24, h: 1 };
}

const OTHER = [
  ['chartgate-overview', 'Overview'],
  ['chartgate-performance', 'Performance'],
  ['chartgate-cost', 'Cost'],
  ['chartgate-routing', 'Routing'],
  ['chartgate-streaming', 'Streaming'],
  ['chartgate-cache', 'Cache'],
];

/** A whole dashboard: variables, links to the others, panels laid out on the 24-column grid. */
function dashboard({ uid, title, description, panels }) {
  let x = 0;
  let y = 0;
  let rowH = 0;
  let id = 1;
  const laid = panels.map((p) => {
    if (x + p.w > 24 || p.type === 'row') {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    const { w, h, ...rest } = p;
    const out = { id: id++, ...rest, gridPos: { h, w, x, y } };
    x += w;
    rowH = Math.max(rowH, h);
    if (p.type === 'row') {
      x = 0;
      y += h;
      rowH = 0;
    }
    return out;
  });
  return {
    ...defaultDashboard,
    uid,
    title,
    description,
    tags: ['chartgate'],
    timezone: 'utc',
    editable: false,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    links: OTHER.filter(([u]) => u !== uid).map(([u, t]) => ({
      title: t,
      type: 'link',
      url: `/d/${u}`,
      icon: 'dashboard',
      tags: [],
      asDropdown: false,
      includeVars: true,
      keepTime: true,
      targetBlank: false,
      tooltip: `chartgate ${t.toLowerCase()} dashboard`,
    })),
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          refresh: 1,
          hide: 0,
          current: { text: 'Prometheus', value: 'prometheus' },
        },
        {
          name: 'job',
          label: 'Job',
          type: 'query',
          datasource: DS,
          query: { query: 'label_values(chartgate_build_info, job)', refId: 'job' },
          refresh: 2,
          includeAll: false,
          multi: false,
          sort: 1,
          current: { text: 'chartgate', value: 'chartgate' },
          hide: 0,
        },
        {
          name: 'instance',
          label: 'Instance',
          type: 'query',
          datasource: DS,
          query: { query: 'label_values(chartgate_build_info{job=~"$job"}, instance)', refId: 'instance' },
          refresh: 2,
          includeAll: true,
          allValue: '.+',
          multi: true,
          sort: 1,
          current: { text: 'All', value: '$__all' },
          hide: 0,
        },
      ],
    },
    // No Prometheus annotation query: the schema's AnnotationTarget has no `expr` (the Overview's
    // "Firing chartgate alerts" panel shows the same ALERTS series).
    annotations: { list: [] },
    panels: laid,
  };
}

const overview = dashboard({
  uid: 'chartgate-overview',
  title: 'chartgate / Overview',
  description: 'Is chartgate healthy right now? One row of signals, each with a link to the dashboard that explains it.',
  panels: [
    panel({ kind: 'stat', w: 4, h: 5, title: 'Targets up', unit: 'none', description: 'Scrape targets of the selected job that answered their last scrape (the `up` series Prometheus records). Fewer than expected: see the target-down runbook.', targets: [[`sum(up${sel()})`, 'up']], thresholds: thresholds() }),
    panel({ kind: 'stat', w: 4, h: 5, title: 'Request rate', unit: 'reqps', description: 'HTTP requests per second over all routes except /metrics (Performance dashboard: by route).', targets: [[`sum(rate(http_requests_total${sel('route!="/metrics"')}[${RI}]))`, 'requests']] }),
    panel({ kind: 'stat', w: 4, h: 5, title: '5xx share', unit: 'percentunit', description: 'Share of requests (except /metrics) answered with a 5xx. The ChartgateHighErrorRate alert fires above 5% for 5 minutes.', targets: [[`sum(rate(http_requests_total${sel('route!="/metrics", status=~"5.."')}[${RI}])) / sum(rate(http_requests_total${sel('route!="/metrics"')}[${RI}]))`, '5xx share']], thresholds: thresholds([0.01, 'yellow'], [0.05, 'red']) }),
    panel({ kind: 'stat', w: 4, h: 5, title: 'Ask p99 latency', unit: 's', description: 'The 99th percentile of /ask and /api/agent/orchestrate latency. ChartgateHighLatencyP99 fires above 8 s for 10 minutes.', targets: [[quantile(0.99, 'http_request_duration_seconds', [], ASK_ROUTES), 'p99']], thresholds: thresholds([4, 'yellow'], [8, 'red']) }),
    panel({ kind: 'stat', w: 4, h: 5, title: 'Spend, last hour', unit: 'currencyUSD', description: 'Model spend over the last hour from the configured price table (Cost dashboard: by model and intent). ChartgateApiCostHigh fires above 50 USD.', targets: [[`sum(increase(openai_cost_usd_total${sel()}[1h]))`, 'USD']], thresholds: thresholds([25, 'yellow'], [50, 'red']) }),
    panel({ kind: 'stat', w: 4, h: 5, title: 'Open breakers', unit: 'none', description: 'Models whose circuit breaker is open now (Routing dashboard: state per model).', targets: [[`count(max by (model) (circuit_breaker_state${sel()}) == 2) or vector(0)`, 'open']], thresholds: thresholds([1, 'red']) }),
    panel({ kind: 'stat', w: 6, h: 5, title: 'Firing chartgate alerts', unit: 'none', description: 'Alerts named Chartgate* firing in Prometheus now (the ALERTS series Prometheus records; alerts/chartgate.rules.yml).', targets: [['count(ALERTS{alertname=~"Chartgate.*", alertstate="firing"}) or vector(0)', 'firing']], thresholds: thresholds([1, 'red']) }),
    panel({ kind: 'stat', w: 6, h: 5, title: 'Ledger write errors, last hour', unit: 'none', description: 'Ledger rows lost to SQLite write errors in the last hour: spend that was not recorded. Anything above 0 pages (ChartgateLedgerWriteErrors).', targets: [[`sum(increase(ledger_writes_total${sel('outcome="error"')}[1h]))`, 'errors']], thresholds: thresholds([1, 'red']) }),
    panel({ kind: 'stat', w: 6, h: 5, title: 'Legacy command share', unit: 'percentunit', description: 'Legacy command strings sent per structured command. Every answer carries both unless PREFER_STRUCTURED_CHART_COMMANDS is on for its caller, so this is 100% with the flag at 0 and falls to (100 - rollout)% as it rolls out (docs/PHASE_1_ROLLOUT_PLAN.md).', targets: [[`sum(rate(chart_commands_emitted_total${sel('shape="legacy"')}[${RI}])) / sum(rate(chart_commands_emitted_total${sel('shape="structured"')}[${RI}]))`, 'legacy per structured']] }),
    panel({ kind: 'stat', w: 6, h: 5, title: 'Rejected tool calls', unit: 'percentunit', description: 'Share of model chart_commands tool calls that core rejected (invalid or unknown tool). ChartgateToolCallsRejected fires above 10% for 15 minutes.', targets: [[`sum(rate(chart_tool_calls_total${sel('outcome!="valid"')}[${RI}])) / sum(rate(chart_tool_calls_total${sel()}[${RI}]))`, 'rejected']], thresholds: thresholds([0.05, 'yellow'], [0.1, 'red']) }),
    panel({ kind: 'stat', w: 6, h: 5, title: 'Active streams', unit: 'none', description: 'SSE connections open now, new streams and resumes (Streaming dashboard: time to first byte, chunk gaps, resumes, stream errors).', targets: [[`sum(sse_connections_active${sel()})`, 'streams']] }),
    panel({ kind: 'stat', w: 6, h: 5, title: 'Failed resume share', unit: 'percentunit', description: 'Share of stream resumes answered not_found or unavailable (Streaming dashboard). ChartgateSseResumeFailures fires above 20% for 10 minutes.', targets: [[`sum(rate(sse_resumes_total${sel('outcome=~"not_found|unavailable"')}[${RI}])) / sum(rate(sse_resumes_total${sel()}[${RI}]))`, 'failed']], thresholds: thresholds([0.05, 'yellow'], [0.2, 'red']) }),
    panel({ kind: 'stat', w: 6, h: 5, title: 'Prompt cache hit ratio', unit: 'percentunit', description: 'Lookups answered by any cache tier, per lookup (every lookup starts in memory). Cache dashboard: per tier. ChartgatePromptCacheHitRatioLow fires below 20% for 30 minutes.', targets: [[`sum(rate(prompt_cache_requests_total${sel('outcome="hit"')}[${RI}])) / sum(rate(prompt_cache_requests_total${sel('tier="memory"')}[${RI}]))`, 'hit ratio']], thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'yellow', value: 0.2 }, { color: 'green', value: 0.4 }] } }),
    panel({ kind: 'stat', w: 6, h: 5, title: 'Global daily budget used', unit: 'percentunit', description: 'Today\'s settled spend over the global daily limit (0 when no limit is set). ChartgateBudgetBurn fires above 80% for 5 minutes; at 100% every model ask is refused with budget_exceeded (Cost dashboard).', targets: [[`max(budget_spend_usd${sel('scope="global", window="day"')}) / max(budget_limit_usd${sel('scope="global", window="day"')})`, 'used']], thresholds: thresholds([0.8, 'yellow'], [0.95, 'red']) }),
    panel({ w: 24, title: 'Requests by status', unit: 'reqps', description: 'Requests per second by HTTP status (except /metrics): a quick read of traffic and failures together.', targets: [[`sum by (status) (rate(http_requests_total${sel('route!="/metrics"')}[${RI}]))`, '{{status}}']] }),
  ],
});

const performance = dashboard({
  uid: 'chartgate-performance',
  title: 'chartgate / Performance',
  description: 'How fast and how reliably does chartgate answer, per route, and how much of the latency is the gateway itself?',
  panels: [
    row('Traffic and errors'),
    panel({ title: 'Request rate by route', unit: 'reqps', description: 'HTTP requests per second by matched route template (unmatched for 404s), /metrics excluded.', targets: [[rate('http_requests_total', 'route!="/metrics"', 'route'), '{{route}}']] }),
    panel({ title: 'Errors by route and status', unit: 'reqps', description: '4xx and 5xx responses per second by route and status. 4xx are client mistakes (bad input, wrong method); 5xx are ours or upstream (502 upstream_error, 503 upstream_unavailable, 504 upstream_timeout).', targets: [[rate('http_requests_total', 'status=~"4..|5.."', 'route, status'), '{{route}} {{status}}']] }),
    panel({ title: '5xx share by route', unit: 'percentunit', description: 'Share of each route\'s requests answered with a 5xx. The alert threshold (all routes together) is 5%.', targets: [[`${rate('http_requests_total', 'route!="/metrics", status=~"5.."', 'route')} / ${rate('http_requests_total', 'route!="/metrics"', 'route')}`, '{{route}}']], thresholds: thresholds([0.05, 'red']), min: 0 }),
    panel({ title: 'In flight', unit: 'short', description: 'HTTP requests being handled and asks in progress (asks include upstream calls whose client left; routing sheds load above routing.load.max_in_flight).', targets: [[`sum(http_requests_in_flight${sel()})`, 'http requests'], [`sum(chartgate_asks_in_flight${sel()})`, 'asks']] }),
    row('Latency'),
    panel({ title: 'Latency percentiles by route', unit: 's', description: 'p50, p90 and p99 of request latency (first byte read to response head) by route, /metrics excluded.', targets: [0.5, 0.9, 0.99].map((q) => [quantile(q, 'http_request_duration_seconds', ['route'], 'route!="/metrics"'), `p${q * 100} {{route}}`]) }),
    panel({ title: 'Gateway overhead', unit: 's', description: 'Time an answer spent in the gateway itself: total latency minus the time waiting on upstream calls (the whole latency for offline answers). p50 and p99 by route.', targets: [0.5, 0.99].map((q) => [quantile(q, 'gateway_overhead_seconds', ['route']), `p${q * 100} {{route}}`]) }),
    panel({ title: 'Upstream latency by model', unit: 's', description: 'p50 and p99 of one upstream attempt per model, failures included (llm.timeout_ms bounds it).', targets: [0.5, 0.99].map((q) => [quantile(q, 'openai_request_duration_seconds', ['model']), `p${q * 100} {{model}}`]) }),
    panel({ title: 'Routing decision time', unit: 's', description: 'p99 of the routing decision itself (understanding excluded); microseconds when healthy.', targets: [[quantile(0.99, 'model_routing_duration_seconds', []), 'p99']] }),
    row('Authentication and rate limits'),
    panel({ title: 'Authentication failures by reason', unit: 'ops', description: 'Requests refused by authentication per second: malformed, unknown_key, anonymous_denied, missing_admin_key, not_admin, admin_disabled, and lookup_error (the key store failed: ChartgateAuthLookupErrors pages). A jump in unknown_key is a leaked or revoked key still in use, or a scan.', targets: [[rate('auth_failures_total', '', 'reason'), '{{reason}}']] }),
    panel({ title: 'Rate-limit refusals by tier and limit', unit: 'ops', description: 'Requests answered 429 rate_limited per second, by the caller\'s tier and by what ran out: key (an API key\'s own limit) or address (an anonymous client address).', targets: [[rate('rate_limit_refusals_total', '', 'tier, by'), '{{tier}} by {{by}}']] }),
  ],
});

const cost = dashboard({
  uid: 'chartgate-cost',
  title: 'chartgate / Cost',
  description: 'What do model calls cost, which models and intents spend it, how many tokens go through, and how close are the budgets to their limits?',
  panels: [
    panel({ kind: 'stat', w: 8, h: 5, title: 'Spend in the selected range', unit: 'currencyUSD', description: 'Total model spend over the dashboard\'s time range, from the configured price table ([prices]).', targets: [[`sum(increase(openai_cost_usd_total${sel()}[$__range]))`, 'USD']] }),
    panel({ kind: 'stat', w: 8, h: 5, title: 'Spend, last hour', unit: 'currencyUSD', description: 'Spend over the last hour. ChartgateApiCostHigh fires above 50 USD for 15 minutes.', targets: [[`sum(increase(openai_cost_usd_total${sel()}[1h]))`, 'USD']], thresholds: thresholds([25, 'yellow'], [50, 'red']) }),
    panel({ kind: 'stat', w: 8, h: 5, title: 'Projected spend per day', unit: 'currencyUSD', description: 'The last hour\'s pace over 24 hours. ChartgateApiCostProjectedHigh fires above 600 USD for 30 minutes.', targets: [[`sum(rate(openai_cost_usd_total${sel()}[1h])) * 86400`, 'USD/day']], thresholds: thresholds([300, 'yellow'], [600, 'red']) }),
    panel({ title: 'Spend per hour by model', unit: 'currencyUSD', description: 'USD per hour at the current pace, by model.', targets: [[`${rate('openai_cost_usd_total', '', 'model')} * 3600`, '{{model}}']] }),
    panel({ title: 'Spend per hour by intent', unit: 'currencyUSD', description: 'USD per hour at the current pace, by request intent (routing.intent_tiers decides the tier each intent asks for).', targets: [[`${rate('openai_cost_usd_total', '', 'intent')} * 3600`, '{{intent}}']] }),
    panel({ title: 'Tokens per second by model and kind', unit: 'short', description: 'Prompt, completion and cached tokens per second by model (cached is a subset of prompt).', targets: [[rate('openai_tokens_total', '', 'model, kind'), '{{model}} {{kind}}']] }),
    panel({ title: 'Cached share of prompt tokens', unit: 'percentunit', description: 'Cached prompt tokens as a share of prompt tokens, by model: what the provider\'s prompt cache saves (cached input is billed at cached_input).', targets: [[`${rate('openai_tokens_total', 'kind="cached"', 'model')} / ${rate('openai_tokens_total', 'kind="prompt"', 'model')}`, '{{model}}']], min: 0 }),
    panel({ w: 24, title: 'Average cost per model answer', unit: 'currencyUSD', description: 'Spend divided by answers, by model: a price change, longer prompts or a chattier model show here first.', targets: [[`${rate('openai_cost_usd_total', '', 'model')} / ${rate('model_selections_total', 'model!="offline"', 'model')}`, '{{model}}']] }),
    row('Budgets'),
    panel({ title: 'Global budget used', unit: 'percentunit', description: 'Settled spend in the current UTC window over the global limit, per window (hour, day). 0 when no limit is set (the limit is +Inf). ChartgateBudgetBurn fires when the day is above 80% for 5 minutes; at 100% model asks are refused.', targets: [[`max by (window) (budget_spend_usd${sel('scope="global"')}) / max by (window) (budget_limit_usd${sel('scope="global"')})`, '{{window}}']], thresholds: thresholds([0.8, 'yellow'], [1, 'red']), min: 0 }),
    panel({ title: 'Spend in the current window by tier', unit: 'currencyUSD', description: 'Settled spend of all callers of each tier in the current UTC hour or day (a tier\'s limit applies to each caller, so compare a single caller in GET /api/budget). Drops to 0 when the window resets.', targets: [[`max by (scope, window) (budget_spend_usd${sel('scope!="global"')})`, '{{scope}} {{window}}']] }),
    panel({ title: 'Budget limits', unit: 'currencyUSD', description: 'The configured limit per caller of each tier, and the global daily limit (no line when unlimited: +Inf).', targets: [[`max by (scope, window) (budget_limit_usd${sel()})`, '{{scope}} {{window}}']] }),
    panel({ title: 'Reserved by calls in progress', unit: 'currencyUSD', description: 'USD held for model calls in progress (their worst case until they settle). A value that stays up with no traffic is a reservation that was never settled.', targets: [[`sum(budget_reserved_usd${sel()})`, 'reserved']] }),
    panel({ title: 'Budget refusals by scope', unit: 'ops', description: 'Asks refused per second with 429 budget_exceeded, by the budget that refused: a caller tier, or global (every model ask refused).', targets: [[rate('budget_refusals_total', '', 'scope'), '{{scope}}']] }),
    panel({ title: 'Budget downgrades', unit: 'ops', description: 'Asks moved per second to a cheaper tier because the caller could not afford the routed one (routing reason budget).', targets: [[`sum(rate(budget_downgrades_total${sel()}[${RI}]))`, 'downgrades']] }),
    panel({ w: 24, title: 'Budget alert deliveries by kind and outcome', unit: 'ops', description: 'Budget alert delivery attempts per second: webhook or slack; ok, retry, failed (the last attempt failed) or dropped (the queue was full). failed or dropped means an owner was not told about a budget.', targets: [[rate('alert_deliveries_total', '', 'kind, outcome'), '{{kind}} {{outcome}}']] }),
  ],
});

const routing = dashboard({
  uid: 'chartgate-routing',
  title: 'chartgate / Routing',
  description: 'Which models answer, why a tier was lowered, how often chains fall back, what the breakers do, and how the models\' chart commands fare in validation.',
  panels: [
    row('Decisions'),
    panel({ title: 'Answers by model and tier', unit: 'reqps', description: 'Answers per second by the model that produced them and its tier (offline = core\'s fast path or the offline provider).', targets: [[rate('model_selections_total', '', 'model, tier'), '{{model}} ({{tier}})']] }),
    panel({ title: 'Answers by intent', unit: 'reqps', description: 'Answers per second by request intent.', targets: [[rate('model_selections_total', '', 'intent'), '{{intent}}']] }),
    panel({ title: 'Tier downgrades by reason', unit: 'ops', description: 'Routing decisions per second that lowered the tier: user_cap (routing.user_tiers) or load_shed (routing.load).', targets: [[rate('model_tier_downgrades_total', '', 'reason'), '{{reason}}']] }),
    panel({ title: 'Fallbacks by reason', unit: 'ops', description: 'Moves to the next model of a chain per second, by why the previous one was left (a failure kind, or breaker_open).', targets: [[rate('model_fallbacks_total', '', 'reason'), '{{reason}}']] }),
    row('Upstream and breakers'),
    panel({ kind: 'state-timeline', title: 'Circuit breaker state', unit: 'none', description: 'Breaker state per model: closed, half-open (one probe allowed) or open (model skipped for routing.breaker.cooldown_ms).', targets: [['max by (model) (circuit_breaker_state' + sel() + ')', '{{model}}']], mappings: BREAKER_MAPPINGS }),
    panel({ title: 'Breaker transitions', unit: 'short', description: 'Breaker state changes per model by the state entered, per rate interval.', targets: [[`sum by (model, to) (increase(circuit_breaker_transitions_total${sel()}[${RI}]))`, '{{model}} → {{to}}']] }),
    panel({ title: 'Upstream attempts by model and outcome', unit: 'ops', description: 'Upstream attempts per second by model and outcome (ok or a failure kind).', targets: [[rate('openai_requests_total', '', 'model, outcome'), '{{model}} {{outcome}}']] }),
    panel({ title: 'Upstream errors by model and reason', unit: 'ops', description: 'Failed upstream attempts per second by model and failure kind (rate_limited, server_error, timeout, connect_error, bad_response, client_error).', targets: [[rate('openai_errors_total', '', 'model, reason'), '{{model}} {{reason}}']] }),
    row('Chart commands'),
    panel({ title: 'Tool calls by outcome', unit: 'ops', description: 'Model chart_commands tool calls per second: valid, invalid (core found an error) or unknown_tool.', targets: [[rate('chart_tool_calls_total', '', 'outcome'), '{{outcome}}']] }),
    panel({ title: 'Validation issues by code (top 10)', unit: 'ops', description: 'Issues core found in the models\' tool-call arguments per second, by stable issue code (docs/chart-commands.md lists them).', targets: [[`topk(10, ${rate('chart_command_validation_issues_total', '', 'code')})`, '{{code}}']] }),
    panel({ w: 24, title: 'Chart commands emitted by shape', unit: 'ops', description: 'Commands sent to clients per second: legacy strings, structured commands, chart objects v2. The rollout flags move traffic between the shapes.', targets: [[rate('chart_commands_emitted_total', '', 'shape'), '{{shape}}']] }),
  ],
});

const streaming = dashboard({
  uid: 'chartgate-streaming',
  title: 'chartgate / Streaming',
  description: 'How do streamed answers (POST /api/agent/stream) behave: how many are open, how fast the first byte and the first chart command arrive, how smooth the chunks are, whether resumes work, and why streams fail?',
  panels: [
    panel({ kind: 'stat', w: 6, h: 5, title: 'Active streams', unit: 'none', description: 'SSE connections open now (new streams and resumes); stream.max_concurrent bounds it, above it clients get 503 too_many_streams.', targets: [[`sum(sse_connections_active${sel()})`, 'open']] }),
    panel({ kind: 'stat', w: 6, h: 5, title: 'Streams held for resume', unit: 'none', description: 'Streams kept in memory for resume, running and finished (finished ones are kept for the resume window).', targets: [[`sum(sse_streams_held${sel()})`, 'held']] }),
    panel({ kind: 'stat', w: 6, h: 5, title: 'Bytes held for resume', unit: 'bytes', description: 'Serialized events kept in memory for resume; bounded by the stream memory limit.', targets: [[`sum(sse_held_bytes${sel()})`, 'bytes']] }),
    panel({ kind: 'stat', w: 6, h: 5, title: 'Failed resume share', unit: 'percentunit', description: 'Resumes answered not_found or unavailable, per resume. ChartgateSseResumeFailures fires above 20% (with at least 0.05 resume/s) for 10 minutes.', targets: [[`sum(rate(sse_resumes_total${sel('outcome=~"not_found|unavailable"')}[${RI}])) / sum(rate(sse_resumes_total${sel()}[${RI}]))`, 'failed']], thresholds: thresholds([0.05, 'yellow'], [0.2, 'red']) }),
    row('Latency'),
    panel({ title: 'Time to first byte', unit: 's', description: 'p50, p90, p99 from the request to the first content event of a streamed answer.', targets: [0.5, 0.9, 0.99].map((q) => [quantile(q, 'sse_ttfb_seconds', []), `p${q * 100}`]) }),
    panel({ title: 'Time to first chart command', unit: 's', description: 'p50, p90, p99 from the request to the first chart_command event (core\'s own commands come before any model work; model commands as soon as their JSON element is complete).', targets: [0.5, 0.9, 0.99].map((q) => [quantile(q, 'sse_first_command_seconds', []), `p${q * 100}`]) }),
    panel({ title: 'Gap between content chunks', unit: 's', description: 'p50 and p99 of the time between consecutive content events: a high p99 is a model that stalls mid-answer (stream.upstream_idle_timeout_ms ends it).', targets: [0.5, 0.99].map((q) => [quantile(q, 'sse_chunk_interval_seconds', []), `p${q * 100}`]) }),
    panel({ title: 'Stream overhead in the gateway', unit: 's', description: 'p50 and p99 of the time a streamed answer spent in the gateway itself (gateway_overhead_seconds for the stream route).', targets: [0.5, 0.99].map((q) => [quantile(q, 'gateway_overhead_seconds', [], 'route="/api/agent/stream"'), `p${q * 100}`]) }),
    row('Outcomes'),
    panel({ title: 'Streams ended by outcome', unit: 'ops', description: 'SSE connections ended per second: done, error (the terminal error event was written) or client_gone (the client left before it; the answer still settles).', targets: [[rate('sse_streams_total', '', 'outcome'), '{{outcome}}']] }),
    panel({ title: 'Stream errors by code', unit: 'ops', description: 'Streamed answers ended with an error event per second by code (upstream_error, upstream_timeout, upstream_unavailable, stream_limit, interrupted), and too_many_streams refusals.', targets: [[rate('sse_stream_errors_total', '', 'code'), '{{code}}']] }),
    panel({ title: 'Resumes by outcome', unit: 'ops', description: 'Resume requests (GET /api/agent/stream/{id} with Last-Event-ID) per second: ok, not_found (unknown, expired or another caller\'s), bad_last_event_id, unavailable (Redis down for a stream of another replica).', targets: [[rate('sse_resumes_total', '', 'outcome'), '{{outcome}}']] }),
    panel({ title: 'Events written by type', unit: 'ops', description: 'SSE events written per second by type (a resume writes them again).', targets: [[rate('sse_events_total', '', 'type'), '{{type}}']] }),
    row('Redis'),
    panel({ w: 24, title: 'Redis operations by operation and outcome', unit: 'ops', description: 'Redis operations per second (stream_mirror, stream_read, ping, and the budget\'s reserve and settle) by outcome. error = down, unreachable or slower than redis.timeout_ms; ChartgateRedisErrors fires on any for 5 minutes.', targets: [[rate('redis_operations_total', '', 'op, outcome'), '{{op}} {{outcome}}']] }),
  ],
});

const cache = dashboard({
  uid: 'chartgate-cache',
  title: 'chartgate / Cache',
  description: 'Does the prompt cache save model calls: hit ratio per tier, what it holds, what it evicts, what it saves in USD, how fast and how reliably each tier answers?',
  panels: [
    panel({ kind: 'stat', w: 8, h: 5, title: 'Hit ratio, all tiers', unit: 'percentunit', description: 'Lookups answered by any tier per lookup (every lookup starts in memory, so memory\'s hits, misses and errors count the lookups). ChartgatePromptCacheHitRatioLow fires below 20% for 30 minutes.', targets: [[`sum(rate(prompt_cache_requests_total${sel('outcome="hit"')}[${RI}])) / sum(rate(prompt_cache_requests_total${sel('tier="memory"')}[${RI}]))`, 'hit ratio']], thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'yellow', value: 0.2 }, { color: 'green', value: 0.4 }] } }),
    panel({ kind: 'stat', w: 8, h: 5, title: 'Saved in the selected range', unit: 'currencyUSD', description: 'What the answers served from the cache or shared by single flight cost when they were made, over the dashboard\'s range.', targets: [[`sum(increase(prompt_cache_saved_usd_total${sel()}[$__range]))`, 'USD']] }),
    panel({ kind: 'stat', w: 8, h: 5, title: 'Errors in the selected range', unit: 'none', description: 'Tier failures over the dashboard\'s range (unreachable, slow, unwritable, corrupt). ChartgatePromptCacheErrors fires on any for 5 minutes.', targets: [[`sum(increase(prompt_cache_errors_total${sel()}[$__range]))`, 'errors']], thresholds: thresholds([1, 'red']) }),
    row('Lookups'),
    panel({ title: 'Hit ratio per tier', unit: 'percentunit', description: 'Hits per lookup in each tier. A tier is asked only after the faster ones missed, so sqlite\'s and redis\'s ratios are of memory\'s misses.', targets: [[`${rate('prompt_cache_requests_total', 'outcome="hit"', 'tier')} / ${rate('prompt_cache_requests_total', '', 'tier')}`, '{{tier}}']], min: 0 }),
    panel({ title: 'Lookups by tier and outcome', unit: 'ops', description: 'Lookups per second by tier and outcome: hit, miss, error.', targets: [[rate('prompt_cache_requests_total', '', 'tier, outcome'), '{{tier}} {{outcome}}']] }),
    panel({ title: 'Lookup latency per tier', unit: 's', description: 'p50 and p99 of one lookup in one tier.', targets: [0.5, 0.99].map((q) => [quantile(q, 'prompt_cache_lookup_duration_seconds', ['tier']), `p${q * 100} {{tier}}`]) }),
    panel({ title: 'Errors by tier', unit: 'ops', description: 'Tier failures per second: unreachable, slower than its timeout, unwritable (a failed write batch, a full write queue), a corrupt entry, a tier that could not start. Lookups go on to the next tier or the model.', targets: [[rate('prompt_cache_errors_total', '', 'tier'), '{{tier}}']] }),
    row('Contents and savings'),
    panel({ title: 'Entries per tier', unit: 'short', description: 'Entries held by each tier on this instance (redis is shared by every replica and reads 0 here).', targets: [[`sum by (tier) (prompt_cache_entries${sel()})`, '{{tier}}']] }),
    panel({ title: 'Bytes per tier', unit: 'bytes', description: 'Bytes held: memory\'s weighed entries, sqlite\'s stored bodies (redis reads 0, see entries).', targets: [[`sum by (tier) (prompt_cache_bytes${sel()})`, '{{tier}}']] }),
    panel({ title: 'Evictions by tier and reason', unit: 'ops', description: 'Entries removed per second: expired, size (over a bound, least recently used first), explicit (admin delete or purge), replaced. Many size evictions with a low hit ratio: the bound is too small.', targets: [[rate('prompt_cache_evictions_total', '', 'tier, reason'), '{{tier}} {{reason}}']] }),
    panel({ title: 'Saved per hour', unit: 'currencyUSD', description: 'USD saved per hour at the current pace, from cache hits and answers shared by single flight.', targets: [[`sum(rate(prompt_cache_saved_usd_total${sel()}[${RI}])) * 3600`, 'USD/hour']] }),
    panel({ w: 24, title: 'Single-flight waiters', unit: 'ops', description: 'Requests per second that followed an identical answer already running instead of calling the model.', targets: [[`sum(rate(prompt_cache_singleflight_waiters_total${sel()}[${RI}]))`, 'waiters']] }),
  ],
});

const DASHBOARDS = { overview, performance, cost, routing, streaming, cache };

const check = process.argv.includes('--check');
let drift = 0;
for (const [name, d] of Object.entries(DASHBOARDS)) {
  const file = join(OUT, `${name}.json`);
  const text = JSON.stringify(d, null, 2) + '\n';
  if (check) {
    let old = '';
    try {
      old = readFileSync(file, 'utf8');
    } catch {
      // missing counts as drift
    }
    if (old !== text) {
      console.error(`dashboards/${name}.json differs from what generate.mjs produces: run node dashboards/tools/generate.mjs`);
      drift++;
    }
  } else {
    writeFileSync(file, text);
    console.log(`wrote dashboards/${name}.json (${d.panels.length} panels)`);
  }
}
if (check) {
  if (drift) process.exit(1);
  console.log(`dashboards: ${Object.keys(DASHBOARDS).length} files match generate.mjs`);
}
