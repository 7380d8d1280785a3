// Consumer lag over time: committed offsets of each group (kafkajs admin fetchOffsets) against the topic's end offsets.
import { AssignerProtocol, type Admin } from 'kafkajs';

export interface LagSample {
  t: number;
  group: string;
  topic: string;
  lag: number;
}

/** Consumer groups whose members are assigned one of the topics (the worker pool, the sink, ...), by their assignments. */
export async function discoverGroups(admin: Admin, topics: string[], ignore: (group: string) => boolean = () => false): Promise<{ group: string; topic: string }[]> {
  const { groups } = await admin.listGroups();
  const candidates = groups.filter((g) => g.protocolType === 'consumer' && !ignore(g.groupId)).map((g) => g.groupId);
  if (!candidates.length) return [];
  const described = await admin.describeGroups(candidates);
  const out: { group: string; topic: string }[] = [];
  for (const g of described.groups) {
    const assigned = new Set<string>();
    for (const m of g.members) {
      const a = m.memberAssignment?.length ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      for (const t of Object.keys(a?.assignment ?? {})) assigned.add(t);
    }
    for (const t of topics) if (assigned.has(t)) out.push({ group: g.groupId, topic: t });
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
