// pino JSON logs: one message plus a context object. Secrets are redacted by path, whatever module logs them.
import pino, { type Logger } from 'pino';
import type { Config } from '../config.ts';

export type { Logger };

const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'refresh_token',
  '*.refresh_token',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-acme-signature"]',
  'req.headers["webhook-signature"]',
];

export function createLogger(cfg: Pick<Config, 'LOG_LEVEL'>, name = 'inflow', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level: cfg.LOG_LEVEL,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
