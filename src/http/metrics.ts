/**
 * Prometheus metrics in the text exposition format (0.0.4), hand-written: request counts and durations by
 * route and status, jobs by final state, running jobs and capacity.
 */
import type { FastifyInstance } from 'fastify';

/** Upper bounds of the request-duration histogram (seconds). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** In-process counters. One instance per app. */
export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly jobs = new Map<string, number>();

  /** Counts one finished request; `seconds` is the handler time. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = labels({ method, route, status: String(status) });
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const hkey = labels({ method, route });
    let h = this.durations.get(hkey);
    if (!h) {
      h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.durations.set(hkey, h);
    }
    for (let i = 0; i < BUCKETS.length; i++)
      if (seconds <= (BUCKETS[i] as number)) h.counts[i] = (h.counts[i] ?? 0) + 1;
    h.sum += seconds;
    h.count++;
  }

  /** Counts a job reaching a state (PENDING on submit, then SUCCESS or FAILED). */
  observeJob(status: string): void {
    this.jobs.set(status, (this.jobs.get(status) ?? 0) + 1);
  }

  /** The exposition text; `gauges` adds current values (e.g. running jobs). */
  render(gauges: Record<string, { help: string; value: number }> = {}): string {
    const out: string[] = [];
    out.push('# HELP skope_http_requests_total HTTP requests by method, route and status.');
    out.push('# TYPE skope_http_requests_total counter');
    for (const [k, v] of this.requests) out.push(`skope_http_requests_total{${k}} ${v}`);
    out.push('# HELP skope_http_request_duration_seconds HTTP request duration by method and route.');
    out.push('# TYPE skope_http_request_duration_seconds histogram');
    for (const [k, h] of this.durations) {
      BUCKETS.forEach((b, i) =>
        out.push(`skope_http_request_duration_seconds_bucket{${k},le="${b}"} ${h.counts[i] ?? 0}`),
      );
      out.push(`skope_http_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      out.push(`skope_http_request_duration_seconds_sum{${k}} ${h.sum}`);
      out.push(`skope_http_request_duration_seconds_count{${k}} ${h.count}`);
    }
    out.push('# HELP skope_jobs_total Extraction jobs that reached a state since start.');
    out.push('# TYPE skope_jobs_total counter');
    for (const s of ['PENDING', 'PROCESSING', 'SUCCESS', 'FAILED'])
      out.push(`skope_jobs_total{status="${s}"} ${this.jobs.get(s) ?? 0}`);
    for (const [name, g] of Object.entries(gauges)) {
      out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.value}`);
    }
    return out.join('\n') + '\n';
  }
}

function labels(l: Record<string, string>): string {
  return Object.entries(l)
    .map(([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`)
    .join(',');
}

/** Records every response's route (the pattern, not the URL, so cardinality stays bounded) and status. */
export function installMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
}
