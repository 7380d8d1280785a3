// What `inflow up/down/status` knows about each local service.
import path from 'node:path';
import type { Config } from '../config.ts';

export interface ServiceStatus {
  name: string;
  address: string;
  healthy: boolean;
  pid?: number;
  version?: string;
  detail?: string;
}

export interface LocalService {
  readonly name: string;
  readonly address: string;
  /** Ensures binaries are present (apt-get, mvn); cached after the first time. */
  install(log: (msg: string) => void): Promise<void>;
  /** Starts the process if it is not running; errors clearly if its port is taken by something else. */
  start(log: (msg: string) => void): Promise<void>;
  /** Waits until it answers. */
  ready(): Promise<void>;
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  status(): Promise<ServiceStatus>;
}

export interface StackPaths {
  data: string;
  logs: string;
  run: string;
  vendor: string;
}

export function stackPaths(cfg: Pick<Config, 'dataDir'>): StackPaths {
  return {
    data: path.join(cfg.dataDir, 'data'),
    logs: path.join(cfg.dataDir, 'logs'),
    run: path.join(cfg.dataDir, 'run'),
    vendor: path.join(cfg.dataDir, 'vendor'),
  };
}

export function portTakenMessage(service: string, host: string, port: number, variable: string): string {
  return `${service}: port ${port} on ${host} is already taken by another process; stop it or choose another port with ${variable}`;
}
