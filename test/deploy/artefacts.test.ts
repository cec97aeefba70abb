/**
 * The deployment files (Dockerfile, compose.yaml, the Helm chart), read as
 * files: no container engine, Helm or kubeconform runs on these machines
 * (neither npm nor Debian ships Helm or kubeconform). What a render would
 * catch first is checked here instead: the YAML parses, every value a
 * template names exists and every value is used, the hardening settings are
 * those documented, and every variable set is one the server reads.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.ts';

const repo = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(repo, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; scripts: Record<string, string> };

/** The variables of README.md's Configuration table: every one the server reads. */
const configurationTable =
  read('README.md')
    .split(/^## Configuration$/m)[1]
    ?.split(/^## /m)[0] ?? '';
const documentedVariables = new Set(
  [...configurationTable.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1] as string),
);

type Yaml = Record<string, unknown>;
const asMap = (value: unknown): Yaml => (value ?? {}) as Yaml;

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const stages = text.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1) ?? '';

  it('builds in one stage and runs from a second, on Node 24 LTS pinned by digest', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(text)?.[1] ?? '';
    expect(image).toMatch(/^node:24\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/);
    for (const stage of stages) expect(stage.split('\n')[0]).toMatch(/^\$\{NODE_IMAGE\}( AS \w+)?$/);
  });

  it('copies only the production dependencies and the build into the runtime stage', () => {
    const copies = [...runtime.matchAll(/^COPY (.*)$/gm)].map((m) => m[1]);
    expect(copies).toEqual([
      '--from=build --chown=root:root /app/node_modules ./node_modules',
      '--from=build --chown=root:root /app/dist ./dist',
    ]);
    const build = stages.slice(0, -1).join('\n');
    expect(build).toContain('npm prune --omit=dev --omit=optional');
    expect(build).toContain('scripts/prune-production.ts');
    expect(runtime).not.toMatch(/tsx|typescript|npm (ci|install)/);
  });

  it('runs npm start’s entry as a non-root user, in production, with a health check on /readyz', () => {
    const entry = /node (\S+\.js)$/.exec(pkg.scripts.start ?? '')?.[1];
    expect(runtime).toContain(`CMD ["node", "${entry}"]`);
    expect(/^USER (\S+)$/m.exec(runtime)?.[1]).toBe('node');
    expect(runtime).toMatch(/^ENV NODE_ENV=production/m);
    expect(runtime).toMatch(/^HEALTHCHECK [\s\S]*\/readyz/m);
    // Writable: the data volume only (the root filesystem may be read-only).
    expect(/^VOLUME \["(\S+)"\]$/m.exec(runtime)?.[1]).toBe('/app/data');
  });

  it('leaves out of the build context what the image must not hold', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const path of ['node_modules', 'dist', 'data', 'deploy/secrets', '.env']) expect(ignored).toContain(path);
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as Yaml;
  const services = asMap(compose.services);
  const secrets = asMap(compose.secrets);
  const apis = Object.keys(services).filter((name) => name.startsWith('api-'));
  const dir = mkdtempSync(join(tmpdir(), 'grc-compose-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs two API instances, PostgreSQL and the proxy', () => {
    expect(Object.keys(services).sort()).toEqual(['api-1', 'api-2', 'postgres', 'proxy']);
  });

  it.each(Object.keys(services))('hardens %s: read-only, no capabilities, no privilege escalation, limits', (name) => {
    const service = asMap(services[name]);
    expect(service.read_only).toBe(true);
    expect(service.cap_drop).toEqual(['ALL']);
    expect(service.security_opt).toContain('no-new-privileges:true');
    const limits = asMap(asMap(asMap(service.deploy).resources).limits);
    expect(limits).toMatchObject({ cpus: expect.any(String), memory: expect.any(String), pids: expect.any(Number) });
  });

  it.each(apis)('%s: secrets as files, a grace period above drain and shutdown, a health check on /readyz', (name) => {
    const service = asMap(services[name]);
    const env = asMap(service.environment) as Record<string, string>;
    for (const plain of ['ADMIN_PASSWORD', 'DATABASE_URL', 'JWT_SIGNING_KEYS', 'POSTGRES_PASSWORD']) {
      expect(env[plain], plain).toBeUndefined();
    }
    const mounted = service.secrets as string[];
    for (const [variable, path] of Object.entries(env).filter(([k]) => k.endsWith('_FILE'))) {
      const secret = /^\/run\/secrets\/(\w+)$/.exec(path)?.[1] ?? '';
      expect(mounted, variable).toContain(secret);
      expect(Object.keys(secrets), variable).toContain(secret);
    }
    expect(env).toMatchObject({
      ADMIN_PASSWORD_FILE: expect.any(String),
      DATABASE_URL_FILE: expect.any(String),
      JWT_KEY_FILE: expect.any(String),
    });
    const grace = Number(/^(\d+)s$/.exec(String(service.stop_grace_period))?.[1]);
    expect(grace * 1000).toBeGreaterThan(Number(env.SHUTDOWN_DRAIN_MS) + Number(env.SHUTDOWN_TIMEOUT_MS));
    expect((asMap(service.healthcheck).test as string[]).join(' ')).toContain('/readyz');
    expect(service.tmpfs).toEqual(['/tmp']);
  });

  it('sets only variables the server reads, and values it accepts', () => {
    const env = asMap(asMap(services['api-1']).environment) as Record<string, string>;
    for (const name of Object.keys(env)) expect(documentedVariables, name).toContain(name);
    // Compose's `${NAME:-default}` as compose would fill it in, and each secret as a file.
    const filled = Object.fromEntries(
      Object.entries(env).map(([name, value]) => {
        const interpolated = value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');
        if (!name.endsWith('_FILE')) return [name, interpolated];
        const content = { DATABASE_URL_FILE: 'postgresql://grc:pw@postgres:5432/grc' }[name] ?? 'a long secret value';
        const file = join(dir, name);
        writeFileSync(file, `${content}\n`);
        return [name, file];
      }),
    );
    const config = loadConfig(filled);
    expect(config.provider).toBe('postgresql');
    expect(config.viewApis).toBe(false);
  });

  it('starts the proxy once every API instance is healthy, on the port nginx listens on', () => {
    const proxy = asMap(services.proxy);
    expect(proxy.depends_on).toEqual(Object.fromEntries(apis.map((api) => [api, { condition: 'service_healthy' }])));
    const nginx = read('deploy/nginx.conf');
    const listen = /^\s*listen (\d+);/m.exec(nginx)?.[1];
    expect(proxy.ports).toEqual([`127.0.0.1:8080:${listen}`]);
    for (const api of apis) expect(nginx).toContain(`server ${api}:4000`);
    for (const api of apis)
      expect(asMap(asMap(services[api]).depends_on).postgres).toEqual({ condition: 'service_healthy' });
  });

  it('gives PostgreSQL its password as a file too', () => {
    const env = asMap(asMap(services.postgres).environment);
    expect(env.POSTGRES_PASSWORD).toBeUndefined();
    expect(env.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres_password');
  });
});

describe('the Helm chart (deploy/helm/grc-api)', () => {
  const chartDir = 'deploy/helm/grc-api';
  const chart = parse(read(`${chartDir}/Chart.yaml`)) as Yaml;
  const values = parse(read(`${chartDir}/values.yaml`)) as Yaml;
  const templateFiles = readdirSync(join(repo, chartDir, 'templates'));
  const templates = Object.fromEntries(templateFiles.map((f) => [f, read(`${chartDir}/templates/${f}`)]));
  const all = Object.values(templates).join('\n');
  const deployment = templates['deployment.yaml'] ?? '';

  it('is a v2 chart of this version of the server', () => {
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'grc-api', type: 'application', appVersion: pkg.version });
    expect(templateFiles.sort()).toEqual([
      'NOTES.txt',
      '_helpers.tpl',
      'deployment.yaml',
      'hpa.yaml',
      'pdb.yaml',
      'secret.yaml',
      'service.yaml',
      'serviceaccount.yaml',
      'servicemonitor.yaml',
    ]);
  });

  it('closes every block it opens', () => {
    for (const [file, text] of Object.entries(templates)) {
      const opened = text.match(/\{\{-?\s*(if|with|range|define)\b/g)?.length ?? 0;
      const closed = text.match(/\{\{-?\s*end\s*-?\}\}/g)?.length ?? 0;
      expect(closed, file).toBe(opened);
    }
  });

  it.each(templateFiles.filter((f) => f.endsWith('.yaml')))('%s is YAML once its actions are placeholders', (file) => {
    // Not a render: lines that are only actions go, an indented toYaml/include becomes one key at
    // its indent, any other action becomes a scalar. What is left must parse: indentation and keys.
    const skeleton = (templates[file] ?? '')
      .split('\n')
      .flatMap((line, at) => {
        const block = /^\s*\{\{-\s*(?:toYaml|include)\b.*\| nindent (\d+)\s*\}\}\s*$/.exec(line);
        if (block) return [`${' '.repeat(Number(block[1]))}rendered${at}: value`];
        if (/^\s*\{\{-.*\}\}\s*$/.test(line)) return [];
        return [line.replace(/\{\{.*?\}\}/g, 'value')];
      })
      .join('\n');
    const document = parse(skeleton) as Yaml;
    expect(document).toMatchObject({ apiVersion: expect.any(String), kind: expect.any(String) });
  });

  it('names only values that exist, and uses every value', () => {
    const referenced = new Set([...all.matchAll(/\.Values((?:\.\w+)+)/g)].map((m) => (m[1] as string).slice(1)));
    const exists = (path: string) =>
      path.split('.').reduce<unknown>((node, key) => (node as Yaml | undefined)?.[key], values) !== undefined;
    for (const path of referenced) expect(exists(path), `.Values.${path}`).toBe(true);
    const unused: string[] = [];
    const walk = (node: Yaml, prefix: string) => {
      for (const [key, value] of Object.entries(node)) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (referenced.has(path)) continue;
        if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
          walk(value as Yaml, path);
        } else unused.push(path);
      }
    };
    walk(values, '');
    expect(unused).toEqual([]);
  });

  it('runs as non-root on a read-only root filesystem, without capabilities or privilege escalation', () => {
    expect(values.podSecurityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(values.securityContext).toEqual({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(deployment).toContain('{{- toYaml .Values.securityContext | nindent 12 }}');
    expect(deployment).toContain('{{- toYaml .Values.podSecurityContext | nindent 8 }}');
    expect(deployment).toContain('automountServiceAccountToken: false');
    // The one writable place, besides nothing: /tmp.
    expect([...deployment.matchAll(/mountPath: (\S+)/g)].map((m) => m[1])).toEqual([
      '/var/run/secrets/grc-api',
      '/tmp',
    ]);
  });

  it('probes /healthz for liveness and start-up, /readyz for readiness', () => {
    const pathAfter = (probe: string) => new RegExp(`${probe}:\\s+httpGet:\\s+path: (\\S+)`).exec(deployment)?.[1];
    expect(pathAfter('livenessProbe')).toBe('/healthz');
    expect(pathAfter('startupProbe')).toBe('/healthz');
    expect(pathAfter('readinessProbe')).toBe('/readyz');
  });

  it('relies on the drain: no preStop sleep, a grace period above drain plus shutdown, refused otherwise', () => {
    expect(deployment).not.toMatch(/^\s*(preStop|lifecycle):/m);
    const shutdown = values.shutdown as { drainSeconds: number; timeoutSeconds: number };
    expect(values.terminationGracePeriodSeconds).toBeGreaterThan(shutdown.drainSeconds + shutdown.timeoutSeconds);
    expect(deployment).toContain('terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}');
    expect(deployment).toMatch(
      /\{\{- if le \(int \.Values\.terminationGracePeriodSeconds\) \(int \$drainAndTimeout\) \}\}\n\{\{- fail/,
    );
    expect(deployment).toContain('value: {{ mul .Values.shutdown.drainSeconds 1000 | quote }}');
  });

  it('gives the server its secrets as files from one Secret, under variables it reads', () => {
    const variables = [...deployment.matchAll(/- name: ([A-Z][A-Z0-9_]*)$/gm)].map((m) => m[1] as string);
    for (const name of variables) expect(documentedVariables, name).toContain(name);
    expect(variables).not.toContain('ADMIN_PASSWORD');
    expect(variables).not.toContain('DATABASE_URL');
    const files = [...deployment.matchAll(/value: \/var\/run\/secrets\/grc-api\/(\S+)$/gm)].map((m) => m[1]);
    const secretData = (templates['secret.yaml'] ?? '').split(/^data:$/m)[1] ?? '';
    const secretKeys = [...secretData.matchAll(/^ {2}([\w.-]+): \{\{/gm)].map((m) => m[1]);
    expect(files.sort()).toEqual(secretKeys.sort());
    expect(files.sort()).toEqual(['admin-password', 'database-url', 'jwt-keys.json']);
  });

  it('has a PodDisruptionBudget, a HorizontalPodAutoscaler and an optional ServiceMonitor', () => {
    expect(templates['pdb.yaml']).toMatch(/apiVersion: policy\/v1\nkind: PodDisruptionBudget/);
    expect(templates['hpa.yaml']).toMatch(/apiVersion: autoscaling\/v2\nkind: HorizontalPodAutoscaler/);
    expect(templates['servicemonitor.yaml']).toMatch(/^\{\{- if \.Values\.serviceMonitor\.enabled \}\}/);
    expect(templates['servicemonitor.yaml']).toContain('path: /metrics');
    expect(deployment).toContain('value: {{ .Values.serviceMonitor.enabled | quote }}');
    expect(values.resources).toMatchObject({ requests: { cpu: expect.anything(), memory: expect.anything() } });
    expect(asMap(values.resources).limits).toMatchObject({ memory: expect.anything() });
  });
});
