// Apache Kafka in KRaft mode (one node: broker + controller), jars from Maven Central via redpanda/local/pom.xml.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { PROJECT_ROOT, hostPort, type Config } from '../config.ts';
import { StackError } from '../infra/errors.ts';
import { isAlive, isPortOpen, readPid, removeFile, run, spawnDetached, stopPid, waitFor, which } from './process.ts';
import { portTakenMessage, stackPaths, type LocalService } from './service.ts';

export const LOCAL_POM = path.join(PROJECT_ROOT, 'redpanda', 'local', 'pom.xml');

export async function requireTool(tool: string, hint: string): Promise<void> {
  if (!(await which(tool))) throw new StackError(`${tool} not found on PATH: ${hint}`);
}

/** Copies a pom profile's artifacts from ~/.m2 (downloading once) unless the pom is unchanged since the last copy. */
export async function fetchArtifacts(profile: 'kafka' | 'registry', dest: string, goal: string[], log: (msg: string) => void): Promise<void> {
  const stamp = path.join(dest, '.pom-sha1');
  const sha = createHash('sha1').update(readFileSync(LOCAL_POM)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === sha) return;
  await requireTool('mvn', 'install Maven (apt-get install maven) and Java 17');
  log(`fetching ${profile} artifacts with mvn (cached in ~/.m2 after the first time)`);
  mkdirSync(dest, { recursive: true });
  // Maven's unpack markers live beside what they describe, so a fresh vendor folder is always filled.
  await run('mvn', ['-q', '-B', '-Dstyle.color=never', '-f', LOCAL_POM, `-P${profile}`, `-DmarkersDirectory=${path.join(dest, '.markers')}`, ...goal]);
  writeFileSync(stamp, sha);
}

export function kafkaService(cfg: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CONTROLLER_PORT' | 'KAFKA_HEAP' | 'dataDir'>): LocalService & { libs: string } {
  const { host, port } = hostPort(cfg.KAFKA_BROKERS.split(',')[0] ?? '', 9092);
  const paths = stackPaths(cfg);
  const libs = path.join(paths.vendor, 'kafka');
  const dataDir = path.join(paths.data, 'kafka');
  const pidFile = path.join(paths.run, 'kafka.pid');
  const logFile = path.join(paths.logs, 'kafka.log');
  const props = path.join(dataDir, 'server.properties');

  const ping = async () => {
    const kafka = new Kafka({ brokers: [`${host}:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.controller !== null && cluster.brokers.length > 0;
    } finally {
      await admin.disconnect();
    }
  };

  const java = (mainClass: string, args: string[], heap = '256m') => ['-Xms' + heap, '-Xmx' + heap, '-cp', `${libs}/*`, mainClass, ...args];

  return {
    name: 'kafka',
    address: `${host}:${port}`,
    libs,
    async install(log) {
      await requireTool('java', 'install a Java 17 runtime');
      await fetchArtifacts('kafka', libs, ['dependency:copy-dependencies', `-DoutputDirectory=${libs}`], log);
    },
    async start(log) {
      if (isAlive(readPid(pidFile))) return;
      if (await isPortOpen(host, port)) throw new StackError(portTakenMessage('kafka', host, port, 'KAFKA_BROKERS'));
      if (await isPortOpen(host, cfg.KAFKA_CONTROLLER_PORT)) {
        throw new StackError(portTakenMessage('kafka controller', host, cfg.KAFKA_CONTROLLER_PORT, 'KAFKA_CONTROLLER_PORT'));
      }
      mkdirSync(dataDir, { recursive: true });
      const logDir = path.join(dataDir, 'log');
      writeFileSync(
        props,
        [
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.voters=1@${host}:${cfg.KAFKA_CONTROLLER_PORT}`,
          `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${cfg.KAFKA_CONTROLLER_PORT}`,
          `advertised.listeners=PLAINTEXT://${host}:${port}`,
          'controller.listener.names=CONTROLLER',
          'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          'inter.broker.listener.name=PLAINTEXT',
          `log.dirs=${logDir}`,
          'num.partitions=6',
          'auto.create.topics.enable=false', // topics come from redpanda/topics.yaml; a typo should fail, not create
          'offsets.topic.replication.factor=1',
          'offsets.topic.num.partitions=6', // 50 by default: slow to create on a fresh test broker
          'transaction.state.log.replication.factor=1',
          'transaction.state.log.min.isr=1',
          'group.initial.rebalance.delay.ms=0', // tests join groups often; no 3 s wait
          'num.network.threads=3',
          'num.io.threads=4',
          'log.flush.interval.messages=9223372036854775807', // durability by acks=all + replication in production, page cache here
          'message.max.bytes=4194304',
          '',
        ].join('\n'),
      );
      writeFileSync(
        path.join(dataDir, 'log4j.properties'),
        [
          'log4j.rootLogger=WARN, stdout',
          'log4j.logger.kafka.server.KafkaServer=INFO',
          'log4j.logger.kafka.server.KafkaRaftServer=INFO',
          'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
          'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
          'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
          '',
        ].join('\n'),
      );
      const log4j = `-Dlog4j.configuration=file:${path.join(dataDir, 'log4j.properties')}`;
      if (!existsSync(path.join(logDir, 'meta.properties'))) {
        const clusterId = (await run('java', [log4j, ...java('kafka.tools.StorageTool', ['random-uuid'])])).trim().split('\n').pop() ?? '';
        log(`formatting KRaft storage ${logDir}`);
        await run('java', [log4j, ...java('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', props])]);
      }
      log(`starting kafka on ${host}:${port}`);
      spawnDetached('java', ['-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', log4j, ...java('kafka.Kafka', [props], cfg.KAFKA_HEAP)], {
        logFile,
        pidFile,
      });
    },
    async ready() {
      await waitFor('kafka', ping, 60_000, `see ${logFile}`);
    },
    async stop(signal = 'SIGTERM') {
      await stopPid(readPid(pidFile), signal, 30_000);
      removeFile(pidFile);
    },
    async status() {
      const pid = readPid(pidFile);
      const healthy = await ping().catch(() => false);
      const jar = existsSync(libs) ? (await run('ls', [libs])).match(/kafka_2\.13-([\d.]+)\.jar/)?.[1] : undefined;
      return { name: 'kafka', address: `${host}:${port}`, healthy, pid: isAlive(pid) ? pid : undefined, version: jar ? `Apache Kafka ${jar} (KRaft)` : undefined };
    },
  };
}
