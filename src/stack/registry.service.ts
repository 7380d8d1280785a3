// Apicurio Registry (Maven Central), serving the Confluent Schema Registry API under /apis/ccompat/v7.
// Storage: H2 in file mode under the project's data folder, so schema ids survive restarts.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { hostPort, type Config } from '../config.ts';
import { StackError } from '../infra/errors.ts';
import { fetchArtifacts, requireTool } from './kafka.service.ts';
import { isAlive, isPortOpen, readPid, removeFile, spawnDetached, stopPid, waitFor } from './process.ts';
import { portTakenMessage, stackPaths, type LocalService } from './service.ts';

export function registryService(cfg: Pick<Config, 'SCHEMA_REGISTRY_URL' | 'dataDir'>): LocalService {
  const { host, port } = hostPort(cfg.SCHEMA_REGISTRY_URL, 8081);
  const paths = stackPaths(cfg);
  const dist = path.join(paths.vendor, 'registry');
  const dataDir = path.join(paths.data, 'registry');
  const pidFile = path.join(paths.run, 'registry.pid');
  const logFile = path.join(paths.logs, 'registry.log');
  const base = cfg.SCHEMA_REGISTRY_URL.replace(/\/$/, '');

  const runnerJar = () => readdirSync(dist).find((f) => f.endsWith('-runner.jar'));
  const ping = async () => (await fetch(`${base}/subjects`, { signal: AbortSignal.timeout(1000) })).ok;

  return {
    name: 'schema-registry',
    address: base,
    async install(log) {
      await requireTool('java', 'install a Java 17 runtime');
      await fetchArtifacts('registry', dist, ['dependency:unpack-dependencies', `-DoutputDirectory=${dist}`], log);
      if (!runnerJar()) throw new StackError(`schema-registry: no *-runner.jar in ${dist}; delete the folder and run inflow up again`);
    },
    async start(log) {
      if (isAlive(readPid(pidFile))) return;
      if (await isPortOpen(host, port)) throw new StackError(portTakenMessage('schema-registry', host, port, 'SCHEMA_REGISTRY_URL'));
      mkdirSync(dataDir, { recursive: true });
      log(`starting schema registry on ${host}:${port}`);
      spawnDetached('java', ['-Xms128m', '-Xmx256m', '-XX:TieredStopAtLevel=1', '-jar', path.join(dist, runnerJar() ?? '')], {
        logFile,
        pidFile,
        cwd: dataDir,
        env: {
          QUARKUS_HTTP_HOST: host,
          QUARKUS_HTTP_PORT: String(port),
          REGISTRY_DATASOURCE_URL: `jdbc:h2:file:${path.join(dataDir, 'registry')};DB_CLOSE_ON_EXIT=FALSE`,
          QUARKUS_LOG_LEVEL: 'WARN',
        },
      });
    },
    async ready() {
      await waitFor('schema-registry', ping, 60_000, `see ${logFile}`);
    },
    async stop(signal = 'SIGTERM') {
      await stopPid(readPid(pidFile), signal);
      removeFile(pidFile);
    },
    async status() {
      const pid = readPid(pidFile);
      const healthy = await ping().catch(() => false);
      const jar = existsSync(dist) ? runnerJar() : undefined;
      const version = jar?.match(/apicurio-registry-app-(.+)-runner\.jar/)?.[1];
      return {
        name: 'schema-registry',
        address: base,
        healthy,
        pid: isAlive(pid) ? pid : undefined,
        version: version ? `Apicurio Registry ${version} (Confluent API)` : undefined,
      };
    },
  };
}
