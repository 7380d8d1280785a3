// OpenTelemetry Node SDK, off unless OTEL_TRACES_EXPORTER says otherwise.
// W3C traceparent travels in Kafka headers so a trace started at the edge continues in the worker.
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { Config } from '../config.ts';

export interface Tracing {
  enabled: boolean;
  stop(): Promise<void>;
}

export function startTracing(
  cfg: Pick<Config, 'OTEL_TRACES_EXPORTER' | 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME'>,
): Tracing {
  if (cfg.OTEL_TRACES_EXPORTER === 'none') return { enabled: false, stop: async () => {} };
  const traceExporter =
    cfg.OTEL_TRACES_EXPORTER === 'console'
      ? new tracing.ConsoleSpanExporter()
      : new OTLPTraceExporter(cfg.OTEL_EXPORTER_OTLP_ENDPOINT ? { url: cfg.OTEL_EXPORTER_OTLP_ENDPOINT } : {});
  const sdk = new NodeSDK({ serviceName: cfg.OTEL_SERVICE_NAME, traceExporter });
  sdk.start();
  return { enabled: true, stop: () => sdk.shutdown() };
}
