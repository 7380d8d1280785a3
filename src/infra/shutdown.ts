// Graceful shutdown: resources register a close function as they start; on SIGTERM/SIGINT
// they close in reverse order of start (stop accepting, finish in-flight, flush, disconnect).
import type { Logger } from './logger.ts';

type Closer = { name: string; close: () => Promise<void> | void };

export interface Shutdown {
  /** Registers a resource; it is closed before everything registered earlier. */
  add(name: string, close: () => Promise<void> | void): void;
  /** Closes everything once; later calls wait for the first. */
  run(reason: string): Promise<void>;
  /** Installs SIGTERM/SIGINT handlers that run the shutdown then exit. */
  onSignals(): void;
}

export function createShutdown(logger: Logger, { timeoutMs = 15_000 } = {}): Shutdown {
  const closers: Closer[] = [];
  let running: Promise<void> | undefined;

  async function closeAll(reason: string): Promise<void> {
    logger.info({ reason, resources: closers.map((c) => c.name).reverse() }, 'shutting down');
    for (const closer of [...closers].reverse()) {
      try {
        await closer.close();
      } catch (err) {
        logger.error({ err, resource: closer.name }, 'close failed');
      }
    }
  }

  const shutdown: Shutdown = {
    add(name, close) {
      closers.push({ name, close });
    },
    run(reason) {
      running ??= closeAll(reason);
      return running;
    },
    onSignals() {
      const handler = (signal: NodeJS.Signals) => {
        // A second signal, or a hung close, must still end the process.
        const timer = setTimeout(() => {
          logger.error({ timeoutMs }, 'shutdown timed out, exiting');
          process.exit(1);
        }, timeoutMs);
        timer.unref();
        shutdown.run(signal).then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', handler);
      process.once('SIGINT', handler);
    },
  };
  return shutdown;
}
