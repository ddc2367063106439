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
  ],
});

const cost = dashboard({
  uid: 'chartgate-cost',
  title: 'chartgate / Cost',
  description: 'What do model calls cost, which models and intents spend it, and how many tokens go through?',
  panels: [
    panel({ kind: 'stat', w: 8, h: 5, title: 'Spend in the selected range', unit: 'currencyUSD', description: 'Total model spend over the dashboard\'s time range, from the configured price table ([prices]).', targets: [[`sum(increase(openai_cost_usd_total${sel()}[$__range]))`, 'USD']] }),
    panel({ kind: 'stat', w: 8, h: 5, title: 'Spend, last hour', unit: 'currencyUSD', description: 'Spend over the last hour. ChartgateApiCostHigh fires above 50 USD for 15 minutes.', targets: [[`sum(increase(openai_cost_usd_total${sel()}[1h]))`, 'USD']], thresholds: thresholds([25, 'yellow'], [50, 'red']) }),
    panel({ kind: 'stat', w: 8, h: 5, title: 'Projected spend per day', unit: 'currencyUSD', description: 'The last hour\'s pace over 24 hours. ChartgateApiCostProjectedHigh fires above 600 USD for 30 minutes.', targets: [[`sum(rate(openai_cost_usd_total${sel()}[1h])) * 86400`, 'USD/day']], thresholds: thresholds([300, 'yellow'], [600, 'red']) }),
    panel({ title: 'Spend per hour by model', unit: 'currencyUSD', description: 'USD per hour at the current pace, by model.', targets: [[`${rate('openai_cost_usd_total', '', 'model')} * 3600`, '{{model}}']] }),
    panel({ title: 'Spend per hour by intent', unit: 'currencyUSD', description: 'USD per hour at the current pace, by request intent (routing.intent_tiers decides the tier each intent asks for).', targets: [[`${rate('openai_cost_usd_total', '', 'intent')} * 3600`, '{{intent}}']] }),
    panel({ title: 'Tokens per second by model and kind', unit: 'short', description: 'Prompt, completion and cached tokens per second by model (cached is a subset of prompt).', targets: [[rate('openai_tokens_total', '', 'model, kind'), '{{model}} {{kind}}']] }),
    panel({ title: 'Cached share of prompt tokens', unit: 'percentunit', description: 'Cached prompt tokens as a share of prompt tokens, by model: what the provider\'s prompt cache saves (cached input is billed at cached_input).', targets: [[`${rate('openai_tokens_total', 'kind="cached"', 'model')} / ${rate('openai_tokens_total', 'kind="prompt"', 'model')}`, '{{model}}']], min: 0 }),
    panel({ w: 24, title: 'Average cost per model answer', unit: 'currencyUSD', description: 'Spend divided by answers, by model: a price change, longer prompts or a chattier model show here first.', targets: [[`${rate('openai_cost_usd_total', '', 'model')} / ${rate('model_selections_total', 'model!="offline"', 'model')}`, '{{model}}']] }),
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

const DASHBOARDS = { overview, performance, cost, routing };

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
