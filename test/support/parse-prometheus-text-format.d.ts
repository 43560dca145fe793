declare module 'parse-prometheus-text-format' {
  interface PromMetricSample {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  interface PromMetricFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: PromMetricSample[];
  }
  export default function parsePrometheusTextFormat(text: string): PromMetricFamily[];
}
