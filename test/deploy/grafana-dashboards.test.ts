import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const DIR = join(import.meta.dirname, '../../deploy/grafana');
interface Panel { id: number; title: string; type: string; datasource: { type: string; uid: string }; targets: { refId: string; expr: string }[]; gridPos: object }
const load = (name: string) => JSON.parse(readFileSync(join(DIR, 'dashboards', `${name}.json`), 'utf8')) as { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; type: string }[] } };

// The panels the seed's dashboards call for (issue #20), by title.
const WANTED: Record<string, string[]> = {
  executive: ['Cost per 1M tokens', 'Spend by tenant ($/h)', 'Forecast vs budget', 'Token rate'],
  oncall: ['Tokens/s', 'Top tenants by spend ($/h)', 'Token rate against its 6 h baseline', 'Firing and pending alerts', 'Cache hit ratio', 'GPU utilisation'],
  debug: ['Tokens per request (heatmap)', 'Batch queue', 'Latency by model (p50 / p99)', 'Cache misses', 'Slow models → traces'],
};

describe('deploy/grafana dashboards', () => {
  for (const [name, titles] of Object.entries(WANTED)) {
    it(`${name}: provisioning-ready JSON with the panels it promises`, () => {
      const d = load(name);
      expect(d.uid).toMatch(/^tollgate-/);
      expect(d.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
      expect(d.panels.map((p) => p.title)).toEqual(expect.arrayContaining(titles));
      expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
      for (const p of d.panels) {
        expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(p.targets.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets) expect(t.expr, p.title).toMatch(/tollgate|ALERTS/);
      }
    });
  }

  it('ships provisioning files for the dashboards and the Prometheus datasource', () => {
    const dash = parse(readFileSync(join(DIR, 'provisioning/dashboards/tollgate.yml'), 'utf8'));
    expect(dash.providers[0].type).toBe('file');
    const ds = parse(readFileSync(join(DIR, 'provisioning/datasources/prometheus.yml'), 'utf8'));
    expect(ds.datasources[0].type).toBe('prometheus');
  });
});
