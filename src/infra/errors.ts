// One error hierarchy for infrastructure failures. Per-message outcomes are values, not exceptions;
// these are for the cases where the process cannot go on with a dependency: retry or stop.

export class InflowError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A dependency (broker, database, cache, registry, ClickHouse) is unreachable or timed out. Retry later. */
export class DependencyUnavailableError extends InflowError {
  constructor(readonly dependency: string, message: string, cause?: unknown) {
    super(`${dependency}: ${message}`, { cause, retriable: true });
  }
}

/** The stack could not be brought up; the message says what to do. */
export class StackError extends InflowError {}

export function isRetriable(err: unknown): boolean {
  return err instanceof InflowError ? err.retriable : false;
}
