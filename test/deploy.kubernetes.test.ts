/**
 * The Kubernetes manifests of deploy/kubernetes: each kustomization renders with `kubectl kustomize` (kubectl's
 * built-in kustomize; no cluster), every rendered document validates against the Kubernetes schemas
 * (kubernetes-models), and the rules of the deployment hold: a Deployment per role running `serve --roles <role>`
 * with its probes, metrics port and annotations, resources, the ConfigMap and the Secret, non-root and read-only;
 * the api's Service, HPA and PDB; the migration Job before the roll-out with the same image and configuration; every
 * variable of base/escrow.env in the ConfigMap and every one of secrets.env.example one the code reads. kubectl
 * missing is a failure, not a skip: CI installs it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { ROLES, type RoleName } from '../src/composition/types.js';
import { loadConfig } from '../src/config/index.js';
import { suite } from './services.js';
import { schema } from '../src/config/schema.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const K8S = join(ROOT, 'deploy/kubernetes');
const ESCROW_ENV = join(K8S, 'base/escrow.env');
const SECRETS_EXAMPLE = join(K8S, 'secrets.env.example');
const IMAGE = 'ghcr.io/escrow-services/escrow';
/** The image's WORKDIR (Dockerfile): relative paths of the configuration (DATA_DIR's ./data) start there. */
const WORKDIR = '/app';
const SECRET_NAME = 'escrow-secrets';
/** The roll-outs and, for each, its pre-roll-out step (the Jobs with the same ConfigMap). */
const VIEWS = {
  base: { app: 'base', migrate: 'migrate', jobs: ['escrow-migrate'] },
  production: {
    app: 'overlays/production',
    migrate: 'overlays/production/migrate',
    jobs: ['escrow-migrate', 'escrow-kafka-topics'],
  },
} as const;
/** Read by the AWS SDK's credential chain (README: AWS_S3_BUCKET), not by the configuration schema. */
const SDK_VARIABLES = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);

interface EnvVar {
  name: string;
  value?: string;
}
interface Probe {
  httpGet?: { path?: string; port?: string | number };
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    securityContext?: Record<string, unknown> & { seccompProfile?: { type?: string } };
    volumes?: { name: string; emptyDir?: object }[];
    terminationGracePeriodSeconds?: number;
    serviceAccountName?: string;
  };
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown> & {
    replicas?: number;
    selector?: Record<string, unknown> & { matchLabels?: Record<string, string> };
    template?: PodTemplate;
  };
  data?: Record<string, string>;
}

type Model = new (data: never) => { validate(): void };
/** The schema of each kind the manifests may hold; anything else is refused. */
const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Throws when `doc` breaks its kind's schema, or is of a kind without one here. */
function validate(doc: Doc): void {
  const model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!model) throw new Error(`${doc.apiVersion} ${doc.kind} ${doc.metadata?.name}: no schema here for this kind`);
  new model(doc as never).validate();
}

/** KEY=value lines (comments and blank lines skipped) in order; a line without `=` is refused. */
function envFile(path: string): Map<string, string> {
  if (!existsSync(path)) {
    assert.fail(
      `${path.slice(ROOT.length)} is missing: it is generated from the configuration schema ` +
        '(base/escrow.env: every non-secret variable as KEY=value, an empty value unset; ' +
        'secrets.env.example: every secret variable, empty). Generate it before rendering the manifests.',
    );
  }
  const out = new Map<string, string>();
  for (const [i, raw] of readFileSync(path, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    assert.ok(m, `${path.slice(ROOT.length)}:${i + 1}: not a KEY=value line: ${line}`);
    assert.ok(!out.has(m[1]!), `${path.slice(ROOT.length)}:${i + 1}: ${m[1]} repeated`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

const rendered = new Map<string, Doc[]>();
/** `kubectl kustomize <dir>`'s documents (once per directory). */
function render(dir: string): Doc[] {
  const cached = rendered.get(dir);
  if (cached) return cached;
  envFile(ESCROW_ENV); // a clear message first, rather than kustomize's
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', join(K8S, dir)], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      assert.fail('kubectl not found on PATH: install kubectl (1.27 or later, kustomize built in); CI installs it');
    }
    assert.fail(`kubectl kustomize ${dir} failed:\n${e.stderr ?? e.message}`);
  }
  const docs = parseAllDocuments(out).map((d) => d.toJS() as Doc);
  rendered.set(dir, docs);
  return docs;
}

const ofKind = (docs: Doc[], kind: string): Doc[] => docs.filter((d) => d.kind === kind);
function one(docs: Doc[], kind: string, name: string): Doc {
  const found = docs.filter((d) => d.kind === kind && d.metadata.name === name);
  assert.equal(found.length, 1, `${kind} ${name}: expected once, found ${found.length} times`);
  return found[0]!;
}
const configMap = (docs: Doc[]): Doc => {
  const maps = ofKind(docs, 'ConfigMap').filter((d) => d.metadata.name.startsWith('escrow-config'));
  assert.equal(maps.length, 1, 'one escrow-config ConfigMap');
  return maps[0]!;
};
const template = (d: Doc): PodTemplate => {
  assert.ok(d.spec?.template, `${d.kind} ${d.metadata.name}: no pod template`);
  return d.spec.template;
};
const container = (d: Doc): Container => {
  const containers = template(d).spec.containers;
  assert.equal(containers.length, 1, `${d.metadata.name}: one container`);
  return containers[0]!;
};
/** What the process sees: the ConfigMap's values, then the container's own env (which wins); empty = unset. */
function effectiveEnv(c: Container, cm: Doc): Record<string, string> {
  const env: Record<string, string> = { ...cm.data };
  for (const e of c.env ?? []) env[e.name] = e.value ?? '';
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
}
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** The pod-level rules every workload keeps: configuration, non-root, read-only with a /tmp volume, resources. */
function assertPodRules(d: Doc, cmName: string): void {
  const where = `${d.kind} ${d.metadata.name}`;
  const pod = template(d).spec;
  const c = container(d);
  assert.equal(c.image?.split(/[:@]/)[0], IMAGE, `${where}: the one image`);
  assert.equal(c.command, undefined, `${where}: no command (the image's entrypoint, tini, stays); args only`);
  assert.deepEqual(
    (c.envFrom ?? []).map((e) => e.configMapRef?.name ?? `secret:${e.secretRef?.name}`),
    [cmName, `secret:${SECRET_NAME}`],
    `${where}: envFrom the generated ConfigMap, then the Secret`,
  );
  for (const kind of ['requests', 'limits'] as const) {
    for (const r of ['cpu', 'memory']) assert.ok(c.resources?.[kind]?.[r], `${where}: resources.${kind}.${r}`);
  }
  const sc = { ...pod.securityContext, ...c.securityContext };
  assert.equal(sc.runAsNonRoot, true, `${where}: runAsNonRoot`);
  assert.equal(sc.runAsUser, 1000, `${where}: runs as uid 1000 (node)`);
  assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${where}: read-only root file system`);
  assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${where}: no privilege escalation`);
  assert.ok(c.securityContext?.capabilities?.drop?.includes('ALL'), `${where}: drops ALL capabilities`);
  const seccomp =
    (c.securityContext?.seccompProfile as { type?: string } | undefined) ?? pod.securityContext?.seccompProfile;
  assert.equal(seccomp?.type, 'RuntimeDefault', `${where}: seccomp RuntimeDefault`);
  const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
  assert.ok(tmp && pod.volumes?.find((v) => v.name === tmp.name)?.emptyDir, `${where}: an emptyDir at /tmp`);
  const volumes = new Set(pod.volumes?.map((v) => v.name));
  for (const m of c.volumeMounts ?? []) assert.ok(volumes.has(m.name), `${where}: volume ${m.name} is declared`);
}

/**
 * The root file system is read-only: without AWS_S3_BUCKET the local file store (FILES_DIR, by default
 * DATA_DIR/files) must be on a mounted emptyDir, or the process fails at start creating it.
 */
function assertWritableFiles(d: Doc, cm: Doc): void {
  const c = container(d);
  const env = effectiveEnv(c, cm);
  if (env.AWS_S3_BUCKET) return;
  const dir = posix.resolve(WORKDIR, env.FILES_DIR ?? posix.join(env.DATA_DIR ?? './data', 'files'));
  const mount = c.volumeMounts?.find((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath}/`));
  const volume = template(d).spec.volumes?.find((v) => v.name === mount?.name);
  assert.ok(volume?.emptyDir, `${d.kind} ${d.metadata.name}: the local file store ${dir} is on a writable volume`);
}

/** The port a role serves /metrics and its probes on: the api's PORT, every other role's METRICS_PORT. */
const portOf = (role: RoleName) => (role === 'api' ? { name: 'http', port: 3000 } : { name: 'metrics', port: 9464 });

function assertRole(docs: Doc[], role: RoleName): void {
  const d = one(docs, 'Deployment', `escrow-${role}`);
  const where = `Deployment escrow-${role}`;
  const cm = configMap(docs);
  assertPodRules(d, cm.metadata.name);
  assertWritableFiles(d, cm);
  const c = container(d);
  assert.deepEqual(c.args, ['node', 'dist/cli/index.js', 'serve', '--roles', role], `${where}: serve --roles ${role}`);
  const { name, port } = portOf(role);
  assert.deepEqual(
    c.ports?.map((p) => [p.name, p.containerPort]),
    [[name, port]],
    `${where}: container port ${name}`,
  );
  for (const [probe, path] of [
    ['livenessProbe', '/health/live'],
    ['readinessProbe', '/health/ready'],
  ] as const) {
    const get = c[probe]?.httpGet;
    assert.equal(get?.path, path, `${where}: ${probe} path`);
    assert.ok(get?.port === name || get?.port === port, `${where}: ${probe} on ${name} (${String(get?.port)})`);
  }
  const env = effectiveEnv(c, cm);
  if (role === 'api') assert.equal(env.PORT ?? '3000', '3000', `${where}: PORT is the container port`);
  else {
    assert.equal(c.env?.find((e) => e.name === 'METRICS_PORT')?.value, '9464', `${where}: env METRICS_PORT=9464`);
    assert.equal(env.METRICS_PORT, '9464', `${where}: METRICS_PORT in effect`);
  }
  const t = template(d);
  assert.deepEqual(
    [t.metadata?.annotations?.['prometheus.io/scrape'], t.metadata?.annotations?.['prometheus.io/port']],
    ['true', String(port)],
    `${where}: scrape annotations on the metrics port`,
  );
  assert.equal(t.metadata?.annotations?.['prometheus.io/path'], '/metrics', `${where}: prometheus.io/path`);
  const labels = t.metadata?.labels ?? {};
  assert.equal(labels['app.kubernetes.io/name'], 'escrow', `${where}: app.kubernetes.io/name`);
  assert.equal(labels['app.kubernetes.io/component'], role, `${where}: app.kubernetes.io/component`);
  assert.ok(labels['app.kubernetes.io/part-of'], `${where}: app.kubernetes.io/part-of`);
  assert.ok(selects(d.spec?.selector?.matchLabels, labels), `${where}: its selector matches its pods`);
  const grace = t.spec.terminationGracePeriodSeconds ?? 30;
  const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
  assert.ok(grace >= 30 && grace > preStop + 20, `${where}: ${grace} s to stop gracefully (preStop ${preStop} s)`);
  const pdbs = ofKind(docs, 'PodDisruptionBudget').filter((p) => selects(p.spec?.selector?.matchLabels, labels));
  assert.equal(pdbs.length, 1, `${where}: one PodDisruptionBudget`);
}

function assertApiExposure(docs: Doc[]): void {
  const labels = template(one(docs, 'Deployment', 'escrow-api')).metadata?.labels;
  const svc = one(docs, 'Service', 'escrow-api');
  assert.ok(selects(svc.spec?.selector as Record<string, string>, labels), 'the Service selects the api pods');
  assert.deepEqual(
    (svc.spec?.ports as { targetPort?: unknown }[]).map((p) => p.targetPort),
    ['http'],
    'the Service targets the api port',
  );
  const hpa = one(docs, 'HorizontalPodAutoscaler', 'escrow-api');
  assert.deepEqual(hpa.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'escrow-api' });
  const metrics = hpa.spec?.metrics as { type: string; resource?: { name: string } }[];
  assert.ok(
    metrics.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu'),
    'the HPA scales on CPU',
  );
  assert.equal(one(docs, 'Deployment', 'escrow-api').spec?.replicas, undefined, 'the HPA owns the api replicas');
}

suite('deploy/kubernetes', ['kubectl'], () => {
  it('kubectl renders every kustomization, and every document validates against the Kubernetes schemas', () => {
    for (const { app, migrate } of Object.values(VIEWS)) {
      for (const dir of [app, migrate]) {
        const docs = render(dir);
        assert.ok(docs.length > 0, `${dir}: renders documents`);
        for (const d of docs) {
          try {
            validate(d);
          } catch (err) {
            assert.fail(`${dir}: ${d.kind} ${d.metadata?.name}: ${(err as Error).message}`);
          }
        }
        assert.equal(ofKind(docs, 'Secret').length, 0, `${dir}: no Secret committed (created out of band)`);
      }
    }
  });

  it('the validator catches a broken document, and refuses a kind it has no schema for', () => {
    const api = structuredClone(one(render(VIEWS.base.app), 'Deployment', 'escrow-api'));
    validate(api); // the unbroken one passes
    const broken = structuredClone(api);
    (container(broken).ports![0] as { containerPort: unknown }).containerPort = '3000';
    assert.throws(() => validate(broken), /containerPort must be integer/);
    assert.throws(() => validate({ ...api, kind: 'Deploymnet' }), /no schema here for this kind/);
  });

  for (const [view, { app }] of Object.entries(VIEWS)) {
    it(`${view}: a Deployment per role, serving its probes and metrics, configured, non-root and read-only`, () => {
      const docs = render(app);
      assert.deepEqual(
        ofKind(docs, 'Deployment')
          .map((d) => d.metadata.name)
          .sort(),
        ROLES.map((r) => `escrow-${r}`).sort(),
        'exactly one Deployment per role of the code',
      );
      for (const role of ROLES) assertRole(docs, role);
      assertApiExposure(docs);
    });

    it(`${view}: the migration Job runs before the roll-out with the roll-out's image, namespace and ConfigMap`, () => {
      const appDocs = render(app);
      const docs = render(VIEWS[view as keyof typeof VIEWS].migrate);
      const jobs = VIEWS[view as keyof typeof VIEWS].jobs;
      assert.deepEqual(ofKind(appDocs, 'Job'), [], 'the roll-out holds no Job (a Job runs before it)');
      assert.deepEqual(
        docs.filter((d) => !['ConfigMap', 'ServiceAccount', 'Namespace', 'Job'].includes(d.kind)).map((d) => d.kind),
        [],
        'the pre-roll-out step holds no workload',
      );
      const apiPod = container(one(appDocs, 'Deployment', 'escrow-api'));
      const cm = configMap(docs);
      assert.deepEqual(cm, configMap(appDocs), 'the same ConfigMap (name and data) as the roll-out');
      const migrate = one(docs, 'Job', 'escrow-migrate');
      assert.deepEqual(container(migrate).args, ['node', 'dist/cli/index.js', 'migrate']);
      assert.deepEqual(
        ofKind(docs, 'Job')
          .map((j) => j.metadata.name)
          .sort(),
        [...jobs].sort(),
      );
      for (const job of ofKind(docs, 'Job')) {
        assertPodRules(job, cm.metadata.name);
        assertWritableFiles(job, cm);
        assert.equal(container(job).image, apiPod.image, `${job.metadata.name}: the release's image`);
        const ns = one(appDocs, 'Deployment', 'escrow-api').metadata.namespace;
        assert.equal(job.metadata.namespace, ns, `${job.metadata.name}: the roll-out's namespace`);
        const sa = template(job).spec.serviceAccountName;
        assert.ok(sa && docs.some((d) => d.kind === 'ServiceAccount' && d.metadata.name === sa), 'its ServiceAccount');
      }
      if (jobs.length > 1) {
        assert.deepEqual(container(one(docs, 'Job', 'escrow-kafka-topics')).args, [
          'node',
          'dist/cli/index.js',
          'kafka',
          'create-topics',
        ]);
      }
    });
  }

  it('production: its namespace, a pinned image tag, replicas per docs/scaling.md and production values', () => {
    const docs = render(VIEWS.production.app);
    for (const d of docs.filter((x) => x.kind !== 'Namespace')) {
      assert.equal(d.metadata.namespace, 'escrow', `${d.kind} ${d.metadata.name}: namespace`);
    }
    assert.ok(
      docs.some((d) => d.kind === 'Namespace' && d.metadata.name === 'escrow'),
      'the Namespace',
    );
    for (const d of ofKind(docs, 'Deployment')) {
      const tag = /^ghcr\.io\/escrow-services\/escrow:([\w.-]+)$/.exec(container(d).image ?? '')?.[1];
      assert.ok(tag && tag !== 'latest', `${d.metadata.name}: a pinned tag (${container(d).image})`);
    }
    const hpa = one(docs, 'HorizontalPodAutoscaler', 'escrow-api').spec!;
    assert.ok((hpa.minReplicas as number) >= 2 && (hpa.maxReplicas as number) > (hpa.minReplicas as number));
    const replicas = (role: RoleName) => one(docs, 'Deployment', `escrow-${role}`).spec?.replicas ?? 1;
    assert.ok(replicas('worker') >= 2 && replicas('worker') <= 6, 'workers: 2 up to the 6 partitions');
    for (const role of ['outbox', 'timeouts', 'settlements', 'reconciler', 'webhooks'] as const) {
      assert.ok(replicas(role) >= 1 && replicas(role) <= 3, `${role}: 1-3 replicas`);
    }
    const cm = configMap(docs).data ?? {};
    assert.equal(cm.NODE_ENV, 'production');
    assert.ok(cm.KAFKA_BROKERS, 'Kafka mode');
    assert.ok(cm.AWS_S3_BUCKET, 'files shared by the api replicas (S3)');
  });

  it('every variable of base/escrow.env is in the ConfigMap, and every value set is one the schema accepts', () => {
    const base = envFile(ESCROW_ENV);
    const known = new Set(Object.keys(schema.shape));
    for (const key of base.keys()) assert.ok(known.has(key), `base/escrow.env: ${key} is no variable of the code`);
    for (const { app, migrate } of Object.values(VIEWS)) {
      const docs = render(app);
      const cm = configMap(docs).data ?? {};
      for (const key of base.keys()) assert.ok(key in cm, `${app}: ${key} of base/escrow.env in the ConfigMap`);
      for (const key of Object.keys(cm)) assert.ok(known.has(key), `${app}: ConfigMap key ${key} is no variable`);
      for (const d of [...ofKind(docs, 'Deployment'), ...ofKind(render(migrate), 'Job')]) {
        for (const [key, value] of Object.entries(effectiveEnv(container(d), configMap(docs)))) {
          const field = (schema.shape as Record<string, { safeParse(v: string): { success: boolean } }>)[key];
          assert.ok(field, `${d.metadata.name}: ${key} is no variable of the code`);
          assert.ok(field.safeParse(value).success, `${app} ${d.metadata.name}: ${key}=${value} is refused`);
        }
      }
    }
  });

  it('secrets.env.example lists secret variables the code reads, without values; with escrow.env, all of them', () => {
    const secrets = envFile(SECRETS_EXAMPLE);
    const base = envFile(ESCROW_ENV);
    const known = new Set(Object.keys(schema.shape));
    assert.ok(secrets.has('DATABASE_URL') && secrets.has('JWT_SECRET'), 'DATABASE_URL and JWT_SECRET are secrets');
    for (const [key, value] of secrets) {
      assert.ok(known.has(key) || SDK_VARIABLES.has(key), `secrets.env.example: ${key} is no variable of the code`);
      assert.equal(value, '', `secrets.env.example: ${key} has a value (none are committed)`);
      assert.ok(!base.has(key), `${key} is in both base/escrow.env and secrets.env.example`);
    }
    const missing = [...known].filter((k) => !base.has(k) && !secrets.has(k));
    assert.deepEqual(missing, [], 'every variable of the configuration is in escrow.env or secrets.env.example');
  });

  it("every role's environment is a valid configuration, given the secrets its rails need", () => {
    const secrets = envFile(SECRETS_EXAMPLE);
    const fake: Record<string, string> = {
      DATABASE_URL: 'postgres://escrow:placeholder@postgres.example.internal:5432/escrow',
      JWT_SECRET: 'j'.repeat(64),
      STRIPE_SECRET_KEY: 'sk_live_placeholder',
      STRIPE_WEBHOOK_SECRET: 'whsec_placeholder',
    };
    for (const key of Object.keys(fake)) assert.ok(secrets.has(key), `secrets.env.example lists ${key}`);
    for (const [view, { app, migrate }] of Object.entries(VIEWS)) {
      const docs = render(app);
      const workloads = [...ofKind(docs, 'Deployment'), ...ofKind(render(migrate), 'Job')];
      for (const d of workloads) {
        const env = { ...effectiveEnv(container(d), configMap(docs)), ...fake };
        if (view === 'base') {
          // the base is production (the image's NODE_ENV) and chooses no rail: alone it refuses to start, naming why
          assert.equal(env.NODE_ENV, 'production', `base ${d.metadata.name}: the image's NODE_ENV is not hidden`);
          assert.throws(() => loadConfig(env), /ESCROW_RAILS: SANDBOX is disabled in production/);
          env.ESCROW_RAILS = 'STRIPE'; // what an overlay chooses
        }
        let config: ReturnType<typeof loadConfig>;
        try {
          config = loadConfig(env);
        } catch (err) {
          assert.fail(`${view} ${d.metadata.name}: ${(err as Error).message}`);
        }
        assert.equal(config.database.mode, 'postgres', `${view} ${d.metadata.name}: PostgreSQL`);
        assert.equal(config.nodeEnv, 'production', `${view} ${d.metadata.name}: production`);
        if (view === 'production') {
          assert.ok(config.kafka, `${d.metadata.name}: Kafka mode`);
        }
      }
    }
  });
});
