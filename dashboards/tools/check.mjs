// Checks of the observability package that need a parser (JSON, YAML, PromQL names), one
// subcommand each; scripts/test-observability.sh runs them and feeds their output to promtool.
//
//   node check.mjs lint [DASHBOARD_DIR] [RULES_DIR]
//       every panel has a description, a unit and the datasource variable; every dashboard has
//       the datasource, job and instance variables; the overview links to every other
//       dashboard; every alert has for, severity, summary, description and a runbook_url that
//       names an existing file. Exit 1 with one line per problem.
//   node check.mjs promql OUT.yml
//       writes every dashboard and variable query as a recording rule (Grafana's variables
//       replaced by plain values) so `promtool check rules OUT.yml` parses each one.
//   node check.mjs exprs
//       prints every dashboard query, one JSON string per line (variables replaced).
//   node check.mjs metrics SCRAPE
//       every metric a dashboard or rule names (through recording rules) is a family of the
//       scrape, and docs/metrics.md lists exactly the scrape's families.
//   node check.mjs deploy [COMPOSE]
//       the compose file parses as YAML, has the chartgate, prometheus, alertmanager and grafana
//       services, every host path it mounts exists, and Grafana mounts every dashboard.
//   node check.mjs test-copies OUT_DIR WEBHOOK_BASE FOR
//       the end-to-end test's copies of the rules and alertmanager.yml: only timing changes
//       (every `for:` becomes FOR, 5m windows become 30s, Alertmanager waits and intervals
//       shrink), and the receivers point at the local webhook receiver (WEBHOOK_BASE/<name>).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [cmd, ...args] = process.argv.slice(2);

/** Prometheus' own series: not on chartgate's /metrics, recorded by Prometheus itself. */
const PROMETHEUS_SERIES = new Set(['up', 'ALERTS']);

const dashboardDir = () => args[0] ?? join(ROOT, 'dashboards');
const rulesDir = () => args[1] ?? join(ROOT, 'alerts');

function dashboards(dir = join(ROOT, 'dashboards')) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, d: JSON.parse(readFileSync(join(dir, f), 'utf8')) }));
}

function ruleFiles(dir = join(ROOT, 'alerts')) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.rules.yml'))
    .sort()
    .map((f) => ({ file: f, doc: YAML.parse(readFileSync(join(dir, f), 'utf8')) }));
}

const rules = (dir) => ruleFiles(dir).flatMap(({ file, doc }) => doc.groups.flatMap((g) => g.rules.map((r) => ({ file, ...r }))));

/** Grafana's variables replaced by values PromQL accepts. */
function plain(expr) {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h')
    .replaceAll('$__interval', '30s')
    .replaceAll('$job', 'chartgate')
    .replaceAll('$instance', '.+');
}

function panelsOf(d) {
  return d.panels.flatMap((p) => (p.type === 'row' ? p.panels ?? [] : [p]));
}

function dashboardExprs(dir) {
  const out = [];
  for (const { file, d } of dashboards(dir)) {
    for (const p of panelsOf(d)) for (const t of p.targets ?? []) out.push({ where: `${file}: ${p.title} ${t.refId}`, expr: plain(t.expr) });
    for (const v of d.templating.list) {
      const q = typeof v.query === 'object' ? v.query.query : v.query;
      const m = /^label_values\((.*),\s*\w+\)$/.exec(q ?? '');
      if (m) out.push({ where: `${file}: variable ${v.name}`, expr: plain(m[1]) });
    }
  }
  return out;
}

const FUNCS_AND_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'Inf', 'NaN']);

/** Metric names an expression selects (a crude but sufficient PromQL scan). */
function metricNames(expr) {
  let e = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  e = e.replace(/\{[^}]*\}/g, ' ');
  e = e.replace(/\[[^\]]*\]/g, ' ');
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [];
  for (const m of e.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const id = m[0];
    if (/^\s*\(/.test(e.slice(m.index + id.length))) continue; // a function call
    if (m.index > 0 && /[0-9.]/.test(e[m.index - 1])) continue; // part of a number, e.g. 1e3
    if (!FUNCS_AND_KEYWORDS.has(id)) names.push(id);
  }
  return names;
}

const problems = [];
const problem = (s) => problems.push(s);

function lint() {
  const ds = dashboards(dashboardDir());
  if (ds.length === 0) problem('no dashboards');
  const uids = ds.map(({ d }) => d.uid);
  for (const { file, d } of ds) {
    const vars = new Map(d.templating.list.map((v) => [v.name, v]));
    if (vars.get('datasource')?.type !== 'datasource') problem(`${file}: no datasource variable`);
    for (const v of ['job', 'instance']) if (vars.get(v)?.type !== 'query') problem(`${file}: no ${v} variable`);
    if (!d.description) problem(`${file}: no description`);
    for (const p of panelsOf(d)) {
      const at = `${file}: panel "${p.title}"`;
      if (!p.description) problem(`${at}: no description`);
      if (!p.fieldConfig?.defaults?.unit) problem(`${at}: no unit`);
      if (p.datasource?.uid !== '${datasource}') problem(`${at}: datasource is not the variable`);
      if (!p.targets?.length) problem(`${at}: no query`);
      for (const t of p.targets ?? []) {
        if (t.datasource?.uid !== '${datasource}') problem(`${at} ${t.refId}: datasource is not the variable`);
        for (const v of ['$job', '$instance']) if (!t.expr.includes(v) && !/ALERTS/.test(t.expr)) problem(`${at} ${t.refId}: does not filter on ${v}`);
      }
    }
  }
  const overview = ds.find(({ d }) => d.uid === 'chartgate-overview');
  if (!overview) problem('no overview dashboard (uid chartgate-overview)');
  else for (const u of uids.filter((u) => u !== 'chartgate-overview')) if (!overview.d.links.some((l) => l.url === `/d/${u}`)) problem(`overview: no link to ${u}`);
  for (const r of rules(rulesDir())) {
    if (!r.alert) continue;
    const at = `${r.file}: ${r.alert}`;
    if (!r.for) problem(`${at}: no for`);
    if (!['critical', 'warning'].includes(r.labels?.severity)) problem(`${at}: severity is not critical or warning`);
    for (const a of ['summary', 'description', 'runbook_url']) if (!r.annotations?.[a]) problem(`${at}: no ${a}`);
    const rb = r.annotations?.runbook_url;
    if (rb && !(rb.startsWith('docs/runbooks/') && existsSync(join(ROOT, rb)))) problem(`${at}: runbook ${rb} is not a file under docs/runbooks/`);
  }
  finish(`lint: ${ds.length} dashboards, ${ds.reduce((n, { d }) => n + panelsOf(d).length, 0)} panels, ${rules(rulesDir()).filter((r) => r.alert).length} alerts`);
}

function promql() {
  const exprs = dashboardExprs();
  const doc = { groups: [{ name: 'dashboard-queries', rules: exprs.map((e, i) => ({ record: `dashboard:query:${i}`, expr: e.expr })) }] };
  writeFileSync(args[0], YAML.stringify(doc, { lineWidth: 0 }));
  console.log(`promql: ${exprs.length} dashboard and variable queries written to ${args[0]}`);
}

function familiesOf(scrape) {
  const types = new Map();
  for (const line of scrape.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)/.exec(line);
    if (m) types.set(m[1], m[2]);
  }
  return types;
}

function metrics() {
  const scrape = readFileSync(args[0], 'utf8');
  const families = familiesOf(scrape);
  const recorded = new Map(rules().filter((r) => r.record).map((r) => [r.record, r.expr]));
  const used = new Map(); // metric -> where
  const visit = (expr, where, depth = 0) => {
    for (const n of metricNames(expr)) {
      if (recorded.has(n)) {
        if (depth > 5) problem(`${where}: recording rules nest too deep at ${n}`);
        else visit(recorded.get(n), `${where} via ${n}`, depth + 1);
      } else if (n.includes(':')) problem(`${where}: ${n} looks like a recording rule but none records it`);
      else if (!used.has(n)) used.set(n, where);
    }
  };
  for (const { where, expr } of dashboardExprs()) visit(expr, where);
  for (const r of rules()) visit(r.expr, `${r.file}: ${r.alert ?? r.record}`);
  for (const [n, where] of used) {
    if (PROMETHEUS_SERIES.has(n)) continue;
    const base = n.replace(/_(bucket|sum|count)$/, '');
    const ok = families.has(n) || (base !== n && ['histogram', 'summary'].includes(families.get(base)));
    if (!ok) problem(`${where}: ${n} is not in the scrape`);
  }
  // docs/metrics.md: the first cell of every table row names a family.
  const doc = readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `([a-z_:][a-z0-9_:]*)` \|/gm)].map((m) => m[1]));
  for (const f of families.keys()) if (!documented.has(f)) problem(`docs/metrics.md does not list ${f}, which /metrics exports`);
  for (const f of documented) if (!families.has(f)) problem(`docs/metrics.md lists ${f}, which /metrics does not export`);
  finish(`metrics: ${used.size} metric names used by dashboards and rules, all in the scrape; docs/metrics.md lists the scrape's ${families.size} families`);
}

function exprs() {
  for (const { expr } of dashboardExprs()) console.log(JSON.stringify(expr));
}

function testCopies() {
  const [out, base, forValue] = args;
  for (const { file, doc } of ruleFiles()) {
    for (const g of doc.groups)
      for (const r of g.rules) {
        r.expr = r.expr.replaceAll('[5m]', '[30s]');
        if (r.for) r.for = forValue;
      }
    writeFileSync(join(out, file), YAML.stringify(doc, { lineWidth: 0 }));
  }
  const am = YAML.parse(readFileSync(join(ROOT, 'alerts', 'alertmanager.yml'), 'utf8'));
  am.global = { resolve_timeout: '1m' };
  Object.assign(am.route, { group_wait: '1s', group_interval: '2s', repeat_interval: '1h' });
  for (const r of am.route.routes ?? []) if (r.repeat_interval) r.repeat_interval = '1h';
  am.receivers = am.receivers.map((r) => ({ name: r.name, webhook_configs: [{ url: `${base}/${r.name}`, send_resolved: true }] }));
  writeFileSync(join(out, 'alertmanager.yml'), YAML.stringify(am, { lineWidth: 0 }));
  console.log(`test copies in ${out}: for ${forValue}, 30s windows, receivers at ${base}/<receiver>`);
}

function deploy() {
  const file = args[0] ?? join(ROOT, 'deploy', 'compose.yml');
  const base = join(ROOT, 'deploy'); // paths in the file are relative to deploy/
  const c = YAML.parse(readFileSync(file, 'utf8'));
  const services = Object.keys(c?.services ?? {});
  for (const s of ['chartgate', 'prometheus', 'alertmanager', 'grafana']) if (!services.includes(s)) problem(`compose: no ${s} service`);
  for (const [name, s] of Object.entries(c?.services ?? {}))
    for (const v of s.volumes ?? []) {
      const src = String(v).split(':')[0];
      if (src.startsWith('.') && !existsSync(join(base, src))) problem(`compose: ${name} mounts ${src}, which does not exist`);
    }
  const grafanaMounts = (c?.services?.grafana?.volumes ?? []).map(String);
  for (const { file: f } of dashboards()) if (!grafanaMounts.some((v) => v.startsWith(`../dashboards/${f}:`))) problem(`compose: grafana does not mount dashboards/${f}`);
  finish(`compose: services ${services.join(', ')}; every mounted path exists; Grafana mounts every dashboard`);
}

function finish(ok) {
  if (problems.length) {
    for (const p of problems) console.error(p);
    process.exit(1);
  }
  console.log(ok);
}

const commands = { lint, promql, metrics, exprs, deploy, 'test-copies': testCopies };
if (!commands[cmd]) {
  console.error(`usage: node check.mjs ${Object.keys(commands).join('|')} ...`);
  process.exit(2);
}
commands[cmd]();
