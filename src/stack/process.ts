// Process plumbing for the local stack: pid files, detached children, port checks.
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { StackError } from '../infra/errors.ts';

export const execFileAsync = promisify(execFile);

export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a long-running child detached from this process, output appended to logFile, pid recorded. */
export function spawnDetached(
  command: string,
  args: string[],
  opts: { logFile: string; pidFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): number {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  mkdirSync(path.dirname(opts.pidFile), { recursive: true });
  const out = openSync(opts.logFile, 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    // eslint-disable-next-line no-restricted-properties -- a child service inherits the environment (PATH, JAVA_HOME)
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
  });
  if (!child.pid) throw new StackError(`could not start ${command}`);
  child.unref();
  writeFileSync(opts.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM (or SIGKILL), then waits until the pid is gone; escalates to SIGKILL after graceMs. */
export async function stopPid(pid: number | undefined, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM', graceMs = 20_000): Promise<void> {
  if (!pid || !isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await sleep(100);
  }
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until check() is true; throws a StackError naming what it waited for. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, hint = ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new StackError(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s${hint ? `; ${hint}` : ''}`);
}

/** Runs a command, returning stdout; on failure the error carries the command's own output. */
export async function run(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      // eslint-disable-next-line no-restricted-properties -- tools (mvn, apt-get) inherit PATH and friends
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const output = `${e.stderr ?? ''}\n${e.stdout ?? ''}`.replace(/\u001b\[[0-9;]*m/g, '').trim() || e.message;
    throw new StackError(`${command} ${args.join(' ')} failed: ${output.slice(-2000)}`, { cause: err });
  }
}

export async function which(command: string): Promise<string | undefined> {
  try {
    return (await execFileAsync('sh', ['-c', `command -v ${command}`])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

let aptUpdated = false;

/** apt-get install for a missing Debian package, without letting its scripts start a system service. */
export async function aptInstall(packages: string[], log: (msg: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new StackError(`missing ${packages.join(', ')}: install with "sudo apt-get install ${packages.join(' ')}" or run inflow up as root`);
  }
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  // exit 101 = "action not allowed": the package's init script must not grab the default port.
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    if (!aptUpdated) {
      log('apt-get update');
      await run('apt-get', ['update', '-q'], { env });
      aptUpdated = true;
    }
    log(`apt-get install ${packages.join(' ')}`);
    await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env });
  } finally {
    if (ownPolicy) removeFile(policy);
  }
}
