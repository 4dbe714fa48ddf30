/**
 * The monitoring shipped in deploy/monitoring: promtool checks and unit-tests the alert rules; every metric the rules
 * and the dashboard name is one the app serves; every runbook link lands on a heading and procedure of
 * docs/operations.md; the Grafana dashboard has the structure a provisioned dashboard needs, and its PromQL parses
 * (promtool checks it as recording rules). Without promtool its tests are skipped with how to get it (as every
 * suite whose tool or service is missing); .ci/run installs it and fails on any skip.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Histogram } from 'prom-client';
import { parse } from 'yaml';
import { Metrics } from '../src/observability/metrics.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MON = join(ROOT, 'deploy/monitoring');
const ALERTS = join(MON, 'prometheus/alerts.yml');
const ALERT_TESTS = join(MON, 'prometheus/alerts.test.yml');
const PENDING = join(MON, 'prometheus/alerts.pending.yml');
const DASHBOARD = join(MON, 'grafana/dashboards/escrow.json');
const DATASOURCES = join(MON, 'grafana/provisioning/datasources/prometheus.yml');
const DASHBOARD_PROVIDERS = join(MON, 'grafana/provisioning/dashboards/escrow.yml');
/** Why the promtool tests cannot run here, or false. */
const NO_PROMTOOL =
  spawnSync('promtool', ['--version']).error !== undefined &&
  "promtool not found: install Debian's prometheus package, which carries it (apt-get install --no-install-recommends prometheus; .ci/run does)";
/** Series Prometheus itself adds to every target. */
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
/** Labels Prometheus attaches to every scraped series. */
const TARGET_LABELS = new Set(['job', 'instance']);
const SEVERITIES = new Set(['critical', 'warning']);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface AlertTest {
  alertname: string;
  eval_time: string;
  exp_alerts?: unknown[];
}
interface TestFile {
  rule_files: string[];
  tests: { name?: string; input_series: { series: string }[]; alert_rule_test?: AlertTest[] }[];
}
interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: unknown;
  type?: unknown;
  title?: unknown;
  gridPos?: { h?: unknown; w?: unknown; x?: unknown; y?: unknown };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
}

async function promtool(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd: ROOT }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new assert.AssertionError({
            message:
              "promtool not found: install Debian's prometheus package, which carries it " +
              '(apt-get install --no-install-recommends prometheus; .ci/run does)',
          }),
        );
      } else if (err) {
        reject(new assert.AssertionError({ message: `promtool ${args.join(' ')} failed:\n${stdout}${stderr}` }));
      } else resolve(stdout + stderr);
    });
  });
}

const readYaml = async <T>(path: string): Promise<T> => parse(await readFile(path, 'utf8')) as T;
const alertRules = (f: RuleFile): Rule[] => f.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);

/** Grafana's built-in interval variables, given a value promtool can parse. */
const withIntervals = (expr: string): string => expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');

/** The metric names an expression selects (label matchers, ranges, label lists, functions and keywords left out). */
function metricNames(expr: string): string[] {
  const bare = withIntervals(expr)
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
  const names: string[] = [];
  for (const m of bare.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*/g)) {
    const rest = bare.slice(m.index + m[0].length);
    if (!/^\s*\(/.test(rest) && !keywords.has(m[0].toLowerCase())) names.push(m[0]);
  }
  return names;
}

/** Each `name{label op "value", ...}` selector's metric and label names. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  return [...expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)].map((m) => ({
    metric: m[1]!,
    labels: [...m[2]!.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!),
  }));
}

/** What /metrics serves: every series name (histograms' _bucket/_sum/_count) and each one's label names. */
function served(): Map<string, Set<string>> {
  const { registry } = new Metrics();
  const out = new Map<string, Set<string>>();
  for (const { name } of registry.getMetricsAsArray()) {
    const metric = registry.getSingleMetric(name);
    const labels = new Set((metric as unknown as { labelNames?: readonly string[] }).labelNames ?? []);
    if (metric instanceof Histogram) {
      out.set(`${name}_bucket`, new Set([...labels, 'le']));
      out.set(`${name}_sum`, labels);
      out.set(`${name}_count`, labels);
    } else out.set(name, labels);
  }
  return out;
}

/** GitHub's anchor of a Markdown heading. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

/** A document's sections: anchor → the text up to the next heading of the same or a higher level. */
function sections(markdown: string): Map<string, string> {
  const lines = markdown.split('\n');
  const out = new Map<string, string>();
  lines.forEach((line, i) => {
    const h = /^(#{1,6}) (.+)$/.exec(line);
    if (!h) return;
    const level = h[1]!.length;
    const end = lines.findIndex((l, j) => j > i && /^#{1,6} /.test(l) && l.indexOf(' ') <= level);
    out.set(slug(h[2]!), lines.slice(i + 1, end === -1 ? undefined : end).join('\n'));
  });
  return out;
}

describe('monitoring: the Prometheus rules', () => {
  let rules: RuleFile;
  let tests: TestFile;
  let metrics: Map<string, Set<string>>;
  before(async () => {
    rules = await readYaml<RuleFile>(ALERTS);
    tests = await readYaml<TestFile>(ALERT_TESTS);
    metrics = served();
  });

  it('promtool check rules passes on the loaded and the pending rules', { skip: NO_PROMTOOL }, async () => {
    const out = await promtool('check', 'rules', ALERTS, PENDING);
    assert.match(out, /SUCCESS: \d+ rules found/);
  });

  it('promtool test rules passes (each alert over and under its threshold)', { skip: NO_PROMTOOL }, async () => {
    assert.match(await promtool('test', 'rules', ALERT_TESTS), /SUCCESS/);
  });

  it(
    'promtool check config passes on the example prometheus.yml, which loads alerts.yml',
    { skip: NO_PROMTOOL },
    async () => {
      const config = await readYaml<{ rule_files: string[] }>(join(MON, 'prometheus/prometheus.yml'));
      assert.deepEqual(config.rule_files, ['alerts.yml']);
      await promtool('check', 'config', join(MON, 'prometheus/prometheus.yml'));
    },
  );

  it('every alert has a severity, a summary, a description and a runbook link', () => {
    const all = alertRules(rules);
    assert.ok(all.length >= 15, `${all.length} alerts`);
    assert.equal(new Set(all.map((r) => r.alert)).size, all.length, 'alert names are unique');
    for (const r of all) {
      assert.ok(SEVERITIES.has(r.labels?.severity ?? ''), `${r.alert}: severity critical or warning`);
      for (const a of ['summary', 'description', 'runbook_url', 'runbook_section']) {
        assert.ok(r.annotations?.[a], `${r.alert}: annotation ${a}`);
      }
      assert.match(r.expr, /job="escrow"/, `${r.alert}: selects the escrow job`);
    }
  });

  it('every runbook link lands on a heading of its document, and the procedure named is under it', async () => {
    for (const r of alertRules(rules)) {
      const [file, anchor] = r.annotations!.runbook_url!.split('#');
      assert.ok(file && anchor, `${r.alert}: runbook_url is path#anchor`);
      const doc = sections(await readFile(join(ROOT, file), 'utf8'));
      const section = doc.get(anchor);
      assert.ok(section !== undefined, `${r.alert}: ${file} has no heading with anchor #${anchor}`);
      const procedure = r.annotations!.runbook_section!;
      assert.ok(section.includes(`**${procedure}`), `${r.alert}: "${procedure}" is not a procedure under #${anchor}`);
    }
  });

  it('every alert is tested firing and not firing', () => {
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const r of alertRules(rules)) {
      const mine = cases.filter((c) => c.alertname === r.alert);
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${r.alert}: no test where it fires`,
      );
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${r.alert}: no test where it stays quiet`,
      );
    }
    assert.deepEqual(tests.rule_files, ['alerts.yml']);
  });

  it('every metric the rules and their tests name is served by /metrics, with the labels they select', () => {
    const exprs = alertRules(rules).map((r) => r.expr);
    const seriesNames = tests.tests.flatMap((t) => t.input_series.map((s) => s.series));
    assertServed(metrics, [...exprs, ...seriesNames]);
  });
});

/** Every metric in these expressions is served (or Prometheus's own), and every label matcher names a real label. */
function assertServed(metrics: Map<string, Set<string>>, exprs: string[]): void {
  for (const expr of exprs) {
    for (const name of metricNames(expr)) {
      assert.ok(metrics.has(name) || SYNTHETIC.has(name), `${name} (in ${expr}) is not served by /metrics`);
    }
    const inExpr = new Set([...TARGET_LABELS]);
    for (const { metric, labels } of selectors(expr)) {
      const known = metrics.get(metric);
      if (!known) continue;
      for (const l of known) inExpr.add(l);
      for (const l of labels) {
        assert.ok(known.has(l) || TARGET_LABELS.has(l), `${metric} has no label ${l} (in ${expr})`);
      }
    }
    // by (...), without (...), on (...), ignoring (...): labels one of the expression's metrics has
    for (const list of expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)) {
      for (const l of list[1]!.split(',').map((s) => s.trim())) {
        assert.ok(l === '' || inExpr.has(l), `no metric of ${expr} has the label ${l}`);
      }
    }
  }
}

describe('monitoring: the Grafana dashboard', () => {
  let dashboard: Record<string, unknown>;
  let panels: Panel[];
  let datasourceUid: string;
  let dir: string;
  before(async () => {
    dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Record<string, unknown>;
    panels = dashboard.panels as Panel[];
    const ds = await readYaml<{ apiVersion: number; datasources: { uid: string; type: string }[] }>(DATASOURCES);
    assert.equal(ds.apiVersion, 1);
    const prometheus = ds.datasources.find((d) => d.type === 'prometheus');
    assert.ok(prometheus, 'a Prometheus datasource is provisioned');
    datasourceUid = prometheus.uid;
    dir = await mkdtemp(join(tmpdir(), 'escrow-dashboard-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is provisioned from its directory', async () => {
    const p = await readYaml<{ apiVersion: number; providers: { type: string; options: { path: string } }[] }>(
      DASHBOARD_PROVIDERS,
    );
    assert.equal(p.apiVersion, 1);
    assert.equal(p.providers[0]?.type, 'file');
    assert.ok(p.providers[0]?.options.path, 'the provider names the directory it loads');
    assert.ok(existsSync(DASHBOARD));
  });

  it('has what Grafana needs of a provisioned dashboard: uid, title, schemaVersion, panels', () => {
    assert.match(String(dashboard.uid), /^[A-Za-z0-9_-]{1,40}$/);
    assert.equal(typeof dashboard.title, 'string');
    assert.ok(Number.isInteger(dashboard.schemaVersion) && (dashboard.schemaVersion as number) >= 36);
    assert.equal(dashboard.id ?? null, null, 'no database id: provisioning assigns one');
    assert.ok(Array.isArray((dashboard.templating as { list?: unknown }).list));
    assert.ok(Array.isArray(panels) && panels.length >= 20, `${panels.length} panels`);
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
  });

  it('lays every panel out on the 24-column grid without overlaps', () => {
    const boxes = panels.map((p) => {
      const { h, w, x, y } = p.gridPos ?? {};
      for (const v of [h, w, x, y]) assert.ok(Number.isInteger(v) && (v as number) >= 0, `panel ${String(p.id)}`);
      const b = { h: h as number, w: w as number, x: x as number, y: y as number, id: p.id };
      assert.ok(b.w > 0 && b.x + b.w <= 24, `panel ${String(p.id)} fits the 24 columns`);
      return b;
    });
    for (const a of boxes) {
      for (const b of boxes) {
        if (a === b) continue;
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        assert.ok(apart, `panels ${String(a.id)} and ${String(b.id)} overlap`);
      }
    }
  });

  it('queries the provisioned datasource from every panel, each target with a refId and an expression', () => {
    for (const p of panels) {
      assert.equal(typeof p.title, 'string');
      assert.ok(['row', 'timeseries', 'stat', 'gauge', 'table', 'bargauge'].includes(String(p.type)));
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, datasourceUid, `panel ${String(p.title)}: datasource`);
      assert.ok(p.targets && p.targets.length > 0, `panel ${String(p.title)}: targets`);
      assert.equal(new Set(p.targets.map((t) => t.refId)).size, p.targets.length, 'refIds are unique');
      for (const t of p.targets) {
        assert.match(t.refId ?? '', /^[A-Z]$/);
        assert.ok(t.expr && t.expr.trim() !== '', `panel ${String(p.title)}: expr`);
        assert.equal(t.datasource?.uid, datasourceUid, `panel ${String(p.title)}: target datasource`);
        assert.equal(t.datasource?.type, 'prometheus');
      }
    }
  });

  it(
    'every panel expression is valid PromQL (promtool checks them as recording rules)',
    { skip: NO_PROMTOOL },
    async () => {
      const recorded = panels.flatMap((p) =>
        (p.targets ?? []).map((t) => ({
          record: `dashboard:panel_${String(p.id)}_${t.refId}`,
          expr: withIntervals(t.expr!),
        })),
      );
      for (const r of recorded) assert.doesNotMatch(r.expr, /\$/, `${r.record}: an unknown Grafana variable`);
      const file = join(dir, 'dashboard.rules.yml');
      await writeFile(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: recorded }] }));
      const out = await promtool('check', 'rules', file);
      assert.match(out, new RegExp(`SUCCESS: ${recorded.length} rules found`));
    },
  );

  it('every metric the dashboard queries is served by /metrics, with the labels it selects', () => {
    assertServed(
      served(),
      panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr!)),
    );
  });
});
