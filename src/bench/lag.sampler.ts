// Consumer lag over time: committed offsets of each group (kafkajs admin fetchOffsets) against the topic's end offsets.
import type { Admin } from 'kafkajs';

export interface LagSample {
  t: number;
  group: string;
  topic: string;
  lag: number;
}

/** Active consumer groups with committed offsets on one of the topics (the worker pool, the sink, ...). */
export async function discoverGroups(admin: Admin, topics: string[]): Promise<{ group: string; topic: string }[]> {
  const { groups } = await admin.listGroups();
  const candidates = groups.filter((g) => g.protocolType === 'consumer').map((g) => g.groupId);
  if (!candidates.length) return [];
  const described = await admin.describeGroups(candidates);
  const active = described.groups.filter((g) => g.state === 'Stable' || g.state === 'CompletingRebalance' || g.state === 'PreparingRebalance');
  const out: { group: string; topic: string }[] = [];
  for (const g of active) {
    const offsets = await admin.fetchOffsets({ groupId: g.groupId, topics });
    for (const t of offsets) if (t.partitions.some((p) => Number(p.offset) >= 0)) out.push({ group: g.groupId, topic: t.topic });
  }
  return out;
}

export async function sampleLag(admin: Admin, targets: { group: string; topic: string }[], t: number): Promise<LagSample[]> {
  const ends = new Map<string, Map<number, number>>();
  const out: LagSample[] = [];
  for (const { group, topic } of targets) {
    if (!ends.has(topic)) ends.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)])));
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    let lag = 0;
    for (const p of committed?.partitions ?? []) {
      const high = ends.get(topic)!.get(p.partition) ?? 0;
      const off = Number(p.offset);
      lag += off < 0 ? high : Math.max(0, high - off);
    }
    out.push({ t, group, topic, lag });
  }
  return out;
}
